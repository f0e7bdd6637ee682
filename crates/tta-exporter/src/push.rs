//! Pushgateway mode, for batch jobs that end before Prometheus would scrape
//! them: the metrics are pushed on an interval and once more at shutdown.

use std::time::Duration;

use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method, Uri};
use metrics_exporter_prometheus::PrometheusHandle;
use tta_http::{Failure, Transport};

use crate::background::Background;
use crate::settings::Push;

/// How long one push may take, the last one included.
const PUSH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub(crate) struct Pusher {
    transport: Transport,
    uri: Uri,
    url: String,
    handle: PrometheusHandle,
}

impl Pusher {
    pub(crate) fn new(push: &Push, handle: PrometheusHandle) -> Result<Self, String> {
        let url = format!(
            "{}/metrics/job/{}",
            push.url.trim_end_matches('/'),
            push.job
        );
        let uri = url.parse::<Uri>().map_err(|error| error.to_string())?;
        let transport = Transport::new(None).map_err(|error| error.to_string())?;
        Ok(Self {
            transport,
            uri,
            url,
            handle,
        })
    }

    /// Replaces the job's metrics on the gateway with the current ones.
    pub(crate) async fn push(&self) -> Result<(), String> {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        );
        let body = self.handle.render().into_bytes();
        let sent = self.transport.send(Method::PUT, &self.uri, headers, body);
        let answer = match tokio::time::timeout(PUSH_TIMEOUT, sent).await {
            Err(_) => return Err(format!("no answer within {PUSH_TIMEOUT:?}")),
            Ok(Err(Failure::Send(reason) | Failure::Body(reason))) => return Err(reason),
            Ok(Ok(answer)) => answer,
        };
        if answer.status.is_success() {
            Ok(())
        } else {
            let body = String::from_utf8_lossy(&answer.body);
            Err(format!("{}: {}", answer.status, body.trim()))
        }
    }

    /// Pushes every `interval` on the telemetry thread; failures are logged.
    pub(crate) fn spawn(&self, background: &Background, interval: Duration) {
        let pusher = self.clone();
        background.handle().spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(error) = pusher.push().await {
                    tracing::warn!(url = %pusher.url, %error, "pushgateway_push_failed");
                }
            }
        });
    }

    /// Pushes on the telemetry thread and waits for the answer: for
    /// `Telemetry::push` and the last push at shutdown.
    pub(crate) fn push_and_wait(&self, background: &Background) -> Result<(), String> {
        let pusher = self.clone();
        background
            .run(
                async move { pusher.push().await },
                PUSH_TIMEOUT + Duration::from_secs(1),
            )
            .unwrap_or_else(|| Err("the last push timed out".to_owned()))
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}
