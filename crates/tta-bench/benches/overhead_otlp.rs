//! Telemetry on plus the OTLP layer, with a sampler that drops every trace:
//! the layer's own cost, with nothing exported.

fn main() {
    let _telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_filter("info")
        // Nothing is sent: every trace is dropped by the sampler.
        .otlp("http://127.0.0.1:4317", tta::telemetry::OtlpProtocol::Grpc)
        .trace_sample_ratio(0.0)
        .install()
        .expect("telemetry installs in a fresh process");
    tta_bench::run_all_groups();
}
