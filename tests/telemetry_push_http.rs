//! A batch job's telemetry: spans over OTLP/HTTP with the service name on
//! the resource, and metrics pushed to a real Pushgateway at shutdown.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tta::prelude::*;
use tta::telemetry::{LogFormat, OtlpProtocol};
use tta_test_support::http::{self, parse_exposition, value};
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};
use tta_test_support::tools;

/// A Pushgateway on a free loopback port, killed when dropped.
struct Pushgateway {
    child: Child,
    address: SocketAddr,
}

impl Pushgateway {
    fn start() -> Option<Self> {
        let binary = tools::find("prometheus-pushgateway", "prometheus-pushgateway")?;
        let address = http::free_port();
        let child = Command::new(binary)
            .arg(format!("--web.listen-address={address}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let gateway = Self { child, address };
        let ready = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            http::get(address, "/-/ready").is_ok_and(|(status, _)| status == 200)
        });
        assert!(ready, "the Pushgateway did not start on {address}");
        Some(gateway)
    }
}

impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_batch_job_pushes_at_shutdown_and_exports_spans_over_http() {
    let receiver = OtlpHttpReceiver::start();
    let gateway = Pushgateway::start();
    let mut builder = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_format(LogFormat::Off)
        .otlp(receiver.endpoint(), OtlpProtocol::HttpProtobuf)
        .service_name("nightly-batch");
    if let Some(gateway) = &gateway {
        // An hour: only the push at shutdown can deliver these metrics.
        builder = builder.push_gateway(
            format!("http://{}", gateway.address),
            "tta_batch",
            Duration::from_secs(3600),
        );
    }
    let telemetry = builder.install().unwrap();

    let runtime = otlp_http::runtime();
    runtime.block_on(async {
        let summarize = from_fn("push_summarize", |text: String, _ctx| async move {
            Ok(text.len())
        });
        for text in ["a", "bb", "ccc"] {
            summarize.run(text.to_owned()).await.unwrap();
        }
    });
    telemetry.shutdown().unwrap();

    let requests = receiver.received(Duration::from_secs(10));
    let resource_spans: Vec<_> = requests
        .iter()
        .flat_map(|request| &request.resource_spans)
        .collect();
    let service_names: Vec<_> = resource_spans
        .iter()
        .filter_map(|spans| otlp_http::service_name(spans))
        .collect();
    assert!(!service_names.is_empty() && service_names.iter().all(|name| *name == "nightly-batch"));
    let span_names: Vec<_> = resource_spans
        .iter()
        .flat_map(|spans| &spans.scope_spans)
        .flat_map(|scope| &scope.spans)
        .map(|span| span.name.as_str())
        .collect();
    assert_eq!(
        span_names, ["push_summarize"; 3],
        "every span flushed at shutdown"
    );

    let Some(gateway) = gateway else { return };
    let (status, body) = http::get(gateway.address, "/metrics").unwrap();
    assert_eq!(status, 200);
    let samples = parse_exposition(&body);
    let runs = [
        ("job", "tta_batch"),
        ("workflow_name", "push_summarize"),
        ("status", "success"),
    ];
    assert_eq!(
        value(&samples, "tta_workflow_executions_total", &runs),
        Some(3.0)
    );
    let count = [("job", "tta_batch"), ("workflow_name", "push_summarize")];
    assert_eq!(
        value(&samples, "tta_workflow_duration_seconds_count", &count),
        Some(3.0)
    );
}
