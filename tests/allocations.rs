//! Heap allocations per call, counted per thread by `allocation-counter`'s
//! global allocator: deterministic, unlike time, so they are asserted.
//! Telemetry is off in this process; `allocations_on.rs` installs it.

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
fn a_static_three_step_sequential_allocates_nothing_per_call_with_telemetry_off() {
    // No recorder and no subscriber: nothing is listening, nothing is allocated.
    assert_eq!(allocations_per_call(), 0);
}
