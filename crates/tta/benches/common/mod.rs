//! The benchmark groups, run once per telemetry state. Every group starts
//! with `bare`: the same work as a plain `async fn` call on the same
//! runtime, so criterion's report shows what each layer adds.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use futures_util::future::join_all;
use tokio::runtime::Runtime;
use tta::llm::Usage;
use tta::prelude::*;

async fn bare(x: u64) -> tta::Result<u64> {
    Ok(black_box(x) + 1)
}

#[primitive(name = "bench_noop")]
async fn noop(x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
    Ok(black_box(x) + 1)
}

/// A no-op step; every instance shares the name `bench_step`.
struct Step;

#[primitive(name = "bench_step")]
impl Step {
    async fn execute(&self, x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
        Ok(black_box(x) + 1)
    }
}

/// A model call's bookkeeping without the call: one usage report.
#[primitive(name = "bench_llm")]
async fn report_usage(x: u64, ctx: &WorkflowContext) -> tta::Result<u64> {
    ctx.record_usage(Usage::openai("openai", "gpt-4o-mini", 1_000, 0, 200, 0))?;
    Ok(black_box(x) + 1)
}

/// The same bookkeeping written by hand with the `metrics` macros: a token
/// counter per kind and a cost counter, and no pricing, span or roll-up.
#[primitive(name = "bench_llm_by_hand")]
async fn report_by_hand(x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
    let labels = [("provider", "openai"), ("model", "gpt-4o-mini")];
    metrics::counter!("bench_tokens_total", &labels[..]).increment(1_000);
    metrics::counter!("bench_tokens_total", &labels[..]).increment(200);
    metrics::counter!("bench_cost_total", &labels[..]).increment(270_000);
    Ok(black_box(x) + 1)
}

/// A step that yields once before answering, so concurrent callers of a
/// cache miss find it in flight and coalesce.
#[primitive(name = "bench_yield")]
async fn yield_once(x: u64, _ctx: &WorkflowContext) -> tta::Result<u64> {
    tokio::task::yield_now().await;
    Ok(black_box(x) + 1)
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}

pub(crate) fn all(c: &mut Criterion) {
    let rt = runtime();
    let ctx = WorkflowContext::new();
    let ctx = &ctx;

    let mut group = c.benchmark_group("single");
    group.bench_function("bare", |b| b.to_async(&rt).iter(|| bare(1)));
    group.bench_function("primitive", |b| b.to_async(&rt).iter(|| Noop.call(1, ctx)));
    group.finish();

    // What `.run` adds before its first step: a fresh context (two ids, a
    // trace id, a cancellation token, a ledger).
    let mut group = c.benchmark_group("context");
    group.bench_function("WorkflowContext::new", |b| b.iter(WorkflowContext::new));
    group.finish();

    let mut group = c.benchmark_group("sequential3");
    group.bench_function("bare", |b| {
        b.to_async(&rt)
            .iter(|| async { bare(bare(bare(1).await?).await?).await })
    });
    let sequential = Step >> Step >> Step;
    group.bench_function("a >> b >> c", |b| {
        b.to_async(&rt).iter(|| sequential.call(1, ctx))
    });
    group.finish();

    let mut group = c.benchmark_group("parallel3");
    group.bench_function("bare", |b| {
        b.to_async(&rt)
            .iter(|| async { tokio::join!(bare(1), bare(2), bare(3)) })
    });
    #[allow(clippy::eq_op)] // three identical branches, on purpose
    let parallel = Step | Step | Step;
    group.bench_function("a | b | c", |b| {
        b.to_async(&rt).iter(|| parallel.call(1, ctx))
    });
    group.finish();

    let mut group = c.benchmark_group("parallel_all_100");
    group.bench_function("bare", |b| {
        b.to_async(&rt).iter(|| join_all((0..100).map(bare)))
    });
    let all = Parallel::all((0..100).map(|_| Step.boxed()).collect());
    group.bench_function("Parallel::all", |b| {
        b.to_async(&rt).iter(|| all.call(1, ctx))
    });
    group.finish();

    let mut group = c.benchmark_group("resilience_happy_path");
    group.bench_function("bare", |b| b.to_async(&rt).iter(|| bare(1)));
    let retry = Step.retry(RetryPolicy::default());
    group.bench_function("retry", |b| b.to_async(&rt).iter(|| retry.call(1, ctx)));
    let timeout = Step.timeout(Duration::from_secs(60));
    group.bench_function("timeout", |b| b.to_async(&rt).iter(|| timeout.call(1, ctx)));
    let breaker = Step.circuit_breaker(CircuitBreakerConfig::default());
    group.bench_function("circuit_breaker", |b| {
        b.to_async(&rt).iter(|| breaker.call(1, ctx))
    });
    let bulkhead = Step.bulkhead(BulkheadConfig::default());
    group.bench_function("bulkhead", |b| {
        b.to_async(&rt).iter(|| bulkhead.call(1, ctx))
    });
    let limited = Step.rate_limit(
        RateLimitConfig::per_second(1e12)
            .burst(u32::MAX)
            .build()
            .expect("valid"),
    );
    group.bench_function("rate_limit", |b| {
        b.to_async(&rt).iter(|| limited.call(1, ctx))
    });
    group.finish();

    let mut group = c.benchmark_group("cache");
    group.bench_function("bare", |b| b.to_async(&rt).iter(|| bare(1)));
    let cached = Step.cached(
        CacheConfig::builder()
            .max_capacity(1_000)
            .build()
            .expect("valid"),
    );
    rt.block_on(cached.call(1, ctx)).expect("warm");
    group.bench_function("hit", |b| b.to_async(&rt).iter(|| cached.call(1, ctx)));
    let mut key = 1_000_000;
    group.bench_function("bare x8", |b| {
        b.to_async(&rt).iter(|| {
            join_all((0..8).map(|_| async {
                tokio::task::yield_now().await;
                bare(1).await
            }))
        })
    });
    let coalescing = YieldOnce.cached(
        CacheConfig::builder()
            .max_capacity(1_000)
            .build()
            .expect("valid"),
    );
    let coalescing = &coalescing;
    group.bench_function("miss coalesced x8", |b| {
        b.to_async(&rt).iter_batched(
            || {
                key += 1;
                key
            },
            |key| join_all((0..8).map(move |_| coalescing.call(key, ctx))),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // Reporting a model call's usage, beside the same execution without it
    // and beside hand-written counters, in the same run.
    let mut group = c.benchmark_group("llm_usage");
    group.bench_function("bare", |b| b.to_async(&rt).iter(|| bare(1)));
    group.bench_function("primitive", |b| b.to_async(&rt).iter(|| Noop.call(1, ctx)));
    group.bench_function("primitive + record_usage", |b| {
        b.to_async(&rt).iter(|| ReportUsage.call(1, ctx))
    });
    group.bench_function("primitive + hand-written counters", |b| {
        b.to_async(&rt).iter(|| ReportByHand.call(1, ctx))
    });
    group.finish();
}
