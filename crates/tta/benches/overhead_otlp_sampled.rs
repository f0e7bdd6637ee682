//! Telemetry on plus the OTLP layer with every trace sampled: each
//! execution is a span the layer builds and hands to the batch exporter
//! (its collector, on a closed port, is never reached; the batch is
//! dropped). What a sampled span costs per execution, beside the peer: a
//! hand-written `#[tracing::instrument(level = "debug")]` (the span it
//! expands to, around the same work) exported by the same layer.

use std::hint::black_box;

use std::future::Future;

use criterion::Criterion;
use tracing::Instrument;
use tta::prelude::*;

async fn bare(x: u64) -> tta::Result<u64> {
    Ok(black_box(x) + 1)
}

/// What `#[instrument(level = "debug")]` on `bare` expands to.
fn peer(x: u64) -> impl Future<Output = tta::Result<u64>> {
    async move { Ok(black_box(x) + 1) }.instrument(tracing::debug_span!("bench_peer"))
}

struct Step;

#[primitive(name = "bench_sampled_step")]
impl Step {
    async fn execute(&self, x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
        Ok(black_box(x) + 1)
    }
}

fn main() {
    let _telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_filter("info")
        .otlp("http://127.0.0.1:9", tta::telemetry::OtlpProtocol::Grpc)
        .trace_sample_ratio(1.0)
        .install()
        .expect("telemetry installs in a fresh process");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
    let ctx = WorkflowContext::new();
    let ctx = &ctx;
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("sampled");
    group.bench_function("bare", |b| b.to_async(&runtime).iter(|| bare(1)));
    group.bench_function("hand-written #[instrument] peer", |b| {
        b.to_async(&runtime).iter(|| peer(1))
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
