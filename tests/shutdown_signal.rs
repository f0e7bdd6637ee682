//! SIGTERM, as `docker stop`, systemd and Kubernetes send it, flushes the
//! spans a process has not exported yet: the test runs itself as a child
//! process, sends it SIGTERM, and sees the spans arrive at an OTLP receiver.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::Duration;

use tta::prelude::*;
use tta_test_support::child::ChildTest;
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

/// Set in the child: the OTLP endpoint to export to.
const CHILD_ENDPOINT: &str = "TTA_TEST_SIGTERM_CHILD_ENDPOINT";
const RUNS: usize = 5;

#[test]
fn sigterm_flushes_unexported_spans_before_the_process_exits() {
    if let Ok(endpoint) = std::env::var(CHILD_ENDPOINT) {
        return child(&endpoint);
    }
    let receiver = OtlpHttpReceiver::start();
    let mut child = ChildTest::spawn(
        "sigterm_flushes_unexported_spans_before_the_process_exits",
        &[
            (CHILD_ENDPOINT, &receiver.endpoint()),
            // Ten minutes: only the flush at shutdown can deliver the spans.
            ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
        ],
    );
    child.wait_for("ready", Duration::from_secs(60));
    assert!(
        receiver.spans(Duration::from_millis(300)).is_empty(),
        "nothing is exported before the signal"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    let (exit, rest) = child.wait_exit(Duration::from_secs(30));
    assert!(exit.success(), "{exit:?}: {rest:?}");
    assert!(
        rest.iter().any(|line| line == "stopped by SIGTERM"),
        "{rest:?}"
    );

    let spans = receiver.spans(Duration::from_secs(10));
    let steps = spans
        .iter()
        .filter(|span| span.name == "sigterm_step")
        .count();
    assert_eq!(steps, RUNS, "every run's span arrived");
}

#[primitive]
async fn sigterm_step(n: usize, _ctx: &WorkflowContext) -> tta::Result<usize> {
    Ok(n + 1)
}

fn child(endpoint: &str) {
    let runtime = otlp_http::runtime();
    let receiver_endpoint = endpoint.to_owned();
    let telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_format(tta::telemetry::LogFormat::Off)
        .otlp(
            receiver_endpoint,
            tta::telemetry::OtlpProtocol::HttpProtobuf,
        )
        .install()
        .unwrap();
    runtime.block_on(async {
        for n in 0..RUNS {
            SigtermStep.run(n).await.unwrap();
        }
        // The handlers must be in place before the parent signals.
        let stopped = tokio::spawn(telemetry.shutdown_on_signal());
        tokio::task::yield_now().await;
        println!("ready");
        let signal = stopped.await.unwrap().unwrap();
        println!("stopped by {signal}");
    });
}
