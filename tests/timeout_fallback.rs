//! Timeout and fallback: cancellation of the inner future, the deadline,
//! the fallback order, every error kept, and their counters.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tta::catalog::{FALLBACK_TOTAL, TIMEOUTS_TOTAL};
use tta::prelude::*;
use tta::testing::Mock;
use tta_test_support::metrics::{counter, install};
use tta_test_support::primitives::{Observed, add};

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn a_timeout_drops_the_inner_future_and_counts_it() {
    install();
    let slow = Observed::new("t_slow", 10 * SECOND);
    let (finished, dropped) = (slow.finished.clone(), slow.dropped_early.clone());
    let bounded = slow.timeout(2 * SECOND);

    let started = tokio::time::Instant::now();
    let error = bounded.run(1).await.unwrap_err();

    assert!(
        matches!(error, Error::Timeout { after } if after == 2 * SECOND),
        "{error:?}"
    );
    assert_eq!(started.elapsed(), 2 * SECOND);
    assert!(
        dropped.load(Ordering::SeqCst),
        "the inner future was dropped"
    );
    assert!(!finished.load(Ordering::SeqCst));
    assert_eq!(
        counter(TIMEOUTS_TOTAL, &[("primitive_name", "timeout(t_slow)")]),
        1
    );

    // Within the limit nothing is counted.
    let fast = Observed::new("t_fast", SECOND).timeout(2 * SECOND);
    assert_eq!(fast.run(5).await.unwrap(), 5);
    assert_eq!(
        counter(TIMEOUTS_TOTAL, &[("primitive_name", "timeout(t_fast)")]),
        0
    );
}

#[tokio::test(start_paused = true)]
async fn the_context_deadline_tightens_the_limit() {
    let bounded = Observed::new("t_deadline", 10 * SECOND).timeout(5 * SECOND);
    let ctx = WorkflowContext::builder().timeout(SECOND).build();
    let error = bounded.call(1, &ctx).await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { after } if after == SECOND),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_fallback_answers_when_the_limit_passes() {
    let bounded = Observed::new("t_primary", 10 * SECOND)
        .timeout(SECOND)
        .or_else(add("t_fallback", 100));
    assert_eq!(bounded.run(1).await.unwrap(), 101);
}

#[tokio::test]
async fn alternatives_run_in_order_until_one_succeeds() {
    install();
    let primary = Mock::<i64, i64>::new("f_primary").then_fail(Error::transient("429"));
    let second = Mock::new("f_second").then_fail(Error::msg("500"));
    let third = Mock::new("f_third").then_return(3);
    let chain = primary.clone().fallback(second.clone()).or(third.clone());
    assert_eq!(chain.name(), "fallback(f_primary, f_second, f_third)");

    assert_eq!(chain.run(9).await.unwrap(), 3);
    assert_eq!(
        (primary.calls(), second.calls(), third.calls()),
        (vec![9], vec![9], vec![9])
    );

    let used = |used| {
        counter(
            FALLBACK_TOTAL,
            &[("primitive_name", chain.name()), ("used", used)],
        )
    };
    assert_eq!((used("primary"), used("1"), used("2")), (0, 0, 1));
}

#[tokio::test]
async fn all_failed_keeps_every_error_in_order() {
    let chain = Mock::<(), ()>::new("f_a")
        .then_fail(Error::msg("first"))
        .fallback(Mock::new("f_b").then_fail(Error::transient("second")))
        .or(Mock::new("f_c").then_fail(Error::Timeout { after: SECOND }));
    let Err(Error::AllFailed { errors }) = chain.run(()).await else {
        panic!("expected AllFailed")
    };
    let messages: Vec<_> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(messages, ["first", "second", "timed out after 1s"]);
}

#[tokio::test]
async fn a_cancelled_run_stops_without_trying_alternatives() {
    // The run is cancelled while the primary runs: the alternatives are not
    // tried, whatever error the primary returned.
    let backup = Mock::<(), ()>::new("f_backup").then_return(());
    let primary = from_fn(
        "f_cancels_the_run",
        |_: (), ctx: WorkflowContext| async move {
            ctx.cancel();
            Err::<(), _>(Error::transient("503"))
        },
    );
    let chain = primary.fallback(backup.clone());
    assert!(matches!(chain.run(()).await, Err(Error::Cancelled)));
    assert_eq!(backup.call_count(), 0);
}

#[tokio::test]
async fn a_primary_that_cancelled_its_own_child_context_falls_back() {
    // The primary runs a sub-workflow under a child context it cancels
    // itself; the caller's run is still live, so the fallback must answer.
    let primary = from_fn("f_own_cancel", |_: i64, ctx: WorkflowContext| {
        let child = ctx.child().build();
        child.cancel();
        async move { add("f_inner", 1).call(1, &child).await }
    });
    let backup = from_fn("f_backup", |x: i64, _ctx| async move { Ok(x + 100) });
    assert_eq!(primary.fallback(backup).run(1).await.unwrap(), 101);
}

#[tokio::test]
async fn a_cancelled_run_stops_the_fallback() {
    let ctx = WorkflowContext::new();
    ctx.cancel();
    let backup_ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = backup_ran.clone();
    let backup = from_fn("f_unreached", move |x: i64, _ctx| {
        seen.store(true, Ordering::SeqCst);
        async move { Ok(x) }
    });
    let error = add("f_primary", 1)
        .fallback(backup)
        .call(1, &ctx)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Cancelled), "{error:?}");
    assert!(!backup_ran.load(Ordering::SeqCst));
}
