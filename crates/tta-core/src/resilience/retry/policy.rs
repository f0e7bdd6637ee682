//! [`RetryPolicy`]: when to retry and how long to wait.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::backoff::{Backoff, Jitter};
use crate::config::ConfigError;
use crate::error::Error;
use crate::resilience::RetryBudget;

type Predicate = Arc<dyn Fn(&Error) -> bool + Send + Sync>;

/// The most attempts a policy may allow.
pub const MAX_ATTEMPTS_LIMIT: u32 = 100;

/// When a [`Retry`](super::Retry) tries again, and how long it waits first.
///
/// | setting | default |
/// |---|---|
/// | [`max_attempts`](RetryPolicyBuilder::max_attempts) | 3 (the first call and two retries) |
/// | [`backoff`](RetryPolicyBuilder::backoff) | exponential from 100 ms, doubling, capped at 30 s |
/// | [`jitter`](RetryPolicyBuilder::jitter) | [`Jitter::Full`] |
/// | [`max_elapsed`](RetryPolicyBuilder::max_elapsed) | none |
/// | [`retry_if`](RetryPolicyBuilder::retry_if) | [`Error::is_transient`] |
/// | [`budget`](RetryPolicyBuilder::budget) | none: every allowed attempt runs |
///
/// ```
/// use std::time::Duration;
/// use tta_core::resilience::{Backoff, Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::builder()
///     .max_attempts(5)
///     .backoff(Backoff::exponential(Duration::from_millis(200)).cap(Duration::from_secs(5)))
///     .jitter(Jitter::Equal)
///     .max_elapsed(Duration::from_secs(20))
///     .build()?;
/// assert_eq!(policy.max_attempts(), 5);
///
/// let invalid = RetryPolicy::builder().max_attempts(0).build().unwrap_err();
/// assert_eq!(invalid.field(), "max_attempts");
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    pub(super) max_attempts: u32,
    pub(super) backoff: Backoff,
    pub(super) jitter: Jitter,
    pub(super) max_elapsed: Option<Duration>,
    pub(super) retry_if: Predicate,
    pub(super) budget: Option<RetryBudget>,
}

impl RetryPolicy {
    /// Starts from the defaults in the table above.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: RetryPolicy::default(),
        }
    }

    /// How many attempts run at most, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether `error` is worth another attempt under this policy.
    pub fn should_retry(&self, error: &Error) -> bool {
        (self.retry_if)(error)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            backoff: Backoff::default(),
            jitter: Jitter::default(),
            max_elapsed: None,
            retry_if: Arc::new(Error::is_transient),
            budget: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("jitter", &self.jitter)
            .field("max_elapsed", &self.max_elapsed)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

/// Builds a [`RetryPolicy`]; every setting has the default documented there.
#[derive(Debug, Clone)]
#[must_use = "call `build()` to get the policy"]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// Attempts at most, the first included: 1 to [`MAX_ATTEMPTS_LIMIT`].
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.policy.max_attempts = attempts;
        self
    }

    /// The wait between attempts.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.policy.backoff = backoff;
        self
    }

    /// The randomness added to each wait.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.policy.jitter = jitter;
        self
    }

    /// No attempt starts after this much time has passed since the first
    /// one started, counting the wait before it.
    pub fn max_elapsed(mut self, limit: Duration) -> Self {
        self.policy.max_elapsed = Some(limit);
        self
    }

    /// Retries only the errors for which `predicate` holds.
    ///
    /// ```
    /// use tta_core::{Error, resilience::RetryPolicy};
    ///
    /// // Also retry panics, which are not transient by default.
    /// let policy = RetryPolicy::builder()
    ///     .retry_if(|error: &Error| error.is_transient() || matches!(error, Error::Panicked { .. }))
    ///     .build()?;
    /// assert!(policy.should_retry(&Error::Panicked { message: "flaky".into() }));
    /// # Ok::<(), tta_core::ConfigError>(())
    /// ```
    pub fn retry_if(mut self, predicate: impl Fn(&Error) -> bool + Send + Sync + 'static) -> Self {
        self.policy.retry_if = Arc::new(predicate);
        self
    }

    /// Retries only while `budget` has extra attempts left; share one budget
    /// across a workflow's retries and hedges (see [`RetryBudget`]).
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.policy.budget = Some(budget);
        self
    }

    /// Checks the settings: an error names the field and the allowed range.
    pub fn build(self) -> Result<RetryPolicy, ConfigError> {
        let policy = self.policy;
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&policy.max_attempts) {
            return Err(ConfigError::new(
                "max_attempts",
                format!(
                    "must be between 1 and {MAX_ATTEMPTS_LIMIT}, got {}",
                    policy.max_attempts
                ),
            ));
        }
        if policy.max_elapsed.is_some_and(|limit| limit.is_zero()) {
            return Err(ConfigError::new("max_elapsed", "must be greater than zero"));
        }
        policy.backoff.validate()?;
        Ok(policy)
    }
}
