//! What sharing through Redis adds to a call, over loopback, beside the
//! same primitive kept in the process: the rate limiter, and a cache hit
//! answered by the Redis tier instead of moka. Starts its own
//! `redis-server` (Debian's package); skipped with a note without one.
//!
//! `cargo bench --bench shared_tier`; see docs/benchmarks.md.

use std::time::Duration;

use criterion::Criterion;
use tta::prelude::*;
use tta::redis::{FailureMode, RedisStore, SharedTierConfig};
use tta::resilience::{CacheConfig, RateLimitConfig};
use tta_test_support::redis_server::RedisServer;

fn main() {
    let Some(server) = RedisServer::start() else {
        eprintln!("shared_tier: redis-server is not installed; nothing measured");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let store = RedisStore::builder(server.url())
        .prefix("bench:")
        .timeout(Duration::from_secs(1))
        .build()
        .expect("a store");
    let ctx = WorkflowContext::new();
    let unlimited = || {
        RateLimitConfig::per_second(1e9)
            .burst(u32::MAX)
            .build()
            .expect("a config")
    };
    let echo = |name: &'static str| from_fn(name, |n: u64, _ctx| async move { Ok(n) });
    let local_limit = echo("local").rate_limit(unlimited());
    let shared_limit = echo("shared")
        .rate_limit(unlimited())
        .shared(store.rate_limiter("bench", FailureMode::Closed));
    let key = |n: &u64| n.to_string();
    let moka = echo("moka").cached(
        CacheConfig::builder()
            .max_capacity(100)
            .build()
            .expect("a config"),
    );
    let redis_tier = store.shared_tier(
        echo("tier"),
        "bench",
        key,
        SharedTierConfig::ttl(Duration::from_secs(600)),
    );
    // Warm both caches: every measured lookup is a hit.
    runtime.block_on(async {
        moka.call(1, &ctx).await.expect("a hit");
        redis_tier.call(1, &ctx).await.expect("stored");
    });

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("rate_limit");
    group.bench_function("local", |b| {
        b.to_async(&runtime).iter(|| local_limit.call(1, &ctx))
    });
    group.bench_function("shared (Redis)", |b| {
        b.to_async(&runtime).iter(|| shared_limit.call(1, &ctx))
    });
    group.finish();
    let mut group = criterion.benchmark_group("cache_hit");
    group.bench_function("moka (in process)", |b| {
        b.to_async(&runtime).iter(|| moka.call(1, &ctx))
    });
    group.bench_function("Redis tier", |b| {
        b.to_async(&runtime).iter(|| redis_tier.call(1, &ctx))
    });
    group.finish();
    criterion.final_summary();
}
