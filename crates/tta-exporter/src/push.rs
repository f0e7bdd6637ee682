//! Pushgateway mode, for batch jobs that end before Prometheus would scrape
//! them: the metrics are pushed on an interval and once more at shutdown.

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::background::Background;
use crate::settings::Push;

/// How long one push may take, the last one included.
const PUSH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub(crate) struct Pusher {
    client: reqwest::Client,
    url: String,
    handle: PrometheusHandle,
}

impl Pusher {
    pub(crate) fn new(push: &Push, handle: PrometheusHandle) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(PUSH_TIMEOUT).build()?;
        Ok(Self {
            client,
            url: format!(
                "{}/metrics/job/{}",
                push.url.trim_end_matches('/'),
                push.job
            ),
            handle,
        })
    }

    /// Replaces the job's metrics on the gateway with the current ones.
    pub(crate) async fn push(&self) -> Result<(), String> {
        let response = self
            .client
            .put(&self.url)
            .header("content-type", "text/plain; version=0.0.4")
            .body(self.handle.render())
            .send()
            .await
            .map_err(|error| error.to_string())?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(format!("{status}: {}", body.trim()))
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
