//! With OTLP export on, the dashboard's recent runs carry the trace id they
//! were exported with, so a run seen on the page is found in Jaeger or
//! Tempo.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tta::prelude::*;
use tta::telemetry::OtlpProtocol;
use tta_test_support::http;
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

#[test]
fn a_recent_run_names_the_trace_it_was_exported_in() {
    let receiver = OtlpHttpReceiver::start();
    let telemetry = tta::telemetry::builder()
        .metrics_address(SocketAddr::from(([127, 0, 0, 1], 0)))
        .log_format(tta::telemetry::LogFormat::Off)
        .otlp(receiver.endpoint(), OtlpProtocol::HttpProtobuf)
        .dashboard(true)
        .install()
        .unwrap();
    let address = telemetry.metrics_address().unwrap();
    // A page is watching: runs are collected from now on.
    let (status, _) = http::get(address, "/api/dashboard").unwrap();
    assert_eq!(status, 200);

    let ctx = WorkflowContext::new();
    otlp_http::runtime().block_on(async {
        let step = from_fn("traced_step", |n: u32, _ctx| async move { Ok(n + 1) });
        let other = from_fn("traced_other", |n: u32, _ctx| async move { Ok(n * 2) });
        (step >> other)
            .named("traced_flow")
            .run_with(1, ctx.clone())
            .await
            .unwrap();
    });
    let expected = format!("{:032x}", ctx.trace_id());

    let deadline = Instant::now() + Duration::from_secs(10);
    let run = loop {
        let (_, body) = http::get(address, "/api/dashboard").unwrap();
        let snapshot: serde_json::Value = serde_json::from_str(&body).unwrap();
        let found = snapshot["runs"].as_array().and_then(|runs| {
            runs.iter()
                .find(|run| run["name"] == "traced_flow")
                .cloned()
        });
        if let Some(run) = found {
            break run;
        }
        assert!(Instant::now() < deadline, "the run never showed: {body}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(run["trace_id"], expected.as_str(), "{run:#}");
    let names: Vec<&str> = run["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|span| span["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["traced_flow", "traced_step", "traced_other"]);

    telemetry.shutdown().unwrap();
    let exported = receiver.spans(Duration::from_secs(10));
    assert!(
        exported
            .iter()
            .any(|span| span.trace_id == ctx.trace_id().to_be_bytes() && span.name == "traced_flow"),
        "the same trace reached the collector"
    );
}
