//! Exact metric values, through the debugging recorder.
//!
//! The recorder is shared by every test in this binary, so each test uses
//! its own primitive names and its own `primitive_type`.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tta::catalog::*;
use tta::prelude::*;
use tta_test_support::metrics::{counter, gauge, histogram, install};
use tta_test_support::primitives::{add, sleepy};

/// Fails on inputs 2 and 5, after 250 ms.
fn flaky(kind: Kind) -> impl Primitive<Input = i64, Output = i64> {
    from_fn("m7_flaky", |x: i64, _ctx| async move {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if x == 2 || x == 5 {
            Err(Error::msg("flaky"))
        } else {
            Ok(x)
        }
    })
    .with_kind(kind)
}

#[tokio::test(start_paused = true)]
async fn seven_runs_with_two_failures_give_exact_counts() {
    install();
    const KIND: Kind = Kind::new("m7_kind");
    let first = from_fn("m7_first", |x: i64, _ctx| async move { Ok(x) }).with_kind(KIND);
    let workflow = Sequential::new(first, flaky(KIND)).named("m7_workflow");
    let mut failures = 0;
    for input in 0..7 {
        failures += usize::from(workflow.run(input).await.is_err());
    }
    assert_eq!(failures, 2);

    let wf = [("workflow_name", "m7_workflow")];
    assert_eq!(
        counter(WORKFLOW_EXECUTIONS_TOTAL, &[wf[0], ("status", "success")]),
        5
    );
    assert_eq!(
        counter(WORKFLOW_EXECUTIONS_TOTAL, &[wf[0], ("status", "error")]),
        2
    );
    assert_eq!(histogram(WORKFLOW_DURATION_SECONDS, &wf), vec![0.25; 7]);

    let flaky = ("primitive_name", "m7_flaky");
    assert_eq!(
        counter(PRIMITIVE_EXECUTIONS_TOTAL, &[flaky, ("status", "success")]),
        5
    );
    assert_eq!(
        counter(PRIMITIVE_EXECUTIONS_TOTAL, &[flaky, ("status", "error")]),
        2
    );
    assert_eq!(
        counter(PRIMITIVE_ERRORS_TOTAL, &[flaky, ("error_kind", "user")]),
        2
    );
    assert_eq!(
        counter(PRIMITIVE_ERRORS_TOTAL, &[flaky]),
        2,
        "no other error kinds"
    );
    assert_eq!(
        histogram(
            EXECUTION_DURATION_SECONDS,
            &[flaky, ("primitive_type", "m7_kind")]
        ),
        vec![0.25; 7]
    );

    let first = ("primitive_name", "m7_first");
    assert_eq!(
        counter(PRIMITIVE_EXECUTIONS_TOTAL, &[first, ("status", "success")]),
        7
    );
    assert_eq!(
        counter(PRIMITIVE_EXECUTIONS_TOTAL, &[first, ("status", "error")]),
        0
    );

    // The workflow itself is a sequential execution too.
    let seq = ("primitive_name", "m7_workflow");
    assert_eq!(
        counter(
            PRIMITIVE_EXECUTIONS_TOTAL,
            &[seq, ("primitive_type", "sequential"), ("status", "error")]
        ),
        2
    );

    // tta_requests_total aggregates by type: 7 + 5 successes, 2 errors.
    let kind = ("primitive_type", "m7_kind");
    assert_eq!(counter(REQUESTS_TOTAL, &[kind, ("status", "success")]), 12);
    assert_eq!(counter(REQUESTS_TOTAL, &[kind, ("status", "error")]), 2);
    assert_eq!(gauge(ACTIVE_EXECUTIONS, &[kind]), Some(0.0));
}

#[tokio::test(start_paused = true)]
async fn dropping_a_workflow_mid_flight_returns_the_active_gauge_to_zero() {
    install();
    const KIND: Kind = Kind::new("drop_kind");
    let slow = from_fn("drop_slow", |x: i64, _ctx| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(x)
    })
    .with_kind(KIND);
    let workflow = (from_fn("drop_first", |x: i64, _ctx| async move { Ok(x) }).with_kind(KIND)
        >> slow)
        .named("drop_wf");
    {
        let mut run = pin!(workflow.run(1));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(matches!(run.as_mut().poll(&mut cx), Poll::Pending));
        // `drop_slow` is in flight; `drop_first` has finished.
        assert_eq!(
            gauge(ACTIVE_EXECUTIONS, &[("primitive_type", "drop_kind")]),
            Some(1.0)
        );
        assert_eq!(
            gauge(ACTIVE_EXECUTIONS, &[("primitive_type", "sequential")]).map(|v| v >= 1.0),
            Some(true)
        );
    }
    assert_eq!(
        gauge(ACTIVE_EXECUTIONS, &[("primitive_type", "drop_kind")]),
        Some(0.0)
    );
    // The dropped executions count as cancelled errors, so totals reconcile.
    let slow = ("primitive_name", "drop_slow");
    assert_eq!(
        counter(PRIMITIVE_EXECUTIONS_TOTAL, &[slow, ("status", "error")]),
        1
    );
    assert_eq!(
        counter(PRIMITIVE_ERRORS_TOTAL, &[slow, ("error_kind", "cancelled")]),
        1
    );
    assert_eq!(
        counter(
            WORKFLOW_EXECUTIONS_TOTAL,
            &[("workflow_name", "drop_wf"), ("status", "error")]
        ),
        1
    );
}

#[tokio::test]
async fn a_panic_is_counted_as_a_panicked_error() {
    install();
    let boom = from_fn("panic_counted", |_: i64, _ctx| async move {
        if true {
            panic!("kaboom");
        }
        Ok(0_i64)
    });
    let err = boom.run(1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panicked);
    let name = ("primitive_name", "panic_counted");
    assert_eq!(
        counter(PRIMITIVE_ERRORS_TOTAL, &[name, ("error_kind", "panicked")]),
        1
    );
    assert_eq!(
        counter(PRIMITIVE_EXECUTIONS_TOTAL, &[name, ("status", "error")]),
        1
    );
    assert_eq!(
        gauge(ACTIVE_EXECUTIONS, &[("primitive_type", "custom")]).map(|v| v >= 0.0),
        Some(true)
    );
}

#[tokio::test]
async fn router_and_conditional_decisions_are_counted_by_route() {
    install();
    let router = Router::builder("decide_router", |x: &i64, _: &WorkflowContext| match x {
        0 => "zero",
        1 => "one",
        _ => "many",
    })
    .route("zero", add("decide_zero", 0))
    .route("one", add("decide_one", 0))
    .build()
    .unwrap();
    for input in [0, 1, 1, 7] {
        let _ = router.run(input).await;
    }
    let name = ("primitive_name", "decide_router");
    assert_eq!(
        counter(ROUTER_DECISIONS_TOTAL, &[name, ("route", "zero")]),
        1
    );
    assert_eq!(
        counter(ROUTER_DECISIONS_TOTAL, &[name, ("route", "one")]),
        2
    );
    assert_eq!(
        counter(ROUTER_DECISIONS_TOTAL, &[name, ("route", "no_route")]),
        1
    );
    assert_eq!(
        counter(PRIMITIVE_ERRORS_TOTAL, &[name, ("error_kind", "no_route")]),
        1
    );

    let conditional = Conditional::new(
        "decide_if",
        |x: &i64, _: &WorkflowContext| *x > 0,
        add("decide_pos", 1),
    );
    for input in [1, 2, -1] {
        conditional.run(input).await.unwrap();
    }
    let name = ("primitive_name", "decide_if");
    assert_eq!(
        counter(ROUTER_DECISIONS_TOTAL, &[name, ("route", "then")]),
        2
    );
    assert_eq!(
        counter(ROUTER_DECISIONS_TOTAL, &[name, ("route", "else")]),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn deadline_and_cancellation_are_errors_with_their_own_kind() {
    install();
    let ctx = WorkflowContext::builder()
        .timeout(Duration::from_secs(1))
        .build();
    let err = sleepy("deadline_step", 5_000)
        .named("deadline_wf")
        .run_with(1, ctx)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(
        counter(
            PRIMITIVE_ERRORS_TOTAL,
            &[("primitive_name", "deadline_wf"), ("error_kind", "timeout")]
        ),
        1
    );

    let ctx = WorkflowContext::new();
    ctx.cancel();
    let err = add("cancelled_step", 1).run_with(1, ctx).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(
        counter(
            PRIMITIVE_ERRORS_TOTAL,
            &[
                ("primitive_name", "cancelled_step"),
                ("error_kind", "cancelled")
            ]
        ),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_parallel_counts_its_branch_time_so_its_speedup_can_be_read() {
    install();
    let branches =
        sleepy("speedup_fast", 100) | sleepy("speedup_slow", 300) | sleepy("speedup_mid", 200);
    let nested = sleepy("speedup_first", 50) >> branches;
    for _ in 0..2 {
        nested.run(1).await.unwrap();
    }
    let name = [(
        "primitive_name",
        "speedup_fast | speedup_slow | speedup_mid",
    )];
    // Two runs of 100 + 300 + 200 ms of branches, each run 300 ms long: a 2× speedup.
    let branches = histogram(PARALLEL_BRANCH_SECONDS, &name);
    assert_eq!(branches.len(), 2);
    assert!(
        branches.iter().all(|run| (run - 0.6).abs() < 1e-9),
        "{branches:?}"
    );
    let own: f64 = histogram(EXECUTION_DURATION_SECONDS, &name).iter().sum();
    assert!((own - 0.6).abs() < 1e-3, "{own}");
    // Only parallels count branch time.
    assert!(
        histogram(
            PARALLEL_BRANCH_SECONDS,
            &[("primitive_name", "speedup_first")]
        )
        .is_empty()
    );
}
