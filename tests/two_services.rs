//! Two services, each its own process built on the library, join one
//! trace: a caller sends A a `traceparent` and `tracestate`; one step of A
//! calls B three times over HTTP on loopback; both export to one real
//! OTLP receiver. B's spans must sit under the client span of each call,
//! those under A's step, and no span may name a parent nobody exported.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tokio::sync::Notify;
use tta::prelude::*;
use tta_test_support::child::ChildTest;
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

const TEST: &str = "a_calls_b_and_both_join_the_callers_trace";
/// Set in a child: which service it is, `a` or `b`.
const ROLE: &str = "TTA_TEST_TWO_SERVICES_ROLE";
/// Set in a child: the OTLP receiver's endpoint.
const ENDPOINT: &str = "TTA_TEST_TWO_SERVICES_ENDPOINT";
/// Set in A: B's address.
const B_ADDRESS: &str = "TTA_TEST_TWO_SERVICES_B";
const CALLS: usize = 3;
const UPSTREAM: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

#[test]
fn a_calls_b_and_both_join_the_callers_trace() {
    if let Ok(role) = std::env::var(ROLE) {
        return child(&role);
    }
    let receiver = OtlpHttpReceiver::start();
    let endpoint = receiver.endpoint();
    let mut b = ChildTest::spawn(TEST, &[(ROLE, "b"), (ENDPOINT, &endpoint)]);
    let b_address = b.wait_for("listening on", Duration::from_secs(60));
    let mut a = ChildTest::spawn(
        TEST,
        &[(ROLE, "a"), (ENDPOINT, &endpoint), (B_ADDRESS, &b_address)],
    );
    let a_address = a.wait_for("listening on", Duration::from_secs(60));

    let status = otlp_http::runtime().block_on(async {
        reqwest::Client::new()
            .post(format!("http://{a_address}/"))
            .header("traceparent", UPSTREAM)
            .header("tracestate", "rojo=00f067aa0ba902b7")
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    for (name, process) in [("A", &mut a), ("B", &mut b)] {
        let (exit, output) = process.wait_exit(Duration::from_secs(60));
        assert!(exit.success(), "{name} exited with {exit:?}: {output:?}");
    }

    let spans = receiver_spans_by_service(&receiver);
    let all: Vec<&Span> = spans.values().flatten().collect();
    let by_id: HashMap<&[u8], &Span> = all.iter().map(|s| (s.span_id.as_slice(), *s)).collect();
    let upstream: tta::TraceParent = UPSTREAM.parse().unwrap();
    let named = |service: &str, name: &str| -> Vec<&Span> {
        spans[service].iter().filter(|s| s.name == name).collect()
    };

    // Everything is in the caller's trace.
    for span in &all {
        assert_eq!(
            span.trace_id,
            upstream.trace_id().to_be_bytes(),
            "{}",
            span.name
        );
    }

    // A's run continues the caller's span; its step is under the run.
    let [a_run] = named("service-a", "a_handle")[..] else {
        panic!("{spans:#?}")
    };
    assert_eq!(a_run.parent_span_id, upstream.span_id().to_be_bytes());
    let [a_step] = named("service-a", "a_call_b")[..] else {
        panic!("{spans:#?}")
    };
    assert_eq!(a_step.parent_span_id, a_run.span_id);

    // Three client spans under the step, three distinct ids.
    let calls = named("service-a", "POST /b");
    assert_eq!(calls.len(), CALLS, "{spans:#?}");
    let call_ids: HashSet<&[u8]> = calls.iter().map(|c| c.span_id.as_slice()).collect();
    assert_eq!(call_ids.len(), CALLS);
    for call in &calls {
        assert_eq!(call.kind, SpanKind::Client as i32);
        assert_eq!(call.parent_span_id, a_step.span_id);
    }

    // Each of B's runs sits under one of the calls, a different one each,
    // and keeps the caller's tracestate.
    let b_runs = named("service-b", "b_handle");
    assert_eq!(b_runs.len(), CALLS, "{spans:#?}");
    let parents: HashSet<&[u8]> = b_runs.iter().map(|r| r.parent_span_id.as_slice()).collect();
    assert_eq!(parents, call_ids, "B's runs nest under A's calls");
    for run in &b_runs {
        assert_eq!(run.trace_state, "rojo=00f067aa0ba902b7");
    }

    // No span names a parent that was never exported, but the caller's.
    for span in &all {
        if span.parent_span_id.is_empty() {
            continue;
        }
        assert!(
            by_id.contains_key(span.parent_span_id.as_slice())
                || span.parent_span_id == upstream.span_id().to_be_bytes(),
            "`{}` names a parent nobody exported",
            span.name
        );
    }
}

/// Every span received, by the `service.name` of the process that sent it.
fn receiver_spans_by_service(receiver: &OtlpHttpReceiver) -> HashMap<String, Vec<Span>> {
    let mut by_service: HashMap<String, Vec<Span>> = HashMap::new();
    for request in receiver.received(Duration::from_secs(10)) {
        for resource_spans in request.resource_spans {
            let service = otlp_http::service_name(&resource_spans)
                .unwrap_or_default()
                .to_owned();
            by_service
                .entry(service)
                .or_default()
                .extend(resource_spans.scope_spans.into_iter().flat_map(|s| s.spans));
        }
    }
    by_service
}

/// A's step: calls B once per outgoing call, each with its own client span.
struct ACallB {
    client: reqwest::Client,
    b: String,
}

#[primitive(name = "a_call_b")]
impl ACallB {
    async fn execute(&self, calls: usize, ctx: &WorkflowContext) -> Result<usize, reqwest::Error> {
        for _ in 0..calls {
            let call = ctx.outgoing_call("POST /b");
            let mut request = self.client.post(format!("http://{}/", self.b)).build()?;
            call.inject(request.headers_mut());
            call.run(self.client.execute(request))
                .await?
                .error_for_status()?;
        }
        Ok(calls)
    }
}

#[primitive(name = "a_accept")]
async fn a_accept(calls: usize, _ctx: &WorkflowContext) -> tta::Result<usize> {
    Ok(calls)
}

#[primitive(name = "b_work")]
async fn b_work(n: usize, _ctx: &WorkflowContext) -> tta::Result<usize> {
    Ok(n + 1)
}

/// What a service needs to answer, and when to stop.
#[derive(Clone)]
struct Service {
    role: &'static str,
    b: String,
    served: Arc<AtomicUsize>,
    last: usize,
    done: Arc<Notify>,
}

async fn handle(State(service): State<Service>, headers: HeaderMap) -> StatusCode {
    let ctx = WorkflowContext::from_headers(&headers);
    let result = if service.role == "a" {
        let step = ACallB {
            client: reqwest::Client::new(),
            b: service.b.clone(),
        };
        (AAccept >> step)
            .named("a_handle")
            .run_with(CALLS, ctx)
            .await
    } else {
        BWork.named("b_handle").run_with(1, ctx).await
    };
    if service.served.fetch_add(1, Ordering::SeqCst) + 1 == service.last {
        service.done.notify_one();
    }
    match result {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

/// One service: serves until it has answered its share, flushes its spans
/// and exits.
fn child(role: &str) {
    let (role, last): (&'static str, usize) = match role {
        "a" => ("a", 1),
        _ => ("b", CALLS),
    };
    let telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_format(tta::telemetry::LogFormat::Off)
        .service_name(format!("service-{role}"))
        .otlp(
            std::env::var(ENDPOINT).unwrap(),
            tta::telemetry::OtlpProtocol::HttpProtobuf,
        )
        .install()
        .unwrap();
    let service = Service {
        role,
        b: std::env::var(B_ADDRESS).unwrap_or_default(),
        served: Arc::default(),
        last,
        done: Arc::default(),
    };
    let done = Arc::clone(&service.done);
    otlp_http::runtime().block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        let app = Router::new().route("/", post(handle)).with_state(service);
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { done.notified().await })
            .await
            .unwrap();
    });
    telemetry.shutdown().unwrap();
}
