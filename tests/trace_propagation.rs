//! Distributed tracing end to end: the spans reaching an OTLP collector
//! carry the trace ids of the run's `WorkflowContext`, so a caller's
//! `traceparent` and the one a run sends downstream join up with them.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::Span;
use tta::prelude::*;
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

const UPSTREAM_TRACE: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
const UPSTREAM_SPAN: u64 = 0x00f0_67aa_0ba9_02b7;

fn trace_id(span: &Span) -> u128 {
    u128::from_be_bytes(span.trace_id.as_slice().try_into().unwrap())
}

fn span_id(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|span| span.name == name).collect()
}

#[test]
fn exported_spans_carry_the_contexts_trace_ids() {
    let receiver = OtlpHttpReceiver::start();
    let telemetry = receiver.install(|builder| builder);
    let runtime = otlp_http::runtime();
    let (fresh, continued, outer) = runtime.block_on(async {
        let retrieve = from_fn("link_retrieve", |q: String, _ctx| async move { Ok(q) });
        let answer = from_fn("link_answer", |q: String, _ctx| async move { Ok(q.len()) });
        let workflow = retrieve >> answer;

        let fresh = WorkflowContext::new();
        workflow
            .run_with("q".to_owned(), fresh.clone())
            .await
            .unwrap();

        let header = format!("00-{UPSTREAM_TRACE:032x}-{UPSTREAM_SPAN:016x}-01");
        let continued = WorkflowContext::from_traceparent(&header).unwrap();
        workflow
            .run_with("q".to_owned(), continued.clone())
            .await
            .unwrap();

        // A child run started inside a step nests under that step.
        let spawn_child = from_fn("link_spawn", |q: String, ctx: WorkflowContext| {
            let child = ctx.child().build();
            async move {
                let inner = from_fn("link_inner", |q: String, _ctx| async move { Ok(q) });
                inner.run_with(q, child).await
            }
        });
        let outer = WorkflowContext::new();
        spawn_child
            .run_with("q".to_owned(), outer.clone())
            .await
            .unwrap();
        (fresh, continued, outer)
    });
    telemetry.shutdown().unwrap();
    let spans = receiver.spans(Duration::from_secs(10));

    let runs = named(&spans, "link_retrieve >> link_answer");
    assert_eq!(runs.len(), 2, "{spans:#?}");
    let (fresh_root, continued_root) = if trace_id(runs[0]) == fresh.trace_id() {
        (runs[0], runs[1])
    } else {
        (runs[1], runs[0])
    };

    // A new trace: the run's span is the root, with the context's own ids,
    // so a downstream service given `fresh.traceparent()` nests under it.
    assert_eq!(trace_id(fresh_root), fresh.trace_id());
    assert_eq!(
        span_id(&fresh_root.span_id),
        Some(fresh.traceparent().span_id())
    );
    assert!(fresh_root.parent_span_id.is_empty());

    // A continued trace: the upstream trace id, under the upstream span.
    assert_eq!(trace_id(continued_root), UPSTREAM_TRACE);
    assert_eq!(span_id(&continued_root.parent_span_id), Some(UPSTREAM_SPAN));
    assert_eq!(
        span_id(&continued_root.span_id),
        Some(continued.traceparent().span_id())
    );

    // The steps nest under their run, in the run's trace.
    for root in [fresh_root, continued_root] {
        let steps: Vec<_> = spans
            .iter()
            .filter(|span| span.parent_span_id == root.span_id)
            .map(|span| (span.name.as_str(), trace_id(span)))
            .collect();
        assert_eq!(
            steps,
            [
                ("link_retrieve", trace_id(root)),
                ("link_answer", trace_id(root))
            ]
        );
    }

    // The child run's span is a child of the step that started it.
    let [spawn] = named(&spans, "link_spawn")[..] else {
        panic!("one link_spawn span: {spans:#?}");
    };
    let [inner] = named(&spans, "link_inner")[..] else {
        panic!("one link_inner span: {spans:#?}");
    };
    assert_eq!(trace_id(spawn), outer.trace_id());
    assert_eq!(inner.parent_span_id, spawn.span_id);
    assert_eq!(trace_id(inner), outer.trace_id());
}
