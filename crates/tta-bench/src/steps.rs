//! The work being measured: a bare `async fn`, and the same work as
//! `#[primitive]` steps.

use std::hint::black_box;

use tta::llm::Usage;
use tta::prelude::*;

/// The baseline: the step's work as a plain `async fn`.
pub async fn bare(x: u64) -> tta::Result<u64> {
    Ok(black_box(x) + 1)
}

/// A no-op function primitive.
#[primitive(name = "bench_noop")]
pub async fn noop(x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
    Ok(black_box(x) + 1)
}

/// A no-op step; every instance shares the name `bench_step`.
pub struct Step;

#[primitive(name = "bench_step")]
impl Step {
    async fn execute(&self, x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
        Ok(black_box(x) + 1)
    }
}

/// A model call's bookkeeping without the call: one usage report.
#[primitive(name = "bench_llm")]
pub async fn report_usage(x: u64, ctx: &WorkflowContext) -> tta::Result<u64> {
    ctx.record_usage(Usage::openai("openai", "gpt-4o-mini", 1_000, 0, 200, 0))?;
    Ok(black_box(x) + 1)
}

/// The same bookkeeping written by hand with the `metrics` macros: a token
/// counter per kind and a cost counter, and no pricing, span or roll-up.
#[primitive(name = "bench_llm_by_hand")]
pub async fn report_by_hand(x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
    let labels = [("provider", "openai"), ("model", "gpt-4o-mini")];
    metrics::counter!("bench_tokens_total", &labels[..]).increment(1_000);
    metrics::counter!("bench_tokens_total", &labels[..]).increment(200);
    metrics::counter!("bench_cost_total", &labels[..]).increment(270_000);
    Ok(black_box(x) + 1)
}

/// A step that yields once before answering, so concurrent callers of a
/// cache miss find it in flight and coalesce.
#[primitive(name = "bench_yield")]
pub async fn yield_once(x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
    tokio::task::yield_now().await;
    Ok(black_box(x) + 1)
}
