//! Heap allocations per call, counted per thread by `allocation-counter`'s
//! global allocator, with telemetry installed before the first call so the
//! metric handles bind to the real recorder.

#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use tta::prelude::*;

#[primitive(name = "alloc_step")]
async fn step(x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
    Ok(x + 1)
}

/// Polls `future` once; it must complete without waiting.
fn run_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future waited; only ready futures are measured"),
    }
}

const CALLS: u64 = 1_000;

/// Allocations per call of `a >> b >> c` after a warm-up call.
fn allocations_per_call() -> u64 {
    let workflow = Step >> Step >> Step;
    let ctx = WorkflowContext::new();
    // The first call registers the metric handles; later calls reuse them.
    assert_eq!(run_ready(workflow.call(1, &ctx)).unwrap(), 4);
    let info = allocation_counter::measure(|| {
        for _ in 0..CALLS {
            run_ready(workflow.call(1, &ctx)).unwrap();
        }
    });
    info.count_total / CALLS
}

#[test]
fn a_static_three_step_sequential_stays_within_its_allocation_budget_with_telemetry_on() {
    let _telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_filter("info")
        .install()
        .unwrap();
    assert!(
        tracing::enabled!(tracing::Level::INFO),
        "the log layer is live without OTLP"
    );
    let per_call = allocations_per_call();
    println!("allocations per call with telemetry on: {per_call}");
    // The documented bound (docs/benchmarks.md) with the Prometheus recorder
    // and the pretty log layer at `info` is zero: metric handles are
    // registered once and primitive spans are DEBUG. (With `RUST_LOG=debug`,
    // tracing-subscriber's fmt layer formats each span's fields into a
    // `String`: 7 allocations per span, 28 for this call.)
    assert_eq!(per_call, 0, "{per_call} allocations per call");
}
