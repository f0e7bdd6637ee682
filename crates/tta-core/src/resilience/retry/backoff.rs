//! [`Backoff`] and [`Jitter`]: how long a retry waits between attempts.

use std::time::Duration;

use crate::config::ConfigError;

/// The wait before the next attempt, as a function of the attempt that failed.
///
/// Every strategy is bounded by its cap ([`Backoff::cap`]; 30 s unless set).
///
/// ```
/// use std::time::Duration;
/// use tta_core::resilience::Backoff;
///
/// let backoff = Backoff::exponential(Duration::from_millis(100)).factor(2.0);
/// assert_eq!(backoff.base_delay(1), Duration::from_millis(100));
/// assert_eq!(backoff.base_delay(3), Duration::from_millis(400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    strategy: Strategy,
    cap: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Strategy {
    Constant(Duration),
    Linear { initial: Duration, step: Duration },
    Exponential { base: Duration, factor: f64 },
    Decorrelated { base: Duration },
}

/// The cap every strategy starts with.
pub const DEFAULT_CAP: Duration = Duration::from_secs(30);

impl Backoff {
    /// The same wait every time.
    pub const fn constant(delay: Duration) -> Self {
        Self::new(Strategy::Constant(delay))
    }

    /// `initial`, then `initial + step`, `initial + 2 × step`, ...
    pub const fn linear(initial: Duration, step: Duration) -> Self {
        Self::new(Strategy::Linear { initial, step })
    }

    /// `base`, then `base × factor`, `base × factor²`, ...; the factor is 2
    /// unless set with [`factor`](Self::factor).
    pub const fn exponential(base: Duration) -> Self {
        Self::new(Strategy::Exponential { base, factor: 2.0 })
    }

    /// AWS's "decorrelated jitter": a random wait between `base` and three
    /// times the previous wait. It is random by construction, so the
    /// policy's [`Jitter`] is not applied on top.
    pub const fn decorrelated(base: Duration) -> Self {
        Self::new(Strategy::Decorrelated { base })
    }

    const fn new(strategy: Strategy) -> Self {
        Self {
            strategy,
            cap: DEFAULT_CAP,
        }
    }

    /// The growth factor of an exponential backoff; ignored by the others.
    /// Must be finite and at least 1.
    pub const fn factor(mut self, factor: f64) -> Self {
        if let Strategy::Exponential { base, .. } = self.strategy {
            self.strategy = Strategy::Exponential { base, factor };
        }
        self
    }

    /// The longest wait, whatever the strategy computes.
    pub const fn cap(mut self, cap: Duration) -> Self {
        self.cap = cap;
        self
    }

    /// The wait after attempt `failed` (from 1) before any jitter, capped.
    /// For decorrelated backoff this is its lower bound, `base`.
    pub fn base_delay(&self, failed: u32) -> Duration {
        let steps = failed.saturating_sub(1);
        let delay = match self.strategy {
            Strategy::Constant(delay) => delay,
            Strategy::Linear { initial, step } => {
                initial.saturating_add(step.saturating_mul(steps))
            }
            Strategy::Exponential { base, factor } => {
                let exponent = i32::try_from(steps).unwrap_or(i32::MAX);
                Duration::try_from_secs_f64(base.as_secs_f64() * factor.powi(exponent))
                    .unwrap_or(self.cap)
            }
            Strategy::Decorrelated { base } => base,
        };
        delay.min(self.cap)
    }

    /// The wait after attempt `failed`, given the previous wait and a source
    /// of uniform random numbers in `[0, 1)`.
    pub(crate) fn delay(
        &self,
        failed: u32,
        previous: Option<Duration>,
        jitter: Jitter,
        random: impl FnOnce() -> f64,
    ) -> Duration {
        match self.strategy {
            Strategy::Decorrelated { base } => {
                let low = base.as_secs_f64();
                let high = previous.unwrap_or(base).as_secs_f64() * 3.0;
                let wait = low + (high - low).max(0.0) * random();
                // Capped after converting, so a wait past `Duration::MAX` is
                // the cap rather than a panic.
                Duration::try_from_secs_f64(wait).map_or(self.cap, |wait| wait.min(self.cap))
            }
            _ => jitter.apply(self.base_delay(failed), random),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if let Strategy::Exponential { factor, .. } = self.strategy
            && !(factor.is_finite() && factor >= 1.0)
        {
            return Err(ConfigError::new(
                "backoff.factor",
                format!("must be a finite number of at least 1, got {factor}"),
            ));
        }
        if self.cap.is_zero() {
            return Err(ConfigError::new("backoff.cap", "must be greater than zero"));
        }
        Ok(())
    }
}

impl Default for Backoff {
    /// Exponential from 100 ms, doubling, capped at 30 s.
    fn default() -> Self {
        Backoff::exponential(Duration::from_millis(100))
    }
}

/// Randomness added to each wait so that clients that failed together do
/// not retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    /// The computed wait, exactly.
    None,
    /// A uniform random wait between zero and the computed wait (the default).
    #[default]
    Full,
    /// Half the computed wait plus a uniform random share of the other half.
    Equal,
}

impl Jitter {
    fn apply(self, delay: Duration, random: impl FnOnce() -> f64) -> Duration {
        match self {
            Jitter::None => delay,
            Jitter::Full => delay.mul_f64(random()),
            Jitter::Equal => {
                let half = delay / 2;
                half + half.mul_f64(random())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn exact(backoff: Backoff, attempts: u32) -> Vec<Duration> {
        (1..=attempts)
            .map(|failed| backoff.delay(failed, None, Jitter::None, || 0.5))
            .collect()
    }

    #[test]
    fn strategies_produce_their_documented_sequences() {
        assert_eq!(exact(Backoff::constant(50 * MS), 3), [50 * MS; 3]);
        assert_eq!(
            exact(Backoff::linear(100 * MS, 50 * MS), 4),
            [100 * MS, 150 * MS, 200 * MS, 250 * MS]
        );
        assert_eq!(
            exact(Backoff::exponential(100 * MS).factor(3.0), 4),
            [100 * MS, 300 * MS, 900 * MS, 2700 * MS]
        );
    }

    #[test]
    fn the_cap_bounds_every_strategy() {
        let capped = Backoff::exponential(MS * 100).cap(MS * 250);
        assert_eq!(exact(capped, 4), [100 * MS, 200 * MS, 250 * MS, 250 * MS]);
        // Huge exponents saturate at the cap instead of overflowing.
        assert_eq!(capped.base_delay(u32::MAX), 250 * MS);
        let linear = Backoff::linear(MS, Duration::MAX).cap(MS * 10);
        assert_eq!(linear.base_delay(5), 10 * MS);
    }

    #[test]
    fn jitter_stays_within_its_bounds() {
        let backoff = Backoff::constant(100 * MS);
        for random in [0.0, 0.25, 0.999_999] {
            let full = backoff.delay(1, None, Jitter::Full, || random);
            assert!(full <= 100 * MS);
            let equal = backoff.delay(1, None, Jitter::Equal, || random);
            assert!((50 * MS..=100 * MS).contains(&equal), "{equal:?}");
        }
        assert_eq!(backoff.delay(1, None, Jitter::Full, || 0.0), Duration::ZERO);
        assert_eq!(backoff.delay(1, None, Jitter::Equal, || 0.0), 50 * MS);
    }

    #[test]
    fn waits_past_duration_max_saturate_at_the_cap() {
        let huge = Backoff::decorrelated(Duration::MAX).cap(Duration::MAX);
        for random in [0.0, 0.5, 0.999_999] {
            let wait = huge.delay(2, Some(Duration::MAX), Jitter::None, || random);
            assert_eq!(wait, Duration::MAX);
        }
    }

    #[test]
    fn decorrelated_waits_between_base_and_three_times_the_previous_wait() {
        let backoff = Backoff::decorrelated(10 * MS).cap(MS * 1000);
        assert_eq!(
            backoff.delay(2, Some(100 * MS), Jitter::None, || 0.0),
            10 * MS
        );
        let top = backoff.delay(2, Some(100 * MS), Jitter::None, || 0.999_999);
        assert!(top > 299 * MS && top <= 300 * MS, "{top:?}");
        assert_eq!(
            backoff.delay(9, Some(900 * MS), Jitter::None, || 0.999),
            1000 * MS
        );
    }

    #[test]
    fn invalid_factors_and_caps_are_rejected_by_name() {
        let error = Backoff::exponential(MS).factor(0.5).validate().unwrap_err();
        assert_eq!(error.field(), "backoff.factor");
        let error = Backoff::exponential(MS)
            .factor(f64::NAN)
            .validate()
            .unwrap_err();
        assert_eq!(error.field(), "backoff.factor");
        let error = Backoff::constant(MS)
            .cap(Duration::ZERO)
            .validate()
            .unwrap_err();
        assert_eq!(error.field(), "backoff.cap");
        assert!(Backoff::default().validate().is_ok());
    }
}
