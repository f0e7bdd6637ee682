//! The moka-backed cache: coalesced misses, errors never cached, values
//! such as `None` cached, expiry, eviction, and exact counters.

#![allow(clippy::unwrap_used)] // configuration helpers outside #[test] fns panic on purpose

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::join_all;
use tta::catalog::*;
use tta::prelude::*;
use tta::resilience::CacheConfig;
use tta::testing::Mock;
use tta_test_support::metrics::{counter, gauge, install};
use tta_test_support::spans::capture;

/// Counts its calls; takes 50 ms (on tokio's clock) and doubles its input.
fn slow_double(
    name: &'static str,
) -> (impl Primitive<Input = u64, Output = u64>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let primitive = from_fn(name, move |x: u64, _ctx| {
        counted.fetch_add(1, Ordering::SeqCst);
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(x * 2)
        }
    });
    (primitive, calls)
}

fn capacity<K, V>(entries: u64) -> CacheConfig<K, V> {
    CacheConfig::builder()
        .max_capacity(entries)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_hundred_concurrent_misses_make_one_inner_call() {
    install();
    let (double, calls) = slow_double("c_stampede");
    let cached = double.cached(capacity(100));

    let results = join_all((0..100).map(|_| cached.run(21))).await;

    assert!(results.iter().all(|result| *result.as_ref().unwrap() == 42));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let stats = cached.stats();
    assert_eq!(
        (stats.hits, stats.misses, stats.coalesced, stats.lookups),
        (0, 1, 99, 100)
    );

    cached.run(21).await.unwrap();
    let name = [("primitive_name", "cache(c_stampede)")];
    assert_eq!(counter(CACHE_HITS_TOTAL, &name), 1);
    assert_eq!(counter(CACHE_MISSES_TOTAL, &name), 1);
    assert_eq!(counter(CACHE_COALESCED_TOTAL, &name), 99);
    assert_eq!(counter(CACHE_TOTAL, &name), 101);
    assert_eq!(gauge(CACHE_HIT_RATE, &name), Some(1.0 / 101.0));
    cached.run_pending_tasks().await;
    assert_eq!(gauge(CACHE_ENTRIES, &name), Some(1.0));
}

#[tokio::test(start_paused = true)]
async fn errors_are_never_cached() {
    #[derive(Debug, thiserror::Error)]
    #[error("provider overloaded")]
    struct Overloaded;

    let model = Mock::<String, String>::new("c_errors")
        .then_fail(Error::transient(Overloaded))
        .then_return("answer".to_owned());
    let cached = model.clone().cached(capacity(10));

    let error = cached.run("q".to_owned()).await.unwrap_err();
    assert!(
        error.downcast_ref::<Overloaded>().is_some(),
        "the caller that ran it keeps the original"
    );
    assert_eq!(cached.run("q".to_owned()).await.unwrap(), "answer");
    assert_eq!(cached.run("q".to_owned()).await.unwrap(), "answer");
    assert_eq!(model.call_count(), 2);
    let stats = cached.stats();
    assert_eq!((stats.hits, stats.misses), (1, 2));
}

#[tokio::test(start_paused = true)]
async fn callers_coalesced_onto_a_failure_get_its_error() {
    let slow_failure = from_fn("c_shared_error", |_: u8, _ctx| async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        Err::<u8, _>(Error::transient("503"))
    });
    let cached = slow_failure.cached(capacity(10));
    let results = join_all((0..3).map(|_| cached.run(1))).await;
    for result in results {
        let error = result.unwrap_err();
        assert_eq!(error.to_string(), "503");
        assert!(error.is_transient());
    }
    let stats = cached.stats();
    assert_eq!((stats.misses, stats.coalesced), (1, 2));
}

#[tokio::test(start_paused = true)]
async fn none_is_a_value_and_is_cached() {
    let lookup = Mock::<u32, Option<String>>::new("c_none").then_return(None);
    let cached = lookup.clone().cached(capacity(10));
    assert_eq!(cached.run(7).await.unwrap(), None);
    assert_eq!(cached.run(7).await.unwrap(), None);
    assert_eq!(lookup.call_count(), 1);
}

#[tokio::test]
async fn entries_expire_after_their_time_to_live() {
    // moka keeps time on the real clock, so this test waits for real: an
    // entry past its TTL is never returned, so the wait only has a lower bound.
    let ttl = Duration::from_millis(20);
    let (double, calls) = slow_double("c_ttl");
    let config = CacheConfig::builder().time_to_live(ttl).build().unwrap();
    let cached = double.cached(config);

    cached.run(1).await.unwrap();
    tokio::time::sleep(ttl * 3).await;
    cached.run(1).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let (double, calls) = slow_double("c_ttl_long");
    let config = CacheConfig::builder()
        .time_to_live(Duration::from_secs(3600))
        .build()
        .unwrap();
    let cached = double.cached(config);
    cached.run(1).await.unwrap();
    cached.run(1).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn capacity_bounds_the_cache_and_evictions_are_counted() {
    install();
    let (double, _calls) = slow_double("c_capacity");
    let cached = double.cached(capacity(3));
    for x in 0..20 {
        cached.run(x).await.unwrap();
    }
    cached.run_pending_tasks().await;

    let stats = cached.stats();
    assert!(stats.entries <= 3, "{stats:?}");
    assert_eq!(stats.evictions, 20 - stats.entries, "{stats:?}");
    let size = [("primitive_name", "cache(c_capacity)"), ("cause", "size")];
    assert_eq!(counter(CACHE_EVICTIONS_TOTAL, &size), stats.evictions);
}

#[tokio::test(start_paused = true)]
async fn lookups_are_on_the_span_and_keys_are_logged_as_hashes() {
    let (_guard, captured) = capture();
    let (double, _calls) = slow_double("c_span");
    let cached = double.cached_by(capacity(10), |x: &u64| format!("secret-{x}"));
    cached.run(5).await.unwrap();
    cached.run(5).await.unwrap();

    let hits: Vec<_> = captured
        .spans()
        .iter()
        .filter(|span| span.name() == "cache(c_span)")
        .map(|span| span.field("tta.cache.hit").unwrap().to_owned())
        .collect();
    assert_eq!(hits, ["false", "true"]);
    for name in ["cache_miss", "cache_store", "cache_hit"] {
        let events = captured.events_named(name);
        assert_eq!(events.len(), 1, "{name}");
        let hash = events[0].field("key_hash").unwrap();
        assert_eq!(hash.len(), 16);
        assert!(!hash.contains("secret"));
    }
    assert_eq!(
        captured.events_named("cache_hit")[0].field("key_hash"),
        captured.events_named("cache_miss")[0].field("key_hash")
    );
}

#[test]
fn invalid_caches_name_the_field() {
    let error = CacheConfig::<u8, u8>::builder()
        .max_capacity(0)
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "max_capacity");
    let error = CacheConfig::<u8, u8>::builder()
        .time_to_idle(Duration::from_secs(u64::MAX))
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "time_to_idle");
}

#[tokio::test(start_paused = true)]
async fn the_entries_gauge_is_right_at_once_without_housekeeping() {
    install();
    let (double, _calls) = slow_double("c_entries_now");
    let cached = double.cached(capacity(100));
    cached.run(1).await.unwrap();
    cached.run(2).await.unwrap();
    cached.run(2).await.unwrap();
    let name = [("primitive_name", "cache(c_entries_now)")];
    assert_eq!(gauge(CACHE_ENTRIES, &name), Some(2.0));
    assert_eq!(cached.stats().entries, 2);

    cached.invalidate_all();
    cached.run_pending_tasks().await;
    assert_eq!(gauge(CACHE_ENTRIES, &name), Some(0.0));
    assert_eq!(cached.stats().entries, 0);
}

#[tokio::test(start_paused = true)]
async fn a_named_cache_labels_its_own_metrics_with_that_name() {
    install();
    let (double, _calls) = slow_double("c_renamed_inner");
    let workflow = double
        .retry(RetryPolicy::default())
        .cached(capacity(10))
        .named("my_workflow");
    workflow.run(1).await.unwrap();
    workflow.run(1).await.unwrap();

    let mine = [("primitive_name", "my_workflow")];
    assert_eq!(counter(CACHE_HITS_TOTAL, &mine), 1);
    assert_eq!(counter(CACHE_MISSES_TOTAL, &mine), 1);
    assert_eq!(gauge(CACHE_ENTRIES, &mine), Some(1.0));
    // The executions carry the same name, so the two join.
    assert_eq!(
        counter(
            PRIMITIVE_EXECUTIONS_TOTAL,
            &[("primitive_name", "my_workflow"), ("status", "success")]
        ),
        2
    );
    let generated = [("primitive_name", "cache(retry(c_renamed_inner))")];
    assert_eq!(counter(CACHE_TOTAL, &generated), 0);
}
