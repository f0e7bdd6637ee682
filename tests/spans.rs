//! The span tree and log events every execution emits.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

use tracing::Level;
use tta::prelude::*;
use tta_test_support::primitives::{add, fail, sleepy};
use tta_test_support::spans::capture;

#[tokio::test(start_paused = true)]
async fn spans_nest_exactly_as_the_composition_nests() {
    let (_guard, captured) = capture();
    let workflow = (add("a", 1) >> (add("b", 1) | add("c", 2)))
        >> from_fn("d", |(b, c): (i64, i64), _ctx| async move { Ok(b + c) });
    let ctx = WorkflowContext::builder()
        .correlation_id("corr-tree")
        .build();
    assert_eq!(workflow.run_with(0, ctx.clone()).await.unwrap(), 5);

    assert_eq!(
        captured.tree(),
        "a >> (b | c) >> d\n  a\n  b | c\n    b\n    c\n  d\n"
    );

    let spans = captured.spans();
    let by_name = |name: &str| spans.iter().find(|s| s.name() == name).unwrap().clone();
    assert_eq!(by_name("a").field("tta.step.index"), Some("0"));
    assert_eq!(by_name("b | c").field("tta.step.index"), Some("1"));
    assert_eq!(by_name("d").field("tta.step.index"), Some("2"));
    assert_eq!(by_name("b").field("tta.branch.index"), Some("0"));
    assert_eq!(by_name("c").field("tta.branch.index"), Some("1"));
    assert_eq!(by_name("b").field("tta.step.index"), None);

    assert_eq!(
        by_name("a >> (b | c) >> d").field("tta.primitive.type"),
        Some("sequential")
    );
    assert_eq!(
        by_name("b | c").field("tta.primitive.type"),
        Some("parallel")
    );
    assert_eq!(by_name("a").field("tta.primitive.type"), Some("custom"));
    for span in &spans {
        assert_eq!(
            span.field("tta.correlation.id"),
            Some("corr-tree"),
            "{span:?}"
        );
        assert_eq!(span.field("tta.workflow.id"), Some(ctx.workflow_id()));
        assert_eq!(span.field("tta.primitive.name"), Some(span.name()));
        assert_eq!(span.field("otel.status_code"), Some("ok"), "{span:?}");
    }
}

#[tokio::test]
async fn a_failing_step_sets_error_status_on_its_span_and_its_parents() {
    let (_guard, captured) = capture();
    let workflow = add("ok_step", 1) >> fail("broken_step", "the model said no");
    workflow.run(0).await.unwrap_err();

    let spans = captured.spans();
    let broken = spans.iter().find(|s| s.name() == "broken_step").unwrap();
    assert_eq!(broken.field("otel.status_code"), Some("error"));
    assert_eq!(broken.field("exception.message"), Some("the model said no"));
    assert_eq!(
        broken.field("otel.status_description"),
        Some("the model said no")
    );
    assert_eq!(broken.field("error.kind"), Some("user"));
    let ok = spans.iter().find(|s| s.name() == "ok_step").unwrap();
    assert_eq!(ok.field("otel.status_code"), Some("ok"));
    assert_eq!(ok.field("exception.message"), None);
    let root = spans.iter().find(|s| s.parent.is_none()).unwrap();
    assert_eq!(root.field("otel.status_code"), Some("error"));
}

#[tokio::test]
async fn an_unsampled_run_creates_no_spans_but_still_logs_with_ids() {
    let (_guard, captured) = capture();
    let ctx = WorkflowContext::builder()
        .correlation_id("corr-unsampled")
        .sampled(false)
        .build();
    (add("u_a", 1) >> add("u_b", 1))
        .run_with(0, ctx)
        .await
        .unwrap();
    assert!(captured.spans().is_empty(), "{:?}", captured.spans());
    let steps = captured.events_named("sequential_step_complete");
    assert_eq!(steps.len(), 2);
    assert!(
        steps
            .iter()
            .all(|e| e.field("correlation_id") == Some("corr-unsampled"))
    );
}

#[tokio::test]
async fn an_unsampled_traceparent_is_honoured() {
    let (_guard, captured) = capture();
    let ctx = WorkflowContext::from_traceparent(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    )
    .unwrap();
    add("tp_a", 1).run_with(0, ctx).await.unwrap();
    assert!(captured.spans().is_empty());

    let ctx = WorkflowContext::from_traceparent(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )
    .unwrap();
    add("tp_b", 1).run_with(0, ctx).await.unwrap();
    assert_eq!(captured.spans().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn log_events_use_the_seeds_names_levels_and_fields() {
    let (_guard, captured) = capture();
    let workflow = sleepy("processor", 100)
        >> sleepy("validator", 50)
        >> (sleepy("enrich", 20) | sleepy("summarize", 30));
    let ctx = WorkflowContext::builder()
        .correlation_id("test-run-001")
        .build();
    workflow.run_with(7, ctx.clone()).await.unwrap();

    let start = captured.events_named("sequential_workflow_start");
    assert_eq!(start.len(), 1);
    assert_eq!(start[0].level, Level::INFO);
    let complete = captured.events_named("sequential_workflow_complete");
    assert_eq!(complete[0].level, Level::INFO);
    assert_eq!(complete[0].field("duration_ms"), Some("180.0"));

    let steps = captured.events_named("sequential_step_complete");
    let summary: Vec<_> = steps
        .iter()
        .map(|e| {
            (
                e.field("step").unwrap(),
                e.field("primitive_name").unwrap(),
                e.field("duration_ms").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("0", "processor", "100.0"),
            ("1", "validator", "50.0"),
            ("2", "enrich | summarize", "30.0")
        ]
    );
    assert!(steps.iter().all(|e| e.level == Level::DEBUG));
    assert_eq!(captured.events_named("sequential_step_start").len(), 3);

    let branches = captured.events_named("parallel_branch_complete");
    let branches: Vec<_> = branches
        .iter()
        .map(|e| (e.field("branch").unwrap(), e.field("duration_ms").unwrap()))
        .collect();
    assert_eq!(branches, [("0", "20.0"), ("1", "30.0")]);
    assert_eq!(captured.events_named("parallel_branch_start").len(), 2);

    for event in captured.events() {
        assert_eq!(
            event.field("correlation_id"),
            Some("test-run-001"),
            "{event:?}"
        );
        assert_eq!(
            event.field("workflow_id"),
            Some(ctx.workflow_id()),
            "{event:?}"
        );
        assert!(event.span.is_some(), "events sit inside a span: {event:?}");
    }
}

#[tokio::test]
async fn inputs_and_outputs_are_never_logged() {
    let (_guard, captured) = capture();
    let echo = from_fn("echo_secret", |s: String, _ctx| async move {
        Ok(format!("{s}-OUT"))
    });
    echo.run("SECRET-INPUT".to_owned()).await.unwrap();
    assert!(!captured.events().is_empty());
    for event in captured.events() {
        for value in event.fields.values() {
            assert!(!value.contains("SECRET"), "{event:?}");
        }
    }
    for span in captured.spans() {
        for value in span.fields.values() {
            assert!(!value.contains("SECRET"), "{span:?}");
        }
    }
}

#[tokio::test]
async fn a_failure_is_logged_once_as_a_warning_at_the_top() {
    let (_guard, captured) = capture();
    (add("w_a", 1) >> fail("w_broken", "nope"))
        .run(0)
        .await
        .unwrap_err();
    let warnings: Vec<_> = captured
        .events()
        .into_iter()
        .filter(|e| e.level == Level::WARN)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].message(), "sequential_workflow_failed");
    assert_eq!(warnings[0].field("error_kind"), Some("user"));
    assert_eq!(warnings[0].field("error"), Some("nope"));
    let step_failed = captured.events_named("sequential_step_failed");
    assert_eq!(step_failed.len(), 1);
    assert_eq!(step_failed[0].level, Level::DEBUG);
}

#[tokio::test]
async fn checkpoints_become_events_on_the_current_span() {
    let (_guard, captured) = capture();
    let step = from_fn("cp_step", |x: i64, ctx| async move {
        ctx.checkpoint("halfway");
        Ok(x)
    });
    let ctx = WorkflowContext::new();
    step.run_with(1, ctx.clone()).await.unwrap();
    let checkpoint = &captured.events_named("checkpoint")[0];
    assert_eq!(checkpoint.field("checkpoint"), Some("halfway"));
    let span = captured
        .spans()
        .into_iter()
        .find(|s| s.name() == "cp_step")
        .unwrap();
    assert_eq!(checkpoint.span, Some(span.id));
    assert_eq!(ctx.checkpoints().len(), 1);
    assert_eq!(ctx.checkpoints()[0].name, "halfway");
}
