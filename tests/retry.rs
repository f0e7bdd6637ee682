//! Retry: exact backoff on tokio's paused clock, the predicate, the limits,
//! and the attempt metrics, spans and events.

#![allow(clippy::unwrap_used)] // configuration helpers outside #[test] fns panic on purpose

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tta::catalog::RETRY_ATTEMPTS_TOTAL;
use tta::prelude::*;
use tta::resilience::{Backoff, Jitter, RetryPolicy};
use tta::testing::Mock;
use tta_test_support::metrics::{counter, install};
use tta_test_support::spans::capture;

const MS: Duration = Duration::from_millis(1);

/// A primitive that always fails with `error()` and records when it was called.
fn always_failing(
    name: &'static str,
    error: fn() -> Error,
) -> (
    impl Primitive<Input = (), Output = ()>,
    Arc<Mutex<Vec<Duration>>>,
) {
    let start = Instant::now();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&calls);
    let primitive = from_fn(name, move |_: (), _ctx| {
        let seen = Arc::clone(&seen);
        async move {
            seen.lock().unwrap().push(start.elapsed());
            Err::<(), _>(error())
        }
    });
    (primitive, calls)
}

fn policy(attempts: u32, backoff: Backoff, jitter: Jitter) -> RetryPolicy {
    RetryPolicy::builder()
        .max_attempts(attempts)
        .backoff(backoff)
        .jitter(jitter)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn exponential_backoff_without_jitter_waits_exactly() {
    let (flaky, calls) = always_failing("r_exact", || Error::transient("503"));
    let retry = flaky.retry(policy(4, Backoff::exponential(100 * MS), Jitter::None));

    let error = retry.run(()).await.unwrap_err();

    assert_eq!(
        *calls.lock().unwrap(),
        [Duration::ZERO, 100 * MS, 300 * MS, 700 * MS]
    );
    let Error::RetriesExhausted { attempts, last } = error else {
        panic!("expected RetriesExhausted, got {error:?}")
    };
    assert_eq!(attempts, 4);
    assert_eq!(last.to_string(), "503");
}

#[tokio::test(start_paused = true)]
async fn full_jitter_never_waits_longer_than_the_backoff() {
    let (flaky, calls) = always_failing("r_jitter", || Error::transient("503"));
    let retry = flaky.retry(policy(8, Backoff::constant(100 * MS), Jitter::Full));
    retry.run(()).await.unwrap_err();

    let calls = calls.lock().unwrap();
    assert_eq!(calls.len(), 8);
    for gap in calls.windows(2).map(|pair| pair[1] - pair[0]) {
        assert!(gap <= 100 * MS, "{gap:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn errors_the_predicate_rejects_are_returned_after_one_attempt() {
    let (permanent, calls) = always_failing("r_permanent", || Error::msg("bad request"));
    let error = permanent
        .retry(RetryPolicy::default())
        .run(())
        .await
        .unwrap_err();
    assert_eq!(calls.lock().unwrap().len(), 1);
    assert!(
        matches!(
            error,
            Error::User {
                transient: false,
                ..
            }
        ),
        "unchanged: {error:?}"
    );

    // Not transient by default, so the circuit is not hammered.
    let (open, calls) = always_failing("r_open", || Error::CircuitOpen { name: "cb".into() });
    open.retry(RetryPolicy::default())
        .run(())
        .await
        .unwrap_err();
    assert_eq!(calls.lock().unwrap().len(), 1);

    let (permanent, calls) = always_failing("r_custom", || Error::msg("bad request"));
    let everything = RetryPolicy::builder()
        .max_attempts(3)
        .retry_if(|_| true)
        .build()
        .unwrap();
    permanent.retry(everything).run(()).await.unwrap_err();
    assert_eq!(calls.lock().unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn no_attempt_starts_that_would_end_past_the_deadline() {
    let (flaky, calls) = always_failing("r_deadline", || Error::transient("503"));
    let retry = flaky.retry(policy(10, Backoff::constant(100 * MS), Jitter::None));
    let ctx = WorkflowContext::builder().timeout(250 * MS).build();

    let error = retry.call((), &ctx).await.unwrap_err();

    // Attempts at 0, 100 and 200 ms; the next would start at 300 ms.
    assert_eq!(*calls.lock().unwrap(), [Duration::ZERO, 100 * MS, 200 * MS]);
    assert!(
        matches!(error, Error::RetriesExhausted { attempts: 3, .. }),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_bounds_the_whole_retry() {
    let (flaky, calls) = always_failing("r_elapsed", || Error::transient("503"));
    let limited = RetryPolicy::builder()
        .max_attempts(10)
        .backoff(Backoff::linear(100 * MS, 100 * MS))
        .jitter(Jitter::None)
        .max_elapsed(500 * MS)
        .build()
        .unwrap();
    flaky.retry(limited).run(()).await.unwrap_err();
    // 0, 100, 300; the next would start at 600 ms.
    assert_eq!(*calls.lock().unwrap(), [Duration::ZERO, 100 * MS, 300 * MS]);
}

#[tokio::test(start_paused = true)]
async fn attempts_are_counted_by_number_and_status() {
    install();
    let model = Mock::new("r_metrics")
        .then_fail(Error::transient("429"))
        .then_fail(Error::transient("503"))
        .then_return(7);
    let retry = model
        .clone()
        .retry(policy(5, Backoff::constant(MS), Jitter::None));

    assert_eq!(retry.run(1).await.unwrap(), 7);
    assert_eq!(model.calls(), [1, 1, 1]);

    let name = ("primitive_name", "retry(r_metrics)");
    let attempts = |attempt, status| {
        counter(
            RETRY_ATTEMPTS_TOTAL,
            &[name, ("attempt", attempt), ("status", status)],
        )
    };
    assert_eq!(attempts("1", "error"), 1);
    assert_eq!(attempts("2", "error"), 1);
    assert_eq!(attempts("3", "success"), 1);
    assert_eq!(attempts("1", "success"), 0);
    assert_eq!(attempts("10+", "error"), 0);
}

#[tokio::test(start_paused = true)]
async fn attempts_past_ten_share_one_label() {
    install();
    let (flaky, _calls) = always_failing("r_many", || Error::transient("503"));
    flaky
        .retry(policy(12, Backoff::constant(MS), Jitter::None))
        .run(())
        .await
        .unwrap_err();
    let name = ("primitive_name", "retry(r_many)");
    assert_eq!(
        counter(
            RETRY_ATTEMPTS_TOTAL,
            &[name, ("attempt", "10"), ("status", "error")]
        ),
        1
    );
    assert_eq!(
        counter(
            RETRY_ATTEMPTS_TOTAL,
            &[name, ("attempt", "10+"), ("status", "error")]
        ),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn each_attempt_is_a_child_span_with_its_number_and_events() {
    let (_guard, captured) = capture();
    let model = Mock::new("r_spans")
        .then_fail(Error::transient("503"))
        .then_return(1);
    model
        .retry(policy(3, Backoff::constant(MS), Jitter::None))
        .run(0)
        .await
        .unwrap();

    assert_eq!(captured.tree(), "retry(r_spans)\n  r_spans\n  r_spans\n");
    let attempts: Vec<_> = captured
        .spans()
        .iter()
        .filter_map(|span| span.field("tta.retry.attempt").map(str::to_owned))
        .collect();
    assert_eq!(attempts, ["1", "2"]);
    assert_eq!(captured.events_named("retry_attempt_start").len(), 2);
    assert_eq!(captured.events_named("retry_attempt_failed").len(), 1);
    assert_eq!(captured.events_named("retry_attempt_success").len(), 1);

    let (flaky, _calls) = always_failing("r_exhausted", || Error::transient("503"));
    flaky
        .retry(policy(2, Backoff::constant(MS), Jitter::None))
        .run(())
        .await
        .unwrap_err();
    let exhausted = captured.events_named("retry_exhausted");
    assert_eq!(exhausted.len(), 1);
    assert_eq!(exhausted[0].field("attempts"), Some("2"));
}

#[test]
fn invalid_policies_name_the_field() {
    let error = RetryPolicy::builder()
        .max_attempts(1000)
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "max_attempts");
    assert!(error.to_string().contains("between 1 and 100"), "{error}");
    let error = RetryPolicy::builder()
        .max_elapsed(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "max_elapsed");
}

#[tokio::test(start_paused = true)]
async fn a_rate_limits_retry_after_outweighs_a_shorter_backoff() {
    let (limited, calls) = always_failing("r_retry_after", || Error::RateLimited {
        retry_after: Some(Duration::from_secs(2)),
    });
    let retry = limited.retry(policy(3, Backoff::constant(100 * MS), Jitter::None));
    retry.run(()).await.unwrap_err();
    assert_eq!(
        *calls.lock().unwrap(),
        [
            Duration::ZERO,
            Duration::from_secs(2),
            Duration::from_secs(4)
        ]
    );

    // A wait past the deadline gives up at once instead of sleeping through it.
    let (limited, calls) = always_failing("r_retry_after_deadline", || Error::RateLimited {
        retry_after: Some(Duration::from_secs(30)),
    });
    let retry = limited.retry(policy(3, Backoff::constant(100 * MS), Jitter::None));
    let ctx = WorkflowContext::builder()
        .timeout(Duration::from_secs(10))
        .build();
    let started = Instant::now();
    let error = retry.run_with((), ctx).await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(calls.lock().unwrap().len(), 1);
    assert!(
        matches!(error, Error::RetriesExhausted { attempts: 1, .. }),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_past_duration_max_ends_the_retry_instead_of_panicking() {
    let (flaky, calls) = always_failing("r_huge_wait", || Error::transient("503"));
    let huge = RetryPolicy::builder()
        .max_attempts(3)
        .backoff(Backoff::constant(Duration::MAX).cap(Duration::MAX))
        .jitter(Jitter::None)
        .max_elapsed(Duration::from_secs(3600))
        .build()
        .unwrap();
    let error = flaky.retry(huge).run(()).await.unwrap_err();
    assert!(
        matches!(error, Error::RetriesExhausted { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(calls.lock().unwrap().len(), 1);

    let (flaky, calls) = always_failing("r_huge_decorrelated", || Error::transient("503"));
    let decorrelated = RetryPolicy::builder()
        .max_attempts(2)
        .backoff(Backoff::decorrelated(Duration::MAX).cap(Duration::MAX))
        .max_elapsed(Duration::from_secs(3600))
        .build()
        .unwrap();
    let error = flaky.retry(decorrelated).run(()).await.unwrap_err();
    assert!(matches!(error, Error::RetriesExhausted { .. }), "{error:?}");
    assert_eq!(calls.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_named_retry_counts_its_attempts_under_that_name() {
    install();
    let model = Mock::new("r_named_inner")
        .then_fail(Error::transient("503"))
        .then_return(1);
    let named = model
        .retry(policy(3, Backoff::constant(MS), Jitter::None))
        .named("ask_model");
    assert_eq!(named.run(0).await.unwrap(), 1);
    assert_eq!(
        counter(
            RETRY_ATTEMPTS_TOTAL,
            &[("primitive_name", "ask_model"), ("attempt", "2")]
        ),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn each_failure_is_logged_at_warn_once() {
    let (_guard, captured) = capture();
    let (flaky, _calls) = always_failing("r_warn_once", || Error::transient("503"));
    flaky
        .retry(policy(3, Backoff::constant(MS), Jitter::None))
        .run(())
        .await
        .unwrap_err();
    let warnings: Vec<String> = captured
        .events()
        .iter()
        .filter(|event| event.level == tracing::Level::WARN)
        .map(|event| event.message().to_owned())
        .collect();
    // Two errors swallowed by the retry, then the final one at the top.
    assert_eq!(
        warnings,
        ["retry_scheduled", "retry_scheduled", "primitive_failed"]
    );
    let scheduled = captured.events_named("retry_scheduled");
    assert_eq!(scheduled[0].field("attempt"), Some("1"));
    assert_eq!(scheduled[0].field("wait_ms"), Some("1"));
}
