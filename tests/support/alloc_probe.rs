//! What the allocation tests share: a ready-future executor and the
//! measured workflow. Included with `#[path]` by `allocations.rs` and
//! `allocations_on.rs` only, because `allocation-counter` replaces the
//! global allocator of any binary that links it.

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
pub(crate) fn allocations_per_call() -> u64 {
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
