//! Telemetry on plus the OTLP layer with every trace sampled: each
//! execution is a span the layer builds and hands to the batch exporter
//! (its collector, on a closed port, is never reached; the batch is
//! dropped). What a sampled span costs per execution, beside the peer: a
//! hand-written `#[tracing::instrument(level = "debug")]` exported by the
//! same layer.

use criterion::Criterion;
use tta::prelude::*;
use tta_bench::peers;
use tta_bench::steps::{Step, bare};

fn main() {
    let _telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_filter("info")
        .otlp("http://127.0.0.1:9", tta::telemetry::OtlpProtocol::Grpc)
        .trace_sample_ratio(1.0)
        .install()
        .expect("telemetry installs in a fresh process");
    let runtime = tta_bench::runtime();
    let ctx = WorkflowContext::new();
    let ctx = &ctx;
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("sampled");
    group.bench_function("bare", |b| b.to_async(&runtime).iter(|| bare(1)));
    group.bench_function("peer: #[instrument]", |b| {
        b.to_async(&runtime).iter(|| peers::instrumented(1))
    });
    let hand_written = peers::HandWritten::default();
    group.bench_function("peer: #[instrument] + clock + counter + histogram", |b| {
        b.to_async(&runtime).iter(|| hand_written.call(1))
    });
    group.bench_function("primitive", |b| {
        b.to_async(&runtime).iter(|| Step.call(1, ctx))
    });
    let sequential = Step >> Step >> Step;
    group.bench_function("a >> b >> c", |b| {
        b.to_async(&runtime).iter(|| sequential.call(1, ctx))
    });
    group.finish();
    criterion.final_summary();
}
