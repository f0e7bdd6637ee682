//! Heap allocations per call, counted per thread by `allocation-counter`'s
//! global allocator, with telemetry installed before the first call so the
//! metric handles bind to the real recorder.

#![allow(clippy::unwrap_used)]

#[path = "support/alloc_probe.rs"]
mod alloc_probe;

use alloc_probe::allocations_per_call;

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
