//! The Prometheus recorder, its `/metrics` endpoint, the process collector
//! and `tta_build_info`.

use std::net::SocketAddr;
use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use tta_core::catalog;
use tta_core::llm::semconv;

use crate::TelemetryError;
use crate::background::Background;

/// How often process metrics (CPU, memory, file descriptors) are sampled.
const PROCESS_INTERVAL: Duration = Duration::from_secs(1);

/// Installs the global recorder and, with an address, serves it there.
pub(crate) fn install(
    background: &Background,
    address: Option<SocketAddr>,
) -> Result<PrometheusHandle, TelemetryError> {
    let buckets_error = |error: BuildError| TelemetryError::InvalidSetting {
        setting: "buckets",
        reason: error.to_string(),
    };
    let mut builder = PrometheusBuilder::new()
        .set_buckets(catalog::DURATION_BUCKETS)
        .map_err(buckets_error)?;
    // The GenAI histograms use the conventions' own boundaries.
    for (name, buckets) in semconv::metrics::HISTOGRAMS {
        builder = builder
            .set_buckets_for_metric(Matcher::Full((*name).to_owned()), buckets)
            .map_err(buckets_error)?;
    }
    // `build` binds the listener and spawns the recorder's upkeep task, so
    // it runs inside the telemetry thread's runtime.
    let _runtime = background.handle().enter();
    let (recorder, endpoint) = match address {
        Some(address) => {
            let (recorder, endpoint) = builder
                .with_http_listener(address)
                .build()
                .map_err(|error| bind_error(address, error))?;
            (recorder, Some(endpoint))
        }
        None => (builder.build_recorder(), None),
    };
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|_| TelemetryError::AlreadyInstalled {
        what: "a metrics recorder",
        hint: "install telemetry once, before any other recorder",
    })?;

    if let Some(endpoint) = endpoint {
        background.handle().spawn(async move {
            if let Err(error) = endpoint.await {
                tracing::error!(?error, "metrics endpoint stopped");
            }
        });
    }
    if address.is_none() {
        let upkeep = handle.clone();
        background.handle().spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                upkeep.run_upkeep();
            }
        });
    }
    background.handle().spawn(collect_process_metrics());

    catalog::describe();
    metrics::gauge!(catalog::BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    // Counters of rare events exist from the start, so dashboards and
    // alerts see 0 rather than no data.
    metrics::counter!(catalog::SPANS_DROPPED_TOTAL).absolute(0);
    metrics::counter!(catalog::LLM_USAGE_REJECTED_TOTAL).absolute(0);
    Ok(handle)
}

fn bind_error(address: SocketAddr, error: BuildError) -> TelemetryError {
    let reason = match error {
        BuildError::FailedToCreateHTTPListener(reason) => reason,
        other => other.to_string(),
    };
    TelemetryError::Bind { address, reason }
}

async fn collect_process_metrics() {
    let collector = metrics_process::Collector::default();
    collector.describe();
    let mut tick = tokio::time::interval(PROCESS_INTERVAL);
    loop {
        tick.tick().await;
        collector.collect();
    }
}
