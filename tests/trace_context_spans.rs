//! The trace context a run sends downstream names spans that reach the
//! OTLP receiver: the step that made the call, one client span per
//! outgoing call, a child run's own span; and exported spans carry the
//! incoming `tracestate`.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tta::prelude::*;
use tta::{TraceHeaders, TraceParent};
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

const UPSTREAM: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";

fn id64(bytes: &[u8]) -> u64 {
    u64::from_be_bytes(bytes.try_into().unwrap())
}

fn id128(bytes: &[u8]) -> u128 {
    u128::from_be_bytes(bytes.try_into().unwrap())
}

fn one<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<_> = spans.iter().filter(|span| span.name == name).collect();
    assert_eq!(found.len(), 1, "one `{name}` span in {spans:#?}");
    found[0]
}

/// What the steps sent downstream, in order.
type Sent = Arc<Mutex<Vec<(&'static str, TraceHeaders)>>>;

#[test]
fn outgoing_trace_context_names_exported_spans() {
    let receiver = OtlpHttpReceiver::start();
    let telemetry = receiver.install(|builder| builder);
    let sent: Sent = Arc::default();
    let (upstream_ctx, child_ctx, fresh_ctx, reused_ctx) = otlp_http::runtime().block_on(async {
        let record = |label: &'static str| {
            let sent = Arc::clone(&sent);
            move |headers: TraceHeaders| sent.lock().unwrap().push((label, headers))
        };

        // A nested step's traceparent names that step; three marked calls
        // from one step name three client spans.
        let plain = record("plain");
        let step_call = from_fn("tc_step_call", move |q: String, ctx: WorkflowContext| {
            plain(ctx.trace_headers());
            async move { Ok(q) }
        });
        let marked = record("marked");
        let fan_out = from_fn("tc_fan_out", move |q: String, ctx: WorkflowContext| {
            let marked = marked.clone();
            async move {
                for n in 0..3 {
                    let call = ctx.outgoing_call(format!("GET /search/{n}"));
                    marked(call.headers().clone());
                    call.run(async { Ok::<_, std::io::Error>(()) })
                        .await
                        .unwrap();
                }
                Ok(q)
            }
        });
        let workflow = step_call.retry(RetryPolicy::default()) >> fan_out;
        let upstream_ctx = WorkflowContext::builder()
            .trace_headers([UPSTREAM], ["rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE"])
            .build();
        workflow
            .run_with("q".to_owned(), upstream_ctx.clone())
            .await
            .unwrap();

        // A child run started inside a step takes its context's own span id
        // and nests under that step.
        let child_seen = record("child");
        let child_slot: Arc<Mutex<Option<WorkflowContext>>> = Arc::default();
        let slot = Arc::clone(&child_slot);
        let spawn = from_fn("tc_spawn", move |q: String, ctx: WorkflowContext| {
            let child = ctx.child().build();
            *slot.lock().unwrap() = Some(child.clone());
            let child_seen = child_seen.clone();
            async move {
                let inner = from_fn("tc_child_step", move |q: String, _ctx| async move { Ok(q) });
                let out = inner.run_with(q, child.clone()).await;
                child_seen(child.trace_headers());
                out
            }
        });
        let parent_ctx = WorkflowContext::new();
        spawn.run_with("q".to_owned(), parent_ctx).await.unwrap();
        let child_ctx = child_slot.lock().unwrap().clone().unwrap();

        // A fresh context run inside another trace's step starts its own trace.
        let fresh_slot: Arc<Mutex<Option<WorkflowContext>>> = Arc::default();
        let slot = Arc::clone(&fresh_slot);
        let host = from_fn("tc_host", move |q: String, _ctx| {
            let fresh = WorkflowContext::new();
            *slot.lock().unwrap() = Some(fresh.clone());
            async move {
                let guest = from_fn("tc_guest", |q: String, _ctx| async move { Ok(q) });
                guest.run_with(q, fresh).await
            }
        });
        host.run("q".to_owned()).await.unwrap();
        let fresh_ctx = fresh_slot.lock().unwrap().clone().unwrap();

        // One context run twice: two spans, two ids.
        let reused_ctx = WorkflowContext::new();
        let twice = from_fn("tc_twice", |q: String, _ctx| async move { Ok(q) });
        for _ in 0..2 {
            twice
                .run_with("q".to_owned(), reused_ctx.clone())
                .await
                .unwrap();
        }
        (upstream_ctx, child_ctx, fresh_ctx, reused_ctx)
    });
    telemetry.shutdown().unwrap();
    let spans = receiver.spans(Duration::from_secs(10));
    let sent = sent.lock().unwrap().clone();
    let exported: HashSet<u64> = spans.iter().map(|span| id64(&span.span_id)).collect();

    // Every span of the continued trace carries the incoming tracestate.
    let upstream: TraceParent = UPSTREAM.parse().unwrap();
    let in_upstream: Vec<_> = spans
        .iter()
        .filter(|span| id128(&span.trace_id) == upstream.trace_id())
        .collect();
    assert_eq!(in_upstream.len(), 1 + 1 + 1 + 1 + 3, "{spans:#?}");
    for span in &in_upstream {
        assert_eq!(
            span.trace_state, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
            "{}",
            span.name
        );
    }

    // The plain traceparent taken inside the retried step names that
    // step's own (innermost) span, which is exported.
    let step = one(&spans, "tc_step_call");
    let [(_, plain)] = &sent
        .iter()
        .filter(|(l, _)| *l == "plain")
        .collect::<Vec<_>>()[..]
    else {
        panic!("{sent:?}")
    };
    assert_eq!(plain.traceparent().span_id(), id64(&step.span_id));
    assert_eq!(plain.traceparent().trace_id(), upstream.trace_id());
    assert_eq!(plain.traceparent().flags(), 0x03, "sampled and random kept");
    assert_eq!(
        plain.tracestate().to_string(),
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
    );

    // Three marked calls: three distinct parent ids, each an exported client
    // span under the step that made the call.
    let fan_out = one(&spans, "tc_fan_out");
    let marked: Vec<u64> = sent
        .iter()
        .filter(|(label, _)| *label == "marked")
        .map(|(_, headers)| headers.traceparent().span_id())
        .collect();
    assert_eq!(marked.iter().collect::<HashSet<_>>().len(), 3, "{marked:?}");
    for (n, parent_id) in marked.iter().enumerate() {
        let call = spans
            .iter()
            .find(|span| id64(&span.span_id) == *parent_id)
            .unwrap_or_else(|| panic!("call {n} names a span nobody exported"));
        assert_eq!(call.name, format!("GET /search/{n}"));
        assert_eq!(call.kind, SpanKind::Client as i32);
        assert_eq!(call.parent_span_id, fan_out.span_id);
        assert_eq!(call.status.as_ref().unwrap().code, 1, "ok");
    }

    // The child run: its context's traceparent names its exported span,
    // which nests under the step that started it.
    let spawn = one(&spans, "tc_spawn");
    let child_run = one(&spans, "tc_child_step");
    assert_eq!(
        child_ctx.run_traceparent().span_id(),
        id64(&child_run.span_id)
    );
    assert_eq!(child_run.parent_span_id, spawn.span_id);
    let [(_, child_headers)] = &sent
        .iter()
        .filter(|(l, _)| *l == "child")
        .collect::<Vec<_>>()[..]
    else {
        panic!("{sent:?}")
    };
    assert!(exported.contains(&child_headers.traceparent().span_id()));

    // The fresh context's run is the root of its own trace.
    let guest = one(&spans, "tc_guest");
    assert_eq!(id128(&guest.trace_id), fresh_ctx.trace_id());
    assert!(guest.parent_span_id.is_empty(), "{guest:#?}");
    assert_eq!(id64(&guest.span_id), fresh_ctx.run_traceparent().span_id());

    // The reused context: the first run takes its id, the second a new one.
    let twice: Vec<u64> = spans
        .iter()
        .filter(|span| span.name == "tc_twice")
        .map(|span| id64(&span.span_id))
        .collect();
    assert_eq!(twice.len(), 2);
    assert_ne!(twice[0], twice[1]);
    assert!(twice.contains(&reused_ctx.run_traceparent().span_id()));

    // No span names a parent that was never exported, except the remote
    // caller of the continued trace.
    for span in &spans {
        if span.parent_span_id.is_empty() {
            continue;
        }
        let parent = id64(&span.parent_span_id);
        assert!(
            exported.contains(&parent) || parent == upstream.span_id(),
            "`{}` names parent {parent:016x}, which was never exported",
            span.name
        );
    }
    let _ = upstream_ctx;
}
