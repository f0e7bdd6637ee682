//! Bulkhead and rate limit: the queue, rejection, waiting versus rejecting,
//! the deadline, and what a dropped call gives back.

#![allow(clippy::unwrap_used)] // configuration helpers outside #[test] fns panic on purpose

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;
use tta::prelude::*;
use tta::resilience::{BulkheadConfig, OnLimit, RateLimitConfig};
use tta_test_support::primitives::sleepy;

const MS: Duration = Duration::from_millis(1);

/// Polls `future` once, so it takes whatever it takes on its first poll.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(std::task::Waker::noop()))
}

fn bulkhead(concurrent: usize, queue: usize, queue_timeout: Option<Duration>) -> BulkheadConfig {
    let builder = BulkheadConfig::builder()
        .max_concurrent(concurrent)
        .max_queue(queue);
    match queue_timeout {
        Some(timeout) => builder.queue_timeout(timeout),
        None => builder,
    }
    .build()
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_full_bulkhead_queues_then_rejects() {
    let limited = sleepy("b_queue", 100).bulkhead(bulkhead(1, 1, None));
    let start = Instant::now();
    let limited = &limited;
    let results = join_all((0..3).map(|x| async move {
        let result = limited.run(x).await;
        (result.is_ok(), start.elapsed())
    }))
    .await;
    // One runs, one waits its turn, one finds the queue full.
    assert_eq!(
        results,
        [(true, 100 * MS), (true, 200 * MS), (false, Duration::ZERO)]
    );
    assert_eq!(limited.available(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_queue_timeout_and_the_deadline_bound_the_wait() {
    let limited = sleepy("b_wait", 1_000).bulkhead(bulkhead(1, 5, Some(300 * MS)));
    let (first, second) = tokio::join!(limited.run(1), limited.run(2));
    assert!(first.is_ok());
    let error = second.unwrap_err();
    assert!(
        matches!(&error, Error::BulkheadFull { name } if name == "bulkhead(b_wait)"),
        "{error:?}"
    );
    assert!(error.is_transient());

    let limited = sleepy("b_deadline", 1_000).bulkhead(bulkhead(1, 5, None));
    let ctx = WorkflowContext::builder().timeout(200 * MS).build();
    let start = Instant::now();
    let (_, second) = tokio::join!(limited.run(1), async {
        let result = limited.call(2, &ctx).await;
        (result, start.elapsed())
    });
    assert!(matches!(second.0, Err(Error::BulkheadFull { .. })));
    assert_eq!(second.1, 200 * MS, "gave up at the deadline");
}

#[tokio::test(start_paused = true)]
async fn a_dropped_call_releases_its_slot() {
    let limited = sleepy("b_drop", 1_000).bulkhead(bulkhead(1, 0, None));
    {
        let mut running = pin!(limited.run(1));
        assert!(poll_once(running.as_mut()).is_pending());
        assert_eq!(limited.available(), 0);
    }
    assert_eq!(limited.available(), 1);
    assert_eq!(limited.run(2).await.unwrap(), 2);
}

#[test]
fn invalid_bulkheads_name_the_field() {
    let error = BulkheadConfig::builder()
        .max_concurrent(0)
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "max_concurrent");
    let error = BulkheadConfig::builder()
        .queue_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "queue_timeout");
}

fn limiter(per_second: f64, burst: u32, on_limit: OnLimit) -> RateLimitConfig {
    RateLimitConfig::per_second(per_second)
        .burst(burst)
        .on_limit(on_limit)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn waiting_mode_spaces_calls_at_the_rate_after_the_burst() {
    let limited = sleepy("rl_wait", 0).rate_limit(limiter(10.0, 2, OnLimit::Wait));
    let start = Instant::now();
    let mut finished = Vec::new();
    for x in 0..5 {
        limited.run(x).await.unwrap();
        finished.push(start.elapsed());
    }
    assert_eq!(
        finished,
        [Duration::ZERO, Duration::ZERO, 100 * MS, 200 * MS, 300 * MS]
    );
}

#[tokio::test(start_paused = true)]
async fn reject_mode_fails_at_once_with_the_time_until_a_token() {
    let limited = sleepy("rl_reject", 0).rate_limit(limiter(4.0, 1, OnLimit::Reject));
    limited.run(1).await.unwrap();
    let error = limited.run(2).await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(after) } if after == 250 * MS),
        "{error:?}"
    );
    assert!(error.is_transient());
    tokio::time::advance(250 * MS).await;
    limited.run(3).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn waiting_never_outlasts_the_deadline_or_max_wait() {
    let limited = sleepy("rl_deadline", 0).rate_limit(limiter(1.0, 1, OnLimit::Wait));
    limited.run(1).await.unwrap();
    let ctx = WorkflowContext::builder().timeout(500 * MS).build();
    let start = Instant::now();
    let error = limited.call(2, &ctx).await.unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "rejected without waiting in vain"
    );

    let patient = RateLimitConfig::per_second(1.0)
        .burst(1)
        .max_wait(100 * MS)
        .build()
        .unwrap();
    let limited = sleepy("rl_max_wait", 0).rate_limit(patient);
    limited.run(1).await.unwrap();
    assert!(matches!(
        limited.run(2).await,
        Err(Error::RateLimited { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn an_abandoned_wait_gives_its_token_back() {
    let limited = sleepy("rl_refund", 0).rate_limit(limiter(1.0, 1, OnLimit::Wait));
    limited.run(1).await.unwrap();
    {
        let mut waiting = pin!(limited.run(2));
        assert!(
            poll_once(waiting.as_mut()).is_pending(),
            "waits for the token due in 1 s"
        );
    }
    // Had the dropped call kept its reservation, this one would wait 2 s.
    let start = Instant::now();
    limited.run(3).await.unwrap();
    assert_eq!(start.elapsed(), 1_000 * MS);
}

#[test]
fn invalid_rate_limits_name_the_field() {
    for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let error = RateLimitConfig::per_second(rate).build().unwrap_err();
        assert_eq!(error.field(), "rate", "{rate}");
    }
    let error = RateLimitConfig::per_second(5.0)
        .burst(0)
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "burst");
}
