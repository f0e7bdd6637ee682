//! The shared tier against a real `redis-server` started by the test:
//! limits, budgets and the cache tier, what happens when Redis dies and
//! comes back, and bad input (URLs, passwords, undecodable values).
//! The multi-process checks are in `tests/shared_redis_replicas.rs`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tta::catalog;
use tta::llm::{Usage, Usd};
use tta::prelude::*;
use tta::redis::{FailureMode, RedisStore, SharedTierConfig, StoreError};
use tta::resilience::{CacheConfig, OnLimit, RateLimitConfig, TokenLimitConfig};
use tta_test_support::metrics;
use tta_test_support::redis_server::RedisServer;

fn store(server: &RedisServer, prefix: &str) -> RedisStore {
    RedisStore::builder(server.url())
        .prefix(prefix)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap()
}

fn echo(name: &'static str) -> impl Primitive<Input = u32, Output = u32> {
    from_fn(name, |n: u32, _ctx| async move { Ok(n) })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_limit_admits_the_burst_then_spaces_calls_by_the_servers_clock() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = store(&server, "limit-basic:");
    let config = || {
        RateLimitConfig::per_second(10.0)
            .burst(3)
            .on_limit(OnLimit::Reject)
            .build()
            .unwrap()
    };
    // Two "replicas" in one process: separate limiters, one shared key.
    let a = echo("limited_a")
        .rate_limit(config())
        .shared(store.rate_limiter("api", FailureMode::Closed));
    let b = echo("limited_b")
        .rate_limit(config())
        .shared(store.rate_limiter("api", FailureMode::Closed));
    let mut admitted = 0;
    let mut retry_after = None;
    for n in 0..10 {
        let limiter = if n % 2 == 0 { &a } else { &b };
        match limiter.run(n).await {
            Ok(_) => admitted += 1,
            Err(Error::RateLimited { retry_after: after }) => retry_after = after,
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(admitted, 3, "the burst, shared by both");
    let retry_after = retry_after.unwrap();
    assert!(
        retry_after > Duration::ZERO && retry_after <= Duration::from_millis(100),
        "{retry_after:?}"
    );

    // A waiting limiter gets reserved slots, one interval apart.
    let waiting = echo("limited_wait")
        .rate_limit(RateLimitConfig::per_second(20.0).burst(1).build().unwrap())
        .shared(store.rate_limiter("wait", FailureMode::Closed));
    let started = tokio::time::Instant::now();
    for n in 0..5 {
        waiting.run(n).await.unwrap();
    }
    // Four intervals of 50 ms after the first: not less (the schedule).
    assert!(
        started.elapsed() >= Duration::from_millis(195),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_token_limit_charges_each_calls_estimate_across_replicas() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = store(&server, "tpm:");
    let config = || {
        TokenLimitConfig::per_minute(1_000)
            .on_limit(OnLimit::Reject)
            .build()
            .unwrap()
    };
    let replica = |name: &'static str| {
        from_fn(name, |prompt: String, _ctx| async move { Ok(prompt.len()) })
            .token_limit(config(), |prompt: &String| prompt.len() as u64)
            .shared(store.rate_limiter("tpm", FailureMode::Closed))
    };
    let (a, b) = (replica("tpm_a"), replica("tpm_b"));
    // 1,000 tokens a minute between them: 600 + 400 fit, then nothing.
    a.run("x".repeat(600)).await.unwrap();
    b.run("x".repeat(400)).await.unwrap();
    let refused = a.run("x".repeat(10)).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::RateLimited, "{refused}");
    // An estimate bigger than the whole limit is a clear error.
    let error = b.run("x".repeat(1_001)).await.unwrap_err();
    assert!(error.to_string().contains("more than"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_budget_reserves_settles_and_refuses_past_its_limit() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = store(&server, "budget:");
    // Each call reserves 1 cent and really costs what gpt-4o-mini bills
    // for 10,000 input tokens: 0.15 cents.
    let call = from_fn("priced_call", |n: u32, ctx: WorkflowContext| async move {
        ctx.record_usage(Usage::new("openai", "gpt-4o-mini").input_tokens(10_000))?;
        Ok(n)
    });
    let budget = store.budget(call, "team-a", Usd::from_cents(2), |_: &u32| {
        Usd::from_cents(1)
    });
    for n in 0..7 {
        budget.run(n).await.unwrap();
    }
    assert_eq!(
        budget.spent().await.unwrap(),
        Usd::from_nanos(7 * 1_500_000)
    );
    // 7 × 0.15 = 1.05 cents spent: a 1-cent reservation no longer fits.
    let refused = budget.run(99).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::BudgetExceeded, "{refused}");
    assert!(!refused.is_transient());
    assert_eq!(
        budget.spent().await.unwrap(),
        Usd::from_nanos(7 * 1_500_000),
        "nothing reserved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_tier_answers_other_replicas_and_never_returns_an_undecodable_value() {
    metrics::install();
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = store(&server, "cache:");
    let calls = Arc::new(AtomicU32::new(0));
    let replica = |name: &'static str| {
        let calls = Arc::clone(&calls);
        let compute = from_fn(name, move |n: u32, _ctx| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok(format!("answer {n}")) }
        });
        store.shared_cache(
            compute,
            "answers",
            |n: &u32| n.to_string(),
            CacheConfig::builder().max_capacity(100).build().unwrap(),
            SharedTierConfig::ttl(Duration::from_secs(60)),
        )
    };
    let (first, second) = (replica("compute_1"), replica("compute_2"));
    assert_eq!(first.run(7).await.unwrap(), "answer 7");
    assert_eq!(
        second.run(7).await.unwrap(),
        "answer 7",
        "from Redis, not computed"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let name = [("primitive_name", "shared_tier(compute_2)")];
    assert_eq!(metrics::counter(catalog::CACHE_L2_HITS_TOTAL, &name), 1);
    let won = [
        ("primitive_name", "shared_tier(compute_1)"),
        ("outcome", "won"),
    ];
    assert_eq!(metrics::counter(catalog::CACHE_LEASES_TOTAL, &won), 1);
    let gets = metrics::histogram(
        catalog::REDIS_COMMAND_SECONDS,
        &[("command", "cache_get"), ("status", "ok")],
    );
    assert!(gets.len() >= 2, "round trips are timed: {gets:?}");

    // A value written by another version of the type: a counted miss, then
    // computed again and overwritten, never returned.
    let mut connection = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("cache:cache:answers:8")
        .arg("{\"not\": \"a string\"}")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(second.run(8).await.unwrap(), "answer 8");
    let undecodable = [
        ("primitive_name", "shared_tier(compute_2)"),
        ("reason", "undecodable"),
    ];
    assert_eq!(
        metrics::counter(catalog::CACHE_L2_MISSES_TOTAL, &undecodable),
        1
    );
    assert_eq!(first.run(8).await.unwrap(), "answer 8", "the fixed value");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_dies_open_goes_on_closed_fails_fast_and_both_resume() {
    metrics::install();
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = store(&server, "fault:");
    let config = || {
        RateLimitConfig::per_second(1000.0)
            .burst(1000)
            .build()
            .unwrap()
    };
    let open = echo("fault_open")
        .rate_limit(config())
        .shared(store.rate_limiter("fault", FailureMode::Open));
    let closed = echo("fault_closed")
        .rate_limit(config())
        .shared(store.rate_limiter("fault", FailureMode::Closed));
    open.run(1).await.unwrap();
    closed.run(1).await.unwrap();

    server.kill();
    let degraded = |name: &str, mode: &str| {
        metrics::counter(
            catalog::SHARED_DEGRADED_TOTAL,
            &[
                ("primitive_name", name),
                ("shared", "rate_limit"),
                ("mode", mode),
            ],
        )
    };
    for n in 0..20 {
        open.run(n).await.unwrap();
        let error = closed.run(n).await.unwrap_err();
        assert!(error.is_transient(), "{error}");
        assert!(error.to_string().contains("unavailable"), "{error}");
    }
    assert_eq!(degraded("rate_limit(fault_open)", "open"), 20);
    assert_eq!(degraded("rate_limit(fault_closed)", "closed"), 20);
    // Every failed call was bounded by the store's timeout; the test above
    // waited for nothing longer (20 × 2 calls at most 200 ms each).

    server.restart();
    // Resumes by itself, once the connection is remade (bounded: 10 s).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if closed.run(0).await.is_ok() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the shared mode did not resume"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = degraded("rate_limit(fault_open)", "open");
    open.run(0).await.unwrap();
    assert_eq!(
        degraded("rate_limit(fault_open)", "open"),
        before,
        "shared again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_urls_and_wrong_passwords_are_clear_errors_never_panics() {
    metrics::install();
    for url in ["not a url", "http://127.0.0.1:6379/", "redis://:@[::1"] {
        let error = RedisStore::open(url).unwrap_err();
        assert!(matches!(error, StoreError::Url { .. }), "{url}: {error}");
    }
    let Some(server) = RedisServer::start_with_password(Some("right-password")) else {
        return;
    };
    let good = RedisStore::open(&server.url()).unwrap();
    good.ping().await.unwrap();

    let wrong = RedisStore::builder(server.url_with_password("wrong-password"))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = wrong.ping().await.unwrap_err().to_string();
    assert!(error.contains("authentication failed"), "{error}");
    assert!(
        !error.contains("wrong-password"),
        "the password never shows: {error}"
    );
    assert!(!wrong.url().contains("wrong-password"));

    // A limiter on the wrong password degrades, counted, and never panics.
    let limited = echo("wrong_password")
        .rate_limit(RateLimitConfig::per_second(10.0).build().unwrap())
        .shared(wrong.rate_limiter("x", FailureMode::Open));
    limited.run(1).await.unwrap();
    let degraded = metrics::counter(
        catalog::SHARED_DEGRADED_TOTAL,
        &[
            ("primitive_name", "rate_limit(wrong_password)"),
            ("mode", "open"),
        ],
    );
    assert_eq!(degraded, 1);
}
