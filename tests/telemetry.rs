//! The exporter end to end, in one process as a user runs it: errors before
//! a successful install, a known workload, an HTTP scrape with exact values
//! checked by `promtool`, spans received by a real OTLP (gRPC) collector,
//! an endpoint that survives abuse, and a clean shutdown.
//!
//! A process has one metrics recorder and one global subscriber, so the
//! steps run in order inside one test.

#![allow(clippy::unwrap_used)] // step helpers outside #[test] fns panic on purpose

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use fake_opentelemetry_collector::{ExportedSpan, FakeCollectorServer};
use tta::prelude::*;
use tta::telemetry::{LogFormat, OtlpProtocol, Telemetry, TelemetryError};
use tta_test_support::http::{self, Sample, parse_exposition, value};
use tta_test_support::tools;

const WORKFLOW: &str = "retry(e2e_a >> (e2e_b | e2e_c))";

#[test]
fn telemetry_end_to_end() {
    let collector_runtime = tokio::runtime::Runtime::new().unwrap();
    let mut collector = collector_runtime
        .block_on(FakeCollectorServer::start())
        .unwrap();

    errors_are_clear_and_leave_nothing_installed(&collector.endpoint());
    let address = http::free_port();
    let telemetry = tta::telemetry::builder()
        .metrics_address(address)
        .log_format(LogFormat::Pretty)
        .log_filter("warn")
        .otlp(collector.endpoint(), OtlpProtocol::Grpc)
        .service_name("tta-e2e")
        .install()
        .unwrap();
    assert_eq!(telemetry.metrics_address(), Some(address));
    a_second_install_is_refused();

    run_workload();

    let scrape = scrape_is_exact(address, &telemetry);
    tools::promtool_check_metrics(&scrape);
    let spans = collector_runtime.block_on(collector.exported_spans(11, Duration::from_secs(20)));
    spans_reproduce_the_composition(&spans);

    endpoint_survives_abuse(address);
    let after_abuse = http::get(address, "/metrics").unwrap();
    assert_eq!(after_abuse.0, 200);
    assert!(after_abuse.1.contains("tta_workflow_executions_total"));

    telemetry.shutdown().unwrap();
    assert!(
        http::connect(address).is_err(),
        "the endpoint is closed once the guard is shut down"
    );
}

fn errors_are_clear_and_leave_nothing_installed(collector: &str) {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    let error = tta::telemetry::builder()
        .metrics_address(address)
        .install()
        .unwrap_err();
    assert!(
        matches!(&error, TelemetryError::Bind { address: got, .. } if *got == address),
        "{error:?}"
    );
    assert!(error.to_string().contains(&address.to_string()), "{error}");
    drop(taken);

    let error = tta::telemetry::builder()
        .otlp(collector.trim_start_matches("http://"), OtlpProtocol::Grpc)
        .install()
        .unwrap_err();
    assert!(
        matches!(
            error,
            TelemetryError::InvalidSetting {
                setting: "otlp",
                ..
            }
        ),
        "{error:?}"
    );

    for (builder, setting) in [
        (
            tta::telemetry::builder()
                .without_metrics_endpoint()
                .dashboard(true),
            "dashboard",
        ),
        (
            tta::telemetry::builder().dashboard_runs(0),
            "dashboard_runs",
        ),
        (
            tta::telemetry::builder().dashboard_runs(1_001),
            "dashboard_runs",
        ),
        (
            tta::telemetry::builder().dashboard_token("short"),
            "dashboard_token",
        ),
        (
            tta::telemetry::builder().dashboard_token("has spaces in it"),
            "dashboard_token",
        ),
    ] {
        let error = builder.install().unwrap_err();
        assert!(
            matches!(&error, TelemetryError::InvalidSetting { setting: got, .. } if *got == setting),
            "{error:?}"
        );
    }

    let error = tta::telemetry::builder()
        .log_filter("tta=loudest")
        .install()
        .unwrap_err();
    assert!(
        matches!(
            error,
            TelemetryError::InvalidSetting {
                setting: "log_filter",
                ..
            }
        ),
        "{error:?}"
    );
}

fn a_second_install_is_refused() {
    let error = tta::telemetry::builder()
        .metrics_address(http::free_port())
        .install()
        .unwrap_err();
    assert!(
        matches!(error, TelemetryError::AlreadyInstalled { .. }),
        "{error:?}"
    );
}

/// `(a >> (b | c)).retry(..)` on a paused clock, so durations are exact:
/// `c` fails after 300 ms on the first attempt, `b` takes 250 ms each time.
fn run_workload() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let a = from_fn("e2e_a", |x: u64, _ctx| async move { Ok(x + 1) });
        let b = from_fn("e2e_b", |x: u64, _ctx| async move {
            tokio::time::sleep(Duration::from_millis(250)).await;
            Ok(x * 2)
        });
        let calls = std::sync::atomic::AtomicU32::new(0);
        let c = from_fn("e2e_c", move |x: u64, _ctx| {
            let first = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            async move {
                tokio::time::sleep(Duration::from_millis(if first { 300 } else { 100 })).await;
                if first {
                    Err(Error::transient("503 from the model"))
                } else {
                    Ok(x * 3)
                }
            }
        });
        let policy = RetryPolicy::builder()
            .backoff(Backoff::constant(Duration::from_secs(1)))
            .jitter(Jitter::None)
            .build()
            .unwrap();
        let workflow = (a >> (b | c)).retry(policy);
        assert_eq!(workflow.name(), WORKFLOW);
        assert_eq!(workflow.run(1).await.unwrap(), (4, 6));
    });
}

fn scrape_is_exact(address: SocketAddr, telemetry: &Telemetry) -> String {
    let (status, body) = http::get(address, "/metrics").unwrap();
    assert_eq!(status, 200);
    let samples = parse_exposition(&body);
    let get = |name: &str, labels: &[(&str, &str)]| value(&samples, name, labels);

    assert_eq!(
        get(
            "tta_workflow_executions_total",
            &[("workflow_name", WORKFLOW), ("status", "success")]
        ),
        Some(1.0)
    );
    // Attempt 1 took 300 ms (c failed), the backoff 1 s, attempt 2 250 ms.
    assert_eq!(
        get(
            "tta_workflow_duration_seconds_sum",
            &[("workflow_name", WORKFLOW)]
        ),
        Some(1.55)
    );
    let retry = ("primitive_name", WORKFLOW);
    assert_eq!(
        get(
            "tta_retry_attempts_total",
            &[retry, ("attempt", "1"), ("status", "error")]
        ),
        Some(1.0)
    );
    assert_eq!(
        get(
            "tta_retry_attempts_total",
            &[retry, ("attempt", "2"), ("status", "success")]
        ),
        Some(1.0)
    );

    let b = [("primitive_name", "e2e_b"), ("primitive_type", "custom")];
    let bucket = |le: &str| {
        get(
            "tta_execution_duration_seconds_bucket",
            &[b[0], b[1], ("le", le)],
        )
    };
    assert_eq!(bucket("0.1"), Some(0.0));
    assert_eq!(bucket("0.25"), Some(2.0));
    assert_eq!(bucket("+Inf"), Some(2.0));
    assert_eq!(get("tta_execution_duration_seconds_sum", &b), Some(0.5));
    assert_eq!(get("tta_execution_duration_seconds_count", &b), Some(2.0));
    let c_errors = [("primitive_name", "e2e_c"), ("error_kind", "user")];
    assert_eq!(get("tta_primitive_errors_total", &c_errors), Some(1.0));

    assert_eq!(
        get("tta_build_info", &[("version", env!("CARGO_PKG_VERSION"))]),
        Some(1.0)
    );
    assert_eq!(get("tta_spans_dropped_total", &[]), Some(0.0));
    let families: HashMap<&str, &Sample> = samples
        .iter()
        .map(|sample| (sample.name.as_str(), sample))
        .collect();
    for process in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
    ] {
        // Process metrics are sampled each second on the telemetry thread.
        let found = families.contains_key(process) || wait_for_family(address, process);
        assert!(found, "{process} missing");
    }
    assert!(
        !body.contains("quantile="),
        "histograms are rendered as buckets, not summaries"
    );
    assert!(
        telemetry
            .render()
            .contains("tta_workflow_duration_seconds_bucket{")
    );
    body
}

fn wait_for_family(address: SocketAddr, family: &str) -> bool {
    (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        http::get(address, "/metrics").is_ok_and(|(_, body)| body.contains(family))
    })
}

/// An attribute's value: the collector renders `AnyValue`s with `Debug`,
/// as in `Some(AnyValue { value: Some(StringValue("1")) })`.
fn attribute(span: &ExportedSpan, key: &str) -> Option<String> {
    let raw = span.attributes.get(key)?;
    let start = raw.find("Value(")? + "Value(".len();
    let value = raw.get(start..)?.strip_suffix(")) })")?;
    Some(value.trim_matches('"').to_owned())
}

fn named<'a>(spans: &'a [ExportedSpan], name: &'a str) -> impl Iterator<Item = &'a ExportedSpan> {
    spans.iter().filter(move |span| span.name == name)
}

fn spans_reproduce_the_composition(spans: &[ExportedSpan]) {
    let named = |name: &'static str| named(spans, name);
    let by_id: HashMap<&str, &ExportedSpan> = spans
        .iter()
        .map(|span| (span.span_id.as_str(), span))
        .collect();
    let parent_name = |span: &ExportedSpan| {
        by_id
            .get(span.parent_span_id.as_str())
            .map(|parent| parent.name.as_str())
    };

    let root: Vec<_> = named(WORKFLOW).collect();
    assert_eq!(root.len(), 1, "{spans:#?}");
    assert_eq!(parent_name(root[0]), None);
    let attempts: Vec<_> = named("e2e_a >> (e2e_b | e2e_c)").collect();
    assert_eq!(attempts.len(), 2);
    let mut numbers: Vec<_> = attempts
        .iter()
        .map(|span| attribute(span, "tta.retry.attempt"))
        .collect();
    numbers.sort();
    assert_eq!(numbers, [Some("1".to_owned()), Some("2".to_owned())]);
    for span in &attempts {
        let raw = &span.attributes["tta.retry.attempt"];
        assert!(raw.contains("IntValue("), "exported as an integer: {raw}");
    }
    for span in named("e2e_a >> (e2e_b | e2e_c)") {
        assert_eq!(parent_name(span), Some(WORKFLOW));
    }
    for span in named("e2e_a").chain(named("e2e_b | e2e_c")) {
        assert_eq!(parent_name(span), Some("e2e_a >> (e2e_b | e2e_c)"));
    }
    for span in named("e2e_b").chain(named("e2e_c")) {
        assert_eq!(parent_name(span), Some("e2e_b | e2e_c"));
    }
    assert!(
        spans.iter().all(|span| span.trace_id == root[0].trace_id),
        "one trace"
    );

    let c: Vec<_> = named("e2e_c").collect();
    let failed: Vec<_> = c
        .iter()
        .filter(|span| {
            span.status
                .as_ref()
                .is_some_and(|status| status.code == "STATUS_CODE_ERROR")
        })
        .collect();
    assert_eq!(failed.len(), 1, "{c:#?}");
    assert_eq!(
        failed[0].status.as_ref().unwrap().message,
        "503 from the model"
    );
    assert_eq!(attribute(failed[0], "error.kind").as_deref(), Some("user"));
    assert_eq!(
        attribute(root[0], "tta.primitive.type").as_deref(),
        Some("retry")
    );
    assert_eq!(
        attribute(root[0], "tta.primitive.name").as_deref(),
        Some(WORKFLOW)
    );
    assert_eq!(
        attribute(root[0], "tta.correlation.id").map(|id| id.len()),
        Some(36)
    );
    assert!(attribute(root[0], "tta.workflow.id").is_some());
}

fn endpoint_survives_abuse(address: SocketAddr) {
    // Other paths and methods get a clear status, not the metrics.
    assert_eq!(http::get(address, "/nope").unwrap().0, 404);
    let post = http::exchange(
        address,
        b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(http::split_response(&post).0, 405, "{post}");

    // Garbage instead of HTTP.
    let garbage =
        http::exchange(address, b"\x16\x03\x01 not http at all\r\n\r\n").unwrap_or_default();
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage}"
    );

    // A 64 KiB header.
    let big = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let response = http::exchange(address, big.as_bytes()).unwrap_or_default();
    let status = http::split_response(&response).0;
    assert!(matches!(status, 0 | 200 | 400 | 431), "{status}");

    // A slow client holding a half-sent request, while others scrape.
    let mut slow = http::connect(address).unwrap();
    for byte in b"GET /met" {
        slow.write_all(&[*byte]).unwrap();
        assert_eq!(
            http::get(address, "/metrics").unwrap().0,
            200,
            "served while a slow client dribbles"
        );
    }

    // 1,000 quick scrapes.
    for _ in 0..1_000 {
        assert_eq!(http::get(address, "/metrics").unwrap().0, 200);
    }
    slow.write_all(b"rics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    slow.read_to_string(&mut response).unwrap();
    assert_eq!(
        http::split_response(&response).0,
        200,
        "the slow client is served too"
    );
}
