//! Head sampling: whether a new trace's spans are recorded, decided once,
//! when its root [`WorkflowContext`](super::WorkflowContext) is built.
//!
//! Deciding at the root is what makes an unsampled run cheap: it opens no
//! spans at all, so a tracing layer never builds span data only for a
//! sampler to drop it. Metrics and log events are recorded either way.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::ConfigError;

/// The ratio's bits; `1.0` until [`set_sample_ratio`] changes it.
static RATIO_BITS: AtomicU64 = AtomicU64::new(0x3FF0_0000_0000_0000);

/// Keeps `ratio` (0 to 1) of the traces started from now on.
///
/// Only new traces are affected: a context built from a `traceparent`, or a
/// [`child`](super::WorkflowContext::child), keeps its parent's decision, and
/// [`WorkflowContextBuilder::sampled`](super::WorkflowContextBuilder::sampled)
/// overrides it for one run. The `tta` exporter calls this with its
/// `trace_sample_ratio` (or `OTEL_TRACES_SAMPLER`), so set that instead when
/// you use the exporter.
///
/// The decision follows OpenTelemetry's `TraceIdRatioBased` sampler: a trace
/// is kept when the low 63 bits of its id fall below `ratio × 2⁶³`, so every
/// service that samples by trace-id ratio keeps the same traces.
///
/// ```
/// use tta_core::{WorkflowContext, sampling};
///
/// sampling::set_sample_ratio(0.0)?;
/// assert!(!WorkflowContext::new().is_sampled());
/// // One run can still ask for its spans.
/// assert!(WorkflowContext::builder().sampled(true).build().is_sampled());
///
/// assert!(sampling::set_sample_ratio(1.5).is_err());
/// sampling::set_sample_ratio(1.0)?;
/// assert!(WorkflowContext::new().is_sampled());
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
pub fn set_sample_ratio(ratio: f64) -> Result<(), ConfigError> {
    let ratio = check_sample_ratio(ratio)?;
    RATIO_BITS.store(ratio.to_bits(), Ordering::Relaxed);
    Ok(())
}

/// Returns `ratio` if [`set_sample_ratio`] would accept it: a number from
/// 0 to 1. Check configuration with it before anything is installed.
///
/// ```
/// assert_eq!(tta_core::sampling::check_sample_ratio(0.1), Ok(0.1));
/// assert!(tta_core::sampling::check_sample_ratio(f64::NAN).is_err());
/// ```
pub fn check_sample_ratio(ratio: f64) -> Result<f64, ConfigError> {
    if (0.0..=1.0).contains(&ratio) {
        Ok(ratio)
    } else {
        Err(ConfigError::new(
            "sample_ratio",
            format!("must be between 0 and 1, got {ratio}"),
        ))
    }
}

/// The share of new traces that are sampled: 1 unless
/// [`set_sample_ratio`] changed it.
pub fn sample_ratio() -> f64 {
    f64::from_bits(RATIO_BITS.load(Ordering::Relaxed))
}

/// Whether a new trace with this id is sampled at the current ratio.
pub(crate) fn samples(trace_id: u128) -> bool {
    keeps(sample_ratio(), trace_id)
}

fn keeps(ratio: f64, trace_id: u128) -> bool {
    if ratio >= 1.0 {
        return true;
    }
    // The float-to-int cast saturates, and a ratio below 1 stays below 2⁶³.
    let bound = (ratio * (1u64 << 63) as f64) as u64;
    // The id's low 64 bits, as OpenTelemetry reads them: truncation intended.
    let low = trace_id as u64;
    (low >> 1) < bound
}

#[cfg(test)]
mod tests {
    use super::keeps;

    #[test]
    fn the_extremes_keep_everything_or_nothing() {
        for id in [1, u128::from(u64::MAX), u128::MAX, 0x8000_0000_0000_0000] {
            assert!(keeps(1.0, id));
            assert!(!keeps(0.0, id));
        }
    }

    #[test]
    fn the_low_63_bits_decide_against_the_ratio() {
        // Low bits 0 → kept by any positive ratio; high bits are ignored.
        assert!(keeps(1e-9, 0xFFFF_FFFF_FFFF_FFFF_0000_0000_0000_0000));
        // Just below and at half of 2⁶³, shifted back into the low 64 bits.
        assert!(keeps(0.5, u128::from(((1u64 << 62) - 1) << 1)));
        assert!(!keeps(0.5, u128::from((1u64 << 62) << 1)));
        // The lowest bit is dropped, as OpenTelemetry drops it.
        assert!(keeps(0.5, u128::from((((1u64 << 62) - 1) << 1) | 1)));
    }

    #[test]
    fn a_ratio_keeps_that_share_of_ids_spread_evenly() {
        // 4096 ids spread evenly over the low 64 bits: exactly a quarter kept.
        let kept = (0..4096u64)
            .filter(|i| keeps(0.25, u128::from(i << 52)))
            .count();
        assert_eq!(kept, 1024);
    }
}
