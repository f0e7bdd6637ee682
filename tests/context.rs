//! WorkflowContext: identity, propagation, state, deadline and cancellation.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tta::TraceParent;
use tta::prelude::*;
use tta_test_support::primitives::{add, sleepy};

/// Records the ids each step saw.
fn witness(
    name: &'static str,
    seen: Arc<Mutex<Vec<(String, String)>>>,
) -> impl Primitive<Input = i64, Output = i64> {
    from_fn(name, move |x: i64, ctx| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push((
                ctx.correlation_id().to_owned(),
                ctx.workflow_id().to_owned(),
            ));
            Ok(x)
        }
    })
}

#[tokio::test]
async fn every_step_of_a_run_sees_one_correlation_id() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let workflow = witness("ctx_a", seen.clone()).boxed()
        >> (witness("ctx_b", seen.clone()).boxed() | witness("ctx_c", seen.clone()).boxed())
        >> from_fn("ctx_join", |(b, _c): (i64, i64), _ctx| async move { Ok(b) })
        >> witness("ctx_d", seen.clone()).boxed();
    workflow.run(1).await.unwrap();
    workflow.run(2).await.unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 8);
    let (first_run, second_run) = seen.split_at(4);
    for run in [first_run, second_run] {
        assert!(run.iter().all(|ids| ids == &run[0]), "{run:?}");
        assert_eq!(run[0].0.len(), 36, "a UUID v4 by default");
    }
    assert_ne!(first_run[0], second_run[0], "each run gets new ids");
}

#[test]
fn given_ids_metadata_tags_and_baggage_are_kept() {
    let ctx = WorkflowContext::builder()
        .workflow_id("wf-1")
        .correlation_id("corr-1")
        .causation_id("cause-1")
        .metadata("tenant", "acme")
        .tag("beta")
        .baggage("user.tier", "gold")
        .build();
    assert_eq!(ctx.workflow_id(), "wf-1");
    assert_eq!(ctx.correlation_id(), "corr-1");
    assert_eq!(ctx.causation_id(), Some("cause-1"));
    assert_eq!(ctx.metadata("tenant"), Some("acme"));
    assert!(ctx.has_tag("beta") && !ctx.has_tag("alpha"));
    assert_eq!(
        ctx.baggage_entries().collect::<Vec<_>>(),
        [("user.tier", "gold")]
    );
    let clone = ctx.clone();
    assert_eq!(clone.workflow_id(), "wf-1");
}

#[test]
fn a_child_context_is_caused_by_its_parent() {
    let parent = WorkflowContext::builder()
        .correlation_id("corr-p")
        .metadata("k", "v")
        .build();
    let child = parent.child().build();
    assert_eq!(child.correlation_id(), "corr-p");
    assert_eq!(child.causation_id(), Some(parent.workflow_id()));
    assert_ne!(child.workflow_id(), parent.workflow_id());
    assert_eq!(child.trace_id(), parent.trace_id());
    assert_eq!(child.parent_span_id(), Some(parent.traceparent().span_id()));
    assert_eq!(child.metadata("k"), Some("v"));

    parent.cancel();
    assert!(
        child.is_cancelled(),
        "cancelling the parent cancels the child"
    );
    assert_eq!(WorkflowContext::new().causation_id(), None);
}

#[test]
fn traceparent_round_trips_across_services() {
    let upstream = WorkflowContext::new();
    let header = upstream.traceparent().to_string();
    assert_eq!(header.len(), 55);
    // Sampled, and random: this library draws its trace ids at random.
    assert!(
        header.starts_with("00-") && header.ends_with("-03"),
        "{header}"
    );

    let downstream = WorkflowContext::from_traceparent(&header).unwrap();
    assert!(
        downstream.traceparent().random(),
        "the random flag travels on"
    );
    assert!(
        upstream.child().build().traceparent().random(),
        "children keep it"
    );
    assert_eq!(downstream.trace_id(), upstream.trace_id());
    assert_eq!(
        downstream.parent_span_id(),
        Some(upstream.traceparent().span_id())
    );
    assert_eq!(
        downstream.causation_id(),
        Some(format!("{:016x}", upstream.traceparent().span_id()).as_str())
    );
    assert!(downstream.is_sampled());
    assert_ne!(
        downstream.traceparent().span_id(),
        upstream.traceparent().span_id()
    );

    let parsed: TraceParent = downstream.traceparent().to_string().parse().unwrap();
    assert_eq!(parsed, downstream.traceparent());
}

#[test]
fn a_trace_id_not_marked_random_is_not_marked_by_us() {
    let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let ctx = WorkflowContext::from_traceparent(header).unwrap();
    assert!(!ctx.traceparent().random());
    assert!(ctx.traceparent().to_string().ends_with("-01"));
}

#[test]
fn a_malformed_traceparent_is_a_clear_error() {
    let err = WorkflowContext::from_traceparent("00-not-a-header").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("malformed traceparent `00-not-a-header`"),
        "{err}"
    );
    let err = WorkflowContext::from_traceparent(
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "traceparent trace id is all zeroes");
}

#[derive(Debug, PartialEq)]
struct Tokens(u32);

#[tokio::test]
async fn typed_state_flows_from_one_step_to_the_next() {
    let count = from_fn("state_count", |text: String, ctx| async move {
        let words = u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX);
        ctx.insert(Tokens(words));
        Ok(text)
    });
    let report = from_fn("state_report", |text: String, ctx| async move {
        let tokens = ctx
            .get::<Tokens>()
            .ok_or_else(|| Error::msg("no token count"))?;
        Ok(format!("{text}: {} tokens", tokens.0))
    });
    let ctx = WorkflowContext::new();
    let out = (count >> report)
        .run_with("a b c".to_owned(), ctx.clone())
        .await
        .unwrap();
    assert_eq!(out, "a b c: 3 tokens");
    assert_eq!(
        *ctx.get::<Tokens>().unwrap(),
        Tokens(3),
        "state outlives the run"
    );
    assert_eq!(ctx.remove::<Tokens>().map(|t| t.0), Some(3));
    assert!(ctx.get::<Tokens>().is_none());
}

#[tokio::test(start_paused = true)]
async fn the_deadline_stops_a_run_exactly_on_time() {
    let ctx = WorkflowContext::builder()
        .timeout(Duration::from_secs(2))
        .build();
    let started = tokio::time::Instant::now();
    let err = (add("dl_a", 1) >> sleepy("dl_slow", 60_000))
        .run_with(1, ctx.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after } if after == Duration::from_secs(2)),
        "{err:?}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(ctx.remaining(), Some(Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn no_step_starts_after_the_deadline() {
    let ctx = WorkflowContext::builder()
        .timeout(Duration::from_secs(1))
        .build();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let err = add("late", 1).call(1, &ctx).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[tokio::test(start_paused = true)]
async fn cancelling_the_context_stops_the_run() {
    let ctx = WorkflowContext::new();
    let canceller = ctx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        canceller.cancel();
    });
    let started = tokio::time::Instant::now();
    let err = sleepy("cancel_me", 60_000)
        .run_with(1, ctx)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test]
async fn a_cancelled_context_runs_no_step() {
    let ctx = WorkflowContext::new();
    ctx.cancel();
    let ran = Arc::new(Mutex::new(false));
    let flag = ran.clone();
    let step = from_fn("never_runs", move |x: i64, _ctx| {
        *flag.lock().unwrap() = true;
        async move { Ok(x) }
    });
    let err = step.call(1, &ctx).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(!*ran.lock().unwrap());
}
