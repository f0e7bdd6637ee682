//! The shared tier's metrics, named by the catalog.

use std::time::Duration;

use tta_core::catalog;
use tta_core::resilience::FailureMode;

pub(crate) fn round_trip(command: &'static str, elapsed: Duration, ok: bool) {
    let status = if ok { "ok" } else { "error" };
    metrics::histogram!(catalog::REDIS_COMMAND_SECONDS, "command" => command, "status" => status)
        .record(elapsed.as_secs_f64());
}

pub(crate) fn degraded(primitive: &str, shared: &'static str, mode: FailureMode) {
    metrics::counter!(
        catalog::SHARED_DEGRADED_TOTAL,
        "primitive_name" => primitive.to_owned(),
        "shared" => shared,
        "mode" => mode.as_str()
    )
    .increment(1);
}

/// A shared cache tier's counters, registered once per name rather than
/// on every lookup.
pub(crate) struct TierCounters {
    pub(crate) hit: metrics::Counter,
    pub(crate) absent: metrics::Counter,
    pub(crate) undecodable: metrics::Counter,
    pub(crate) won: metrics::Counter,
    pub(crate) waited: metrics::Counter,
    pub(crate) expired: metrics::Counter,
}

impl TierCounters {
    pub(crate) fn new(primitive: &str) -> Self {
        let name = primitive.to_owned();
        let miss = |reason: &'static str| metrics::counter!(catalog::CACHE_L2_MISSES_TOTAL, "primitive_name" => name.clone(), "reason" => reason);
        let lease = |outcome: &'static str| metrics::counter!(catalog::CACHE_LEASES_TOTAL, "primitive_name" => name.clone(), "outcome" => outcome);
        Self {
            hit: metrics::counter!(catalog::CACHE_L2_HITS_TOTAL, "primitive_name" => name.clone()),
            absent: miss("absent"),
            undecodable: miss("undecodable"),
            won: lease("won"),
            waited: lease("waited"),
            expired: lease("expired"),
        }
    }
}
