//! The benchmark groups, run once per telemetry state. Every group starts
//! with `bare`, and every group with a peer runs it in the same run, so
//! criterion's report shows what each layer adds beside what the peer adds.

use std::time::Duration;

use std::future::Future;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion};
use futures_util::future::join_all;
use tokio::runtime::Runtime;
use tta::prelude::*;

use crate::peers::{self, HandWritten};
use crate::steps::{Noop, ReportByHand, ReportUsage, Step, YieldOnce, bare};

/// Runs every group.
pub fn all(c: &mut Criterion) {
    let rt = crate::runtime();
    let ctx = WorkflowContext::new();
    let ctx = &ctx;

    let mut group = c.benchmark_group("single");
    group.bench_function("bare", |b| b.to_async(&rt).iter(|| bare(1)));
    group.bench_function("peer: #[instrument]", |b| {
        b.to_async(&rt).iter(|| peers::instrumented(1))
    });
    let hand_written = HandWritten::default();
    group.bench_function("peer: #[instrument] + clock + counter + histogram", |b| {
        b.to_async(&rt).iter(|| hand_written.call(1))
    });
    group.bench_function("primitive", |b| b.to_async(&rt).iter(|| Noop.call(1, ctx)));
    group.finish();

    // What `.run` adds over `.call`: a fresh context (ids, a trace id, a
    // cancellation token, a ledger), the workflow metrics and INFO events.
    let mut group = c.benchmark_group("run");
    group.bench_function("WorkflowContext::new", |b| b.iter(WorkflowContext::new));
    group.bench_function("call", |b| b.to_async(&rt).iter(|| Noop.call(1, ctx)));
    group.bench_function("run", |b| b.to_async(&rt).iter(|| Noop.run(1)));
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

    resilience(c, &rt, ctx);
    cache(c, &rt, ctx);

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

/// Each wrapper on its happy path, beside the tower peer for the same job.
/// The peers are called as a shared tower service is: a clone, then
/// `oneshot`; `peer: bare service` is their baseline.
fn resilience(c: &mut Criterion, rt: &Runtime, ctx: &WorkflowContext) {
    let mut group = c.benchmark_group("resilience_happy_path");
    group.bench_function("bare", |b| b.to_async(rt).iter(|| bare(1)));
    let service = peers::service();
    group.bench_function("peer: bare service", |b| {
        b.to_async(rt).iter(|| peers::oneshot(&service, 1))
    });

    let retry = Step.retry(RetryPolicy::default());
    let peer = peers::retry();
    beside(
        &mut group,
        rt,
        ("retry", || retry.call(1, ctx)),
        ("tower-resilience retry", || peers::oneshot(&peer, 1)),
    );

    let timeout = Step.timeout(Duration::from_secs(60));
    let peer = peers::timeout();
    beside(
        &mut group,
        rt,
        ("timeout", || timeout.call(1, ctx)),
        ("tower timeout", || peers::oneshot(&peer, 1)),
    );

    let breaker = Step.circuit_breaker(CircuitBreakerConfig::default());
    let peer = peers::circuit_breaker();
    beside(
        &mut group,
        rt,
        ("circuit_breaker", || breaker.call(1, ctx)),
        ("tower-resilience circuit breaker", || {
            peers::oneshot(&peer, 1)
        }),
    );

    let bulkhead = Step.bulkhead(BulkheadConfig::default());
    let peer = peers::bulkhead();
    beside(
        &mut group,
        rt,
        ("bulkhead", || bulkhead.call(1, ctx)),
        ("tower-resilience bulkhead", || peers::oneshot(&peer, 1)),
    );

    let limited = Step.rate_limit(
        RateLimitConfig::per_second(1e12)
            .burst(u32::MAX)
            .build()
            .expect("valid"),
    );
    let peer = peers::rate_limit();
    beside(
        &mut group,
        rt,
        ("rate_limit", || limited.call(1, ctx)),
        ("tower-resilience rate limiter", || peers::oneshot(&peer, 1)),
    );
    group.finish();
}

/// Benches one of ours, then its peer (named `peer: {name}`), in the same
/// group: both futures are built per iteration and awaited unboxed.
fn beside<O, P>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    (name, mut ours): (&str, impl FnMut() -> O),
    (peer, mut theirs): (&str, impl FnMut() -> P),
) where
    O: Future,
    P: Future,
{
    group.bench_function(name, |b| b.to_async(rt).iter(&mut ours));
    group.bench_function(format!("peer: {peer}"), |b| {
        b.to_async(rt).iter(&mut theirs)
    });
}

/// A cache hit beside tower-resilience's and a bare moka lookup, and a
/// coalesced miss.
fn cache(c: &mut Criterion, rt: &Runtime, ctx: &WorkflowContext) {
    let mut group = c.benchmark_group("cache");
    group.bench_function("bare", |b| b.to_async(rt).iter(|| bare(1)));
    let cached = Step.cached(
        CacheConfig::builder()
            .max_capacity(1_000)
            .build()
            .expect("valid"),
    );
    rt.block_on(cached.call(1, ctx)).expect("warm");
    group.bench_function("hit", |b| b.to_async(rt).iter(|| cached.call(1, ctx)));
    let service = peers::service();
    group.bench_function("peer: bare service", |b| {
        b.to_async(rt).iter(|| peers::oneshot(&service, 1))
    });
    let peer = peers::cache();
    rt.block_on(peers::oneshot(&peer, 1)).expect("warm");
    group.bench_function("peer: tower-resilience cache hit", |b| {
        b.to_async(rt).iter(|| peers::oneshot(&peer, 1))
    });
    let moka = moka::future::Cache::<u64, u64>::new(1_000);
    rt.block_on(moka.insert(1, 2));
    group.bench_function("peer: moka get", |b| b.to_async(rt).iter(|| moka.get(&1)));

    let mut key = 1_000_000;
    group.bench_function("bare x8", |b| {
        b.to_async(rt).iter(|| {
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
        b.to_async(rt).iter_batched(
            || {
                key += 1;
                key
            },
            |key| join_all((0..8).map(move |_| coalescing.call(key, ctx))),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}
