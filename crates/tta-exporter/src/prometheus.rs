//! The Prometheus recorder, its `/metrics` endpoint, the process collector
//! and `tta_build_info`.

use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use tta_core::catalog;
use tta_core::llm::semconv;

use crate::TelemetryError;
use crate::background::Background;

/// How often process metrics (CPU, memory, file descriptors) are sampled.
const PROCESS_INTERVAL: Duration = Duration::from_secs(1);

/// Installs the global recorder; [`crate::endpoint`] serves it.
pub(crate) fn install(background: &Background) -> Result<PrometheusHandle, TelemetryError> {
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
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|_| TelemetryError::AlreadyInstalled {
        what: "a metrics recorder",
        hint: "install telemetry once, before any other recorder",
    })?;
    // The facade cannot tell that a recorder is installed; without this,
    // executions outside a subscriber's interest would skip their metrics.
    tta_core::instrument::set_metrics_enabled(true);
    // Histogram summaries and idle-timeout bookkeeping happen on upkeep.
    let upkeep = handle.clone();
    background.handle().spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    background.handle().spawn(collect_process_metrics());

    catalog::describe();
    metrics::gauge!(catalog::BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    // Counters of rare events exist from the start, so dashboards and
    // alerts see 0 rather than no data.
    metrics::counter!(catalog::SPANS_DROPPED_TOTAL).absolute(0);
    metrics::counter!(catalog::LLM_USAGE_REJECTED_TOTAL).absolute(0);
    Ok(handle)
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
