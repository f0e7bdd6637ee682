//! Logs for the examples: TTA's telemetry without the metrics endpoint, so
//! examples can run side by side with the demo. `RUST_LOG=debug` shows the
//! per-step events too.

pub(crate) fn init() -> tta::telemetry::Telemetry {
    tta::telemetry::builder()
        .without_metrics_endpoint()
        .install()
        .expect("telemetry installs once, at the start of main")
}
