//! Whether anybody is listening: when nobody is, an execution records
//! nothing and so measures nothing.
//!
//! `tracing` knows when no subscriber wants anything (its global maximum
//! level is OFF). The `metrics` facade cannot tell whether a recorder is
//! installed, so the installer says so with [`set_metrics_enabled`]; the
//! `tta` exporter does it for you.

use std::sync::atomic::{AtomicBool, Ordering};

use tracing::level_filters::LevelFilter;

static METRICS: AtomicBool = AtomicBool::new(false);

/// Tells TTA.dev whether a `metrics` recorder is installed, so that
/// executions record their metrics (`true`) or, when no `tracing`
/// subscriber listens either, skip their telemetry altogether (`false`,
/// the default).
///
/// [`tta::telemetry`](https://docs.rs/tta/latest/tta/telemetry/) calls it
/// when it installs its recorder. **Call it yourself when you install your
/// own recorder** (`metrics::set_global_recorder`, or an exporter's
/// `install`): without it, and without a `tracing` subscriber, executions
/// record no metrics. With a subscriber installed, metrics are recorded
/// either way.
///
/// ```
/// use tta_core::instrument::{metrics_enabled, set_metrics_enabled};
///
/// // After installing a recorder of your own:
/// set_metrics_enabled(true);
/// assert!(metrics_enabled());
/// # set_metrics_enabled(false);
/// ```
pub fn set_metrics_enabled(enabled: bool) {
    METRICS.store(enabled, Ordering::Relaxed);
}

/// Whether [`set_metrics_enabled`] last said a recorder is installed.
#[must_use]
pub fn metrics_enabled() -> bool {
    METRICS.load(Ordering::Relaxed)
}

/// Whether an execution starting now has anybody to record for: a
/// recorder, or a subscriber that wants anything at all. Two relaxed loads.
#[inline]
pub(crate) fn anybody() -> bool {
    metrics_enabled() || LevelFilter::current() != LevelFilter::OFF
}
