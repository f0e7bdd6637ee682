//! Telemetry on without log output: the Prometheus recorder alone. Beside
//! `overhead_on`, what the two INFO lines of a run cost (`run/run`).

fn main() {
    let _telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_format(tta::telemetry::LogFormat::Off)
        .install()
        .expect("telemetry installs in a fresh process");
    tta_bench::run_all_groups();
}
