//! Our trace context headers agree with OpenTelemetry's
//! `TraceContextPropagator`: a service that mixes it with ours reads the
//! same trace from the same headers, and the two write the same headers.
//!
//! They differ only where OpenTelemetry's Rust propagator stops at Trace
//! Context Level 1, and each difference is asserted here so a change on
//! either side shows up: it drops the random flag, sends an empty
//! `tracestate`, reads only the first field line of each header, and
//! refuses Level 2 keys such as `foo@bar@baz`.

#![allow(clippy::unwrap_used)]

use http::HeaderMap;
use opentelemetry::Context;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tta::WorkflowContext;

const TRACE: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
const SPAN: u64 = 0x00f0_67aa_0ba9_02b7;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    map
}

fn theirs(map: &HeaderMap) -> SpanContext {
    let cx = TraceContextPropagator::new().extract(&HeaderExtractor(map));
    cx.span().span_context().clone()
}

#[test]
fn both_read_the_same_trace_from_the_same_headers() {
    let parent = format!("00-{TRACE:032x}-{SPAN:016x}");
    for (flags, tracestate) in [
        ("01", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
        ("00", "foo=1"),
        ("01", "a/b*c_d-e=x y"),
        ("01", "tenant@vendor=1"),
    ] {
        let map = headers(&[
            ("traceparent", &format!("{parent}-{flags}")),
            ("tracestate", tracestate),
        ]);
        let ours = WorkflowContext::from_headers(&map);
        let theirs = theirs(&map);
        assert!(theirs.is_valid());
        assert_eq!(
            ours.trace_id(),
            u128::from_be_bytes(theirs.trace_id().to_bytes())
        );
        assert_eq!(
            ours.parent_span_id(),
            Some(u64::from_be_bytes(theirs.span_id().to_bytes()))
        );
        assert_eq!(ours.is_sampled(), theirs.is_sampled());
        assert_eq!(ours.tracestate().to_string(), theirs.trace_state().header());
    }
    // Both reject what the specification rejects.
    for bad in [
        format!("ff-{TRACE:032x}-{SPAN:016x}-01"),
        format!("00-{:032x}-{SPAN:016x}-01", 0),
        format!("00-{TRACE:032x}-{:016x}-01", 0),
        format!("00-{TRACE:032X}-{SPAN:016x}-01"),
        format!("00-{TRACE:032x}-{SPAN:016x}-01-extra"),
    ] {
        let map = headers(&[("traceparent", &bad)]);
        assert!(!theirs(&map).is_valid(), "{bad}");
        assert_eq!(WorkflowContext::from_headers(&map).parent_span_id(), None);
    }
}

#[test]
fn both_write_the_same_headers_for_the_same_span() {
    for (sampled, tracestate) in [(true, "rojo=1,congo=2"), (false, "foo=bar")] {
        let flags = if sampled { "01" } else { "00" };
        let incoming = headers(&[
            (
                "traceparent",
                &format!("00-{TRACE:032x}-{SPAN:016x}-{flags}"),
            ),
            ("tracestate", tracestate),
        ]);
        let ctx = WorkflowContext::from_headers(&incoming);
        let mut ours = HeaderMap::new();
        ctx.inject(&mut ours);

        // The same span, as OpenTelemetry would hold it.
        let own = ctx.run_traceparent();
        let span = SpanContext::new(
            TraceId::from(own.trace_id()),
            SpanId::from(own.span_id()),
            if sampled {
                TraceFlags::SAMPLED
            } else {
                TraceFlags::default()
            },
            false,
            tracestate.parse::<TraceState>().unwrap(),
        );
        let mut theirs = HeaderMap::new();
        TraceContextPropagator::new().inject_context(
            &Context::new().with_remote_span_context(span),
            &mut HeaderInjector(&mut theirs),
        );
        assert_eq!(ours, theirs);
    }
}

#[test]
fn what_one_writes_the_other_reads() {
    let ctx = WorkflowContext::builder()
        .trace_headers(
            [format!("00-{TRACE:032x}-{SPAN:016x}-01").as_str()],
            ["rojo=1"],
        )
        .build();
    let mut ours = HeaderMap::new();
    ctx.inject(&mut ours);
    let read = theirs(&ours);
    assert_eq!(u128::from_be_bytes(read.trace_id().to_bytes()), TRACE);
    assert_eq!(
        u64::from_be_bytes(read.span_id().to_bytes()),
        ctx.traceparent().span_id()
    );
    assert_eq!(read.trace_state().header(), "rojo=1");

    let span = SpanContext::new(
        TraceId::from(TRACE),
        SpanId::from(SPAN),
        TraceFlags::SAMPLED,
        false,
        "rojo=1".parse::<TraceState>().unwrap(),
    );
    let mut theirs = HeaderMap::new();
    TraceContextPropagator::new().inject_context(
        &Context::new().with_remote_span_context(span),
        &mut HeaderInjector(&mut theirs),
    );
    let continued = WorkflowContext::from_headers(&theirs);
    assert_eq!(continued.trace_id(), TRACE);
    assert_eq!(continued.parent_span_id(), Some(SPAN));
    assert_eq!(continued.tracestate().to_string(), "rojo=1");
}

#[test]
fn where_opentelemetry_stops_at_level_1() {
    // The random flag: kept by us, as Level 2 requires; dropped by theirs.
    let random = headers(&[("traceparent", &format!("00-{TRACE:032x}-{SPAN:016x}-03"))]);
    let ctx = WorkflowContext::from_headers(&random);
    assert_eq!(ctx.traceparent().flags(), 0x03);
    let mut written = HeaderMap::new();
    TraceContextPropagator::new().inject_context(
        &Context::new().with_remote_span_context(theirs(&random)),
        &mut HeaderInjector(&mut written),
    );
    assert!(written["traceparent"].to_str().unwrap().ends_with("-01"));

    // An empty tracestate: sent by theirs, not by us (the spec says SHOULD NOT).
    assert_eq!(written["tracestate"], "");
    let mut ours = HeaderMap::new();
    ctx.inject(&mut ours);
    assert!(!ours.contains_key("tracestate"));

    // Several field lines: we join them, theirs reads the first.
    let split = headers(&[
        ("traceparent", &format!("00-{TRACE:032x}-{SPAN:016x}-01")),
        ("tracestate", "foo=1"),
        ("tracestate", "bar=2"),
    ]);
    assert_eq!(
        WorkflowContext::from_headers(&split)
            .tracestate()
            .to_string(),
        "foo=1,bar=2"
    );
    assert_eq!(theirs(&split).trace_state().header(), "foo=1");

    // A Level 2 key.
    let level_2 = headers(&[
        ("traceparent", &format!("00-{TRACE:032x}-{SPAN:016x}-01")),
        ("tracestate", "foo@bar@baz=1"),
    ]);
    assert_eq!(
        WorkflowContext::from_headers(&level_2)
            .tracestate()
            .to_string(),
        "foo@bar@baz=1"
    );
    assert_eq!(theirs(&level_2).trace_state().header(), "");
}
