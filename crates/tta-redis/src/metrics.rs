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

pub(crate) fn l2_hit(primitive: &str) {
    metrics::counter!(catalog::CACHE_L2_HITS_TOTAL, "primitive_name" => primitive.to_owned())
        .increment(1);
}

pub(crate) fn l2_miss(primitive: &str, reason: &'static str) {
    metrics::counter!(
        catalog::CACHE_L2_MISSES_TOTAL,
        "primitive_name" => primitive.to_owned(),
        "reason" => reason
    )
    .increment(1);
}

pub(crate) fn lease(primitive: &str, outcome: &'static str) {
    metrics::counter!(
        catalog::CACHE_LEASES_TOTAL,
        "primitive_name" => primitive.to_owned(),
        "outcome" => outcome
    )
    .increment(1);
}
