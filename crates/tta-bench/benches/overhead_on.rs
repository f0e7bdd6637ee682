//! Telemetry on: the Prometheus recorder and a subscriber at `info`, no OTLP.

fn main() {
    let _telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_filter("info")
        .install()
        .expect("telemetry installs in a fresh process");
    tta_bench::run_all_groups();
}
