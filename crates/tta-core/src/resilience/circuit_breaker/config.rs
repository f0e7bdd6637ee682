//! [`CircuitBreakerConfig`]: when a breaker trips and how it recovers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::config::ConfigError;
use crate::error::Error;

type Predicate = Arc<dyn Fn(&Error) -> bool + Send + Sync>;

/// What trips a closed breaker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TripOn {
    /// This many failures in a row.
    ConsecutiveFailures(u32),
    /// At least `ratio` (0 < ratio ≤ 1) of the last `window` calls failed,
    /// counted only once the window holds `min_calls` calls, so that two
    /// failures out of the first three calls of the day do not trip it.
    FailureRatio {
        /// The share of failed calls that trips the breaker.
        ratio: f64,
        /// How many of the most recent calls are considered.
        window: u32,
        /// The fewest calls in the window before the ratio counts.
        min_calls: u32,
    },
}

/// How a [`CircuitBreaker`](super::CircuitBreaker) trips and recovers.
///
/// | setting | default |
/// |---|---|
/// | [`trip_on`](CircuitBreakerConfigBuilder::trip_on) | 5 consecutive failures |
/// | [`open_for`](CircuitBreakerConfigBuilder::open_for) | 30 s before half-open |
/// | [`half_open_probes`](CircuitBreakerConfigBuilder::half_open_probes) | 1 probe at a time; that many successes close it |
/// | [`failure_if`](CircuitBreakerConfigBuilder::failure_if) | every error except [`Error::Cancelled`] |
///
/// ```
/// use std::time::Duration;
/// use tta_core::resilience::{CircuitBreakerConfig, TripOn};
///
/// let config = CircuitBreakerConfig::builder()
///     .trip_on(TripOn::FailureRatio { ratio: 0.5, window: 20, min_calls: 10 })
///     .open_for(Duration::from_secs(10))
///     .half_open_probes(2)
///     .build()?;
/// assert_eq!(config.open_for(), Duration::from_secs(10));
///
/// let invalid = CircuitBreakerConfig::builder().half_open_probes(0).build().unwrap_err();
/// assert_eq!(invalid.field(), "half_open_probes");
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct CircuitBreakerConfig {
    pub(super) trip_on: TripOn,
    pub(super) open_for: Duration,
    pub(super) half_open_probes: u32,
    pub(super) failure_if: Predicate,
}

impl CircuitBreakerConfig {
    /// Starts from the defaults in the table above.
    pub fn builder() -> CircuitBreakerConfigBuilder {
        CircuitBreakerConfigBuilder {
            config: Self::default(),
        }
    }

    /// How long the breaker stays open before it lets probes through.
    pub fn open_for(&self) -> Duration {
        self.open_for
    }

    /// Whether `error` counts as a failure of the protected dependency.
    pub fn is_failure(&self, error: &Error) -> bool {
        (self.failure_if)(error)
    }
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        Self {
            trip_on: TripOn::ConsecutiveFailures(5),
            open_for: Duration::from_secs(30),
            half_open_probes: 1,
            failure_if: Arc::new(|error| !matches!(error, Error::Cancelled)),
        }
    }
}

impl fmt::Debug for CircuitBreakerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerConfig")
            .field("trip_on", &self.trip_on)
            .field("open_for", &self.open_for)
            .field("half_open_probes", &self.half_open_probes)
            .finish_non_exhaustive()
    }
}

/// Builds a [`CircuitBreakerConfig`]; the defaults are documented there.
#[derive(Debug, Clone)]
#[must_use = "call `build()` to get the configuration"]
pub struct CircuitBreakerConfigBuilder {
    config: CircuitBreakerConfig,
}

impl CircuitBreakerConfigBuilder {
    /// What trips the breaker.
    pub fn trip_on(mut self, trip_on: TripOn) -> Self {
        self.config.trip_on = trip_on;
        self
    }

    /// How long it stays open before letting probes through.
    /// `Duration::MAX` keeps it open until
    /// [`reset`](super::CircuitBreakerHandle::reset).
    pub fn open_for(mut self, wait: Duration) -> Self {
        self.config.open_for = wait;
        self
    }

    /// How many probes half-open admits at once; the same number of
    /// successes closes the breaker, and any failure reopens it.
    pub fn half_open_probes(mut self, probes: u32) -> Self {
        self.config.half_open_probes = probes;
        self
    }

    /// Counts only the errors for which `predicate` holds as failures;
    /// others pass through as if the call had succeeded.
    pub fn failure_if(
        mut self,
        predicate: impl Fn(&Error) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.config.failure_if = Arc::new(predicate);
        self
    }

    /// Checks the settings: an error names the field and the allowed range.
    pub fn build(self) -> Result<CircuitBreakerConfig, ConfigError> {
        let config = self.config;
        match config.trip_on {
            TripOn::ConsecutiveFailures(0) => {
                return Err(ConfigError::new(
                    "trip_on.consecutive_failures",
                    "must be at least 1",
                ));
            }
            TripOn::FailureRatio { ratio, .. } if !(ratio > 0.0 && ratio <= 1.0) => {
                return Err(ConfigError::new(
                    "trip_on.ratio",
                    format!("must be greater than 0 and at most 1, got {ratio}"),
                ));
            }
            TripOn::FailureRatio { window, .. } if !(1..=10_000).contains(&window) => {
                return Err(ConfigError::new(
                    "trip_on.window",
                    format!("must be between 1 and 10000 calls, got {window}"),
                ));
            }
            TripOn::FailureRatio {
                window, min_calls, ..
            } if !(1..=window).contains(&min_calls) => {
                return Err(ConfigError::new(
                    "trip_on.min_calls",
                    format!("must be between 1 and the window ({window}), got {min_calls}"),
                ));
            }
            _ => {}
        }
        if config.open_for.is_zero() {
            return Err(ConfigError::new("open_for", "must be greater than zero"));
        }
        if !(1..=1_000).contains(&config.half_open_probes) {
            return Err(ConfigError::new(
                "half_open_probes",
                format!(
                    "must be between 1 and 1000, got {}",
                    config.half_open_probes
                ),
            ));
        }
        Ok(config)
    }
}
