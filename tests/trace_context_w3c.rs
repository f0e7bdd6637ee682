//! Every case of the W3C Trace Context test suite (`w3c/trace-context`,
//! `test/test.py`, at `STRICT_LEVEL=2` and `SPEC_LEVEL=2`), run through the
//! public API as a service would: the incoming headers go to
//! `WorkflowContext::from_headers`, and each callback carries the headers
//! of its own `outgoing_call`.
//!
//! The outgoing headers are read back here by a parser of this file's own,
//! written from the suite's, so our parser does not judge itself.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use http::{HeaderMap, HeaderName, HeaderValue};
use tta::WorkflowContext;

const TRACE: &str = "12345678901234567890123456789012";
const PARENT: &str = "1234567890123456";

/// What one callback carried.
#[derive(Debug)]
struct Callback {
    trace_id: String,
    parent_id: String,
    flags: u8,
    /// The members, in order, as the suite's `Tracestate` reads them.
    tracestate: Vec<(String, String)>,
}

impl Callback {
    fn state(&self, key: &str) -> Option<&str> {
        self.tracestate
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn state_string(&self) -> String {
        let members: Vec<String> = self
            .tracestate
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        members.join(",")
    }
}

/// The service: continues the incoming trace and makes `count` callbacks.
fn serve(incoming: &[(&str, &str)], count: usize) -> Vec<Callback> {
    let mut headers = HeaderMap::new();
    for (name, value) in incoming {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    let ctx = WorkflowContext::from_headers(&headers);
    (0..count)
        .map(|_| {
            let mut out = HeaderMap::new();
            ctx.outgoing_call("callback").inject(&mut out);
            read_callback(&out)
        })
        .collect()
}

fn serve_one(incoming: &[(&str, &str)]) -> Callback {
    serve(incoming, 1).pop().unwrap()
}

/// The suite's checks of a callback: exactly one well-formed traceparent.
fn read_callback(headers: &HeaderMap) -> Callback {
    let parents: Vec<_> = headers.get_all("traceparent").iter().collect();
    assert_eq!(parents.len(), 1, "one traceparent: {headers:?}");
    let parent = parents[0].to_str().unwrap();
    let fields: Vec<&str> = parent.split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    assert!(
        fields.len() == 4
            && hex(fields[0], 2)
            && hex(fields[1], 32)
            && hex(fields[2], 16)
            && hex(fields[3], 2),
        "well-formed traceparent: {parent}"
    );
    assert_eq!(fields[0], "00");
    assert_ne!(fields[1], "0".repeat(32));
    assert_ne!(fields[2], "0".repeat(16));
    let mut tracestate: Vec<(String, String)> = Vec::new();
    for line in headers.get_all("tracestate") {
        for member in line.to_str().unwrap().split(',') {
            let member = member.trim_matches([' ', '\t']);
            if member.is_empty() {
                continue;
            }
            let (key, value) = member.split_once('=').unwrap();
            if !tracestate.iter().any(|(k, _)| k == key) {
                tracestate.push((key.to_owned(), value.to_owned()));
            }
        }
    }
    Callback {
        trace_id: fields[1].to_owned(),
        parent_id: fields[2].to_owned(),
        flags: u8::from_str_radix(fields[3], 16).unwrap(),
        tracestate,
    }
}

fn traceparent(flags: &str) -> String {
    format!("00-{TRACE}-{PARENT}-{flags}")
}

/// A new trace was started instead of continuing `TRACE`.
fn restarted(incoming: &[(&str, &str)]) {
    let callback = serve_one(incoming);
    assert_ne!(callback.trace_id, TRACE, "{incoming:?}");
}

fn continued(incoming: &[(&str, &str)]) -> Callback {
    let callback = serve_one(incoming);
    assert_eq!(callback.trace_id, TRACE, "{incoming:?}");
    callback
}

#[test]
fn both_headers_missing() {
    serve_one(&[]);
}

#[test]
fn traceparent_included_tracestate_missing() {
    let callback = continued(&[("traceparent", &traceparent("01"))]);
    assert_ne!(callback.parent_id, PARENT);
}

#[test]
fn traceparent_duplicated() {
    restarted(&[
        ("traceparent", &format!("00-{}1-{PARENT}-01", &TRACE[..31])),
        ("traceparent", &traceparent("01")),
    ]);
}

#[test]
fn traceparent_header_names() {
    restarted(&[("trace-parent", &traceparent("01"))]);
    restarted(&[("trace.parent", &traceparent("01"))]);
    for name in ["TraceParent", "TrAcEpArEnT", "TRACEPARENT"] {
        continued(&[(name, &traceparent("01"))]);
    }
}

#[test]
fn traceparent_versions() {
    restarted(&[("traceparent", &format!("{}.", traceparent("01")))]);
    restarted(&[(
        "traceparent",
        &format!("{}-what-the-future-will-be-like", traceparent("01")),
    )]);
    let future = format!("cc-{TRACE}-{PARENT}-01");
    continued(&[("traceparent", &future)]);
    continued(&[(
        "traceparent",
        &format!("{future}-what-the-future-will-be-like"),
    )]);
    restarted(&[(
        "traceparent",
        &format!("{future}.what-the-future-will-be-like"),
    )]);
    for version in ["ff", ".0", "0.", "000", "0000", "0"] {
        restarted(&[("traceparent", &format!("{version}-{TRACE}-{PARENT}-01"))]);
    }
}

#[test]
fn traceparent_trace_ids() {
    let zero = format!("00-{}-{PARENT}-01", "0".repeat(32));
    assert_ne!(
        serve_one(&[("traceparent", &zero)]).trace_id,
        "0".repeat(32)
    );
    for trace in [
        ".2345678901234567890123456789012",
        "1234567890123456789012345678901.",
        "123456789012345678901234567890123",
        "1234567890123456789012345678901",
    ] {
        let callback = serve_one(&[("traceparent", &format!("00-{trace}-{PARENT}-01"))]);
        assert_ne!(callback.trace_id, trace);
        assert_ne!(callback.trace_id, TRACE);
        assert_ne!(callback.trace_id, &trace[1..]);
    }
}

#[test]
fn traceparent_parent_ids() {
    for parent in [
        "0000000000000000",
        ".234567890123456",
        "123456789012345.",
        "12345678901234567",
        "123456789012345",
    ] {
        restarted(&[("traceparent", &format!("00-{TRACE}-{parent}-01"))]);
    }
}

#[test]
fn traceparent_flags() {
    for flags in [".0", "0.", "001", "1"] {
        restarted(&[("traceparent", &traceparent(flags))]);
    }
}

#[test]
fn traceparent_optional_whitespace() {
    let valid = traceparent("01");
    for value in [
        format!(" {valid}"),
        format!("\t{valid}"),
        format!("{valid} "),
        format!("{valid}\t"),
        format!("\t {valid} \t"),
    ] {
        continued(&[("traceparent", &value)]);
    }
}

#[test]
fn tracestate_without_traceparent_is_discarded() {
    let one = serve_one(&[("tracestate", "foo=1")]);
    let two = serve_one(&[("tracestate", "foo=1,bar=2")]);
    assert_eq!(one.tracestate.len(), two.tracestate.len());
    assert!(one.tracestate.is_empty());
}

#[test]
fn tracestate_is_inherited() {
    let callback = continued(&[
        ("traceparent", &traceparent("00")),
        ("tracestate", "foo=1,bar=2"),
    ]);
    assert_eq!(callback.state("foo"), Some("1"));
    assert_eq!(callback.state("bar"), Some("2"));
}

#[test]
fn tracestate_header_names() {
    for name in ["trace-state", "trace.state"] {
        let callback = continued(&[("traceparent", &traceparent("00")), (name, "foo=1")]);
        assert_eq!(callback.state("foo"), None);
    }
    for name in ["TraceState", "TrAcEsTaTe", "TRACESTATE"] {
        let callback = continued(&[("traceparent", &traceparent("00")), (name, "foo=1")]);
        assert_eq!(callback.state("foo"), Some("1"));
    }
}

#[test]
fn tracestate_empty_header() {
    let parent = traceparent("00");
    let callback = continued(&[("traceparent", &parent), ("tracestate", "")]);
    assert!(callback.tracestate.is_empty());
    for lines in [["foo=1", ""], ["", "foo=1"]] {
        let callback = continued(&[
            ("traceparent", &parent),
            ("tracestate", lines[0]),
            ("tracestate", lines[1]),
        ]);
        assert_eq!(callback.state("foo"), Some("1"));
    }
}

#[test]
fn tracestate_multiple_headers_are_combined_in_order() {
    let callback = continued(&[
        ("traceparent", &traceparent("00")),
        ("tracestate", "foo=1,bar=2"),
        ("tracestate", "rojo=1,congo=2"),
        ("tracestate", "baz=3"),
    ]);
    assert_eq!(callback.state_string(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

#[test]
fn tracestate_duplicated_keys() {
    let parent = traceparent("00");
    for (lines, allowed) in [
        (&["foo=1,foo=1"][..], &["foo=1"][..]),
        (&["foo=1,foo=2"], &["foo=1", "foo=2"]),
        (&["foo=1", "foo=1"], &["foo=1"]),
        (&["foo=1", "foo=2"], &["foo=1", "foo=2"]),
    ] {
        let mut incoming = vec![("traceparent", parent.as_str())];
        incoming.extend(lines.iter().map(|line| ("tracestate", *line)));
        let state = continued(&incoming).state_string();
        assert!(
            allowed.iter().any(|member| state.contains(member)),
            "{lines:?} gave {state:?}"
        );
    }
}

#[test]
fn tracestate_all_allowed_characters() {
    let key: String = ('a'..='z').chain('0'..='9').chain("_-*/".chars()).collect();
    let value: String = (0x20u8..=0x2b)
        .chain(0x2d..=0x3c)
        .chain(0x3e..=0x7e)
        .map(char::from)
        .collect();
    for key in [key.clone(), format!("{key}@a-z0-9_-*/")] {
        let callback = continued(&[
            ("traceparent", &traceparent("00")),
            ("tracestate", &format!("{key}={value}")),
        ]);
        assert_eq!(callback.state(&key), Some(value.as_str()));
    }
}

#[test]
fn tracestate_optional_whitespace() {
    for line in [
        "foo=1 \t , \t bar=2, \t baz=3",
        "foo=1\t \t,\t \tbar=2,\t \tbaz=3",
    ] {
        let callback = continued(&[("traceparent", &traceparent("00")), ("tracestate", line)]);
        assert_eq!(
            [
                callback.state("foo"),
                callback.state("bar"),
                callback.state("baz")
            ],
            [Some("1"), Some("2"), Some("3")]
        );
    }
    for line in [" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"] {
        let callback = continued(&[("traceparent", &traceparent("00")), ("tracestate", line)]);
        assert_eq!(callback.state("foo"), Some("1"), "{line:?}");
    }
}

#[test]
fn tracestate_illegal_keys_discard_the_header() {
    for (line, key) in [
        ("foo =1", "foo "),
        ("FOO=1", "FOO"),
        ("foo.bar=1", "foo.bar"),
        ("@foo=1,bar=2", "bar"),
    ] {
        let callback = continued(&[("traceparent", &traceparent("00")), ("tracestate", line)]);
        assert_eq!(callback.state(key), None, "{line:?}");
    }
    for key in ["foo@", "foo@@bar", "foo@bar@baz"] {
        let callback = continued(&[
            ("traceparent", &traceparent("00")),
            ("tracestate", &format!("{key}=1,bar=2")),
        ]);
        assert_eq!(
            (callback.state(key), callback.state("bar")),
            (Some("1"), Some("2"))
        );
    }
}

#[test]
fn tracestate_member_count_limit() {
    let lines = |last: &str| {
        vec![
            (1..=10).map(member).collect::<Vec<_>>().join(","),
            (11..=20).map(member).collect::<Vec<_>>().join(","),
            (21..=30).map(member).collect::<Vec<_>>().join(","),
            last.to_owned(),
        ]
    };
    let parent = traceparent("00");
    let with = |lines: &[String]| {
        let mut incoming = vec![("traceparent", parent.as_str())];
        incoming.extend(lines.iter().map(|line| ("tracestate", line.as_str())));
        continued(&incoming)
    };
    let full = with(&lines("bar31=31,bar32=32"));
    assert_eq!(full.state("bar01"), Some("01"));
    assert_eq!(full.tracestate.len(), 32);
    let over = with(&lines("bar31=31,bar32=32,bar33=33"));
    assert_eq!(over.state("bar01"), None);
}

fn member(n: usize) -> String {
    format!("bar{n:02}={n:02}")
}

#[test]
fn tracestate_key_length_limit() {
    let parent = traceparent("00");
    let with_key = |key: &str| {
        continued(&[
            ("traceparent", &parent),
            ("tracestate", "foo=1"),
            ("tracestate", &format!("{key}=1")),
        ])
    };
    for key in [
        "z".repeat(256),
        format!("{}@{}", "t".repeat(241), "v".repeat(14)),
        format!("{}@v", "t".repeat(242)),
        format!("t@{}", "v".repeat(15)),
    ] {
        let callback = with_key(&key);
        assert_eq!(
            (callback.state("foo"), callback.state(&key)),
            (Some("1"), Some("1"))
        );
    }
    assert_eq!(with_key(&"z".repeat(257)).state("foo"), None);
}

#[test]
fn tracestate_value_illegal_characters() {
    for line in ["foo=bar=baz", "foo=,bar=3"] {
        let callback = continued(&[("traceparent", &traceparent("00")), ("tracestate", line)]);
        assert!(callback.tracestate.is_empty(), "{line:?}");
    }
}

#[test]
fn multiple_callbacks_have_distinct_parent_ids() {
    for incoming in [
        &[("traceparent", traceparent("01"))][..],
        &[],
        &[("traceparent", format!("00-{}-{PARENT}-01", "0".repeat(32)))],
    ] {
        let incoming: Vec<(&str, &str)> = incoming.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let callbacks = serve(&incoming, 3);
        let traces: HashSet<_> = callbacks.iter().map(|c| c.trace_id.clone()).collect();
        let parents: HashSet<_> = callbacks.iter().map(|c| c.parent_id.clone()).collect();
        assert_eq!(traces.len(), 1);
        assert_eq!(parents.len(), 3);
        assert!(!traces.contains(&"0".repeat(32)));
        if !incoming.is_empty() && !incoming[0].1.contains(&"0".repeat(32)) {
            assert!(traces.contains(TRACE));
        }
    }
}

#[test]
fn the_random_flag_is_propagated_and_set_on_new_traces() {
    let callback = continued(&[("traceparent", &traceparent("02"))]);
    assert_ne!(callback.parent_id, PARENT);
    assert_eq!(callback.flags & 0x02, 0x02);
    assert_eq!(
        continued(&[("traceparent", &traceparent("03"))]).flags,
        0x03
    );
    // Reserved bits are zeroed; a trace we start is marked random.
    assert_eq!(
        continued(&[("traceparent", &traceparent("fd"))]).flags,
        0x01
    );
    assert_eq!(serve_one(&[]).flags & 0x02, 0x02);
}

#[test]
fn values_that_are_not_text_are_rejected_not_panicked_on() {
    let mut headers = HeaderMap::new();
    headers.append(
        "traceparent",
        HeaderValue::from_bytes(format!("{}\u{e9}", traceparent("01")).as_bytes()).unwrap(),
    );
    assert_ne!(trace_of(&headers), TRACE);
    let mut headers = HeaderMap::new();
    headers.append("traceparent", traceparent("01").parse().unwrap());
    headers.append("tracestate", "foo=1".parse().unwrap());
    headers.append("tracestate", HeaderValue::from_bytes(b"bar=\xff").unwrap());
    assert_eq!(trace_of(&headers), TRACE);
    assert!(
        WorkflowContext::from_headers(&headers)
            .tracestate()
            .is_empty()
    );
}

/// The trace a service continues for these headers, in hex.
fn trace_of(headers: &HeaderMap) -> String {
    format!("{:032x}", WorkflowContext::from_headers(headers).trace_id())
}

#[test]
fn hostile_headers_give_a_fresh_root_or_no_tracestate() {
    let mut headers = HeaderMap::new();
    headers.append("traceparent", "x".repeat(64 * 1024).parse().unwrap());
    assert_ne!(trace_of(&headers), TRACE);
    let mut headers = HeaderMap::new();
    headers.append("traceparent", traceparent("01").parse().unwrap());
    for n in 0..10_000 {
        headers.append("tracestate", format!("k{n}=v").parse().unwrap());
    }
    let ctx = WorkflowContext::from_headers(&headers);
    assert_eq!(format!("{:032x}", ctx.trace_id()), TRACE);
    assert!(ctx.tracestate().is_empty());
    let mut headers = HeaderMap::new();
    headers.append("traceparent", traceparent("01").parse().unwrap());
    headers.append("tracestate", ",".repeat(1 << 20).parse().unwrap());
    assert!(
        WorkflowContext::from_headers(&headers)
            .tracestate()
            .is_empty()
    );
}
