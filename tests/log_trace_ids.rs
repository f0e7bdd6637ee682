//! A log line of a sampled run carries the trace and span ids its span was
//! exported with, so the line leads to the trace. The test runs itself as a
//! child process configured only through the environment, reads the child's
//! JSON logs from stderr, and matches them, and the log records exported
//! over OTLP, with the spans received.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::Value;
use tta::prelude::*;
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

const CHILD: &str = "TTA_TEST_LOG_TRACE_IDS_CHILD";

#[test]
fn log_lines_of_a_sampled_run_carry_its_trace_and_span_ids() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let receiver = OtlpHttpReceiver::start();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "log_lines_of_a_sampled_run_carry_its_trace_and_span_ids",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .env("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
        .env("TTA_LOG_FORMAT", "JSON")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let named = |message: &str| {
        lines
            .iter()
            .find(|line| line["message"] == message)
            .unwrap_or_else(|| panic!("no `{message}` line in {lines:?}"))
    };

    let inside = named("inside_the_step");
    let spans = receiver.spans(std::time::Duration::from_secs(10));
    let step: &Span = spans
        .iter()
        .find(|span| span.name == "logging_step")
        .unwrap();
    assert_eq!(inside["trace_id"], hex(&step.trace_id));
    assert_eq!(inside["span_id"], hex(&step.span_id));

    let outside = named("outside_any_run");
    assert!(outside.get("trace_id").is_none(), "{outside}");

    // The same events went to the collector as log records, the one inside
    // the step with its span's ids.
    let records = receiver.log_records(std::time::Duration::from_secs(10));
    let body = |record: &LogRecord| match record.body.as_ref().and_then(|body| body.value.as_ref())
    {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        _ => String::new(),
    };
    let inside = records
        .iter()
        .find(|record| body(record) == "inside_the_step")
        .unwrap_or_else(|| panic!("no exported `inside_the_step` in {records:?}"));
    assert_eq!(inside.trace_id, step.trace_id);
    assert_eq!(inside.span_id, step.span_id);
    assert_eq!(inside.severity_text, "WARN");
    let outside = records
        .iter()
        .find(|record| body(record) == "outside_any_run")
        .unwrap();
    assert!(outside.trace_id.is_empty() || outside.trace_id.iter().all(|byte| *byte == 0));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[primitive]
async fn logging_step(n: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
    tracing::warn!(n, "inside_the_step");
    Ok(n)
}

fn child() {
    let telemetry = tta::telemetry::init().unwrap();
    tracing::warn!("outside_any_run");
    otlp_http::runtime().block_on(async {
        LoggingStep.run(1).await.unwrap();
    });
    telemetry.shutdown().unwrap();
}
