//! Limits kept outside the process, shared by every replica that names the
//! same key: the contract a store such as Redis implements (`tta-redis`
//! does), so that the core stays free of any client.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::Error;

/// What a shared primitive does when its store cannot answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureMode {
    /// Go on with the process's own limit, as if there were one replica
    /// (the default): a degraded but running service.
    #[default]
    Open,
    /// Fail the call at once with a transient error, so that no replica
    /// ever goes past the shared limit.
    Closed,
}

impl FailureMode {
    /// `open` or `closed`, as metric labels and logs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureMode::Open => "open",
            FailureMode::Closed => "closed",
        }
    }
}

/// One request to a shared rate limiter: `cost` units at `rate_per_second`
/// with bursts of `burst`, within `patience`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Acquire {
    /// The sustained rate.
    pub rate_per_second: f64,
    /// How many units may be taken at once.
    pub burst: u32,
    /// Units this call takes: 1 for a request, the token estimate for a
    /// token limit.
    pub cost: u32,
    /// How long the call may wait for its turn; zero to never wait.
    pub patience: Duration,
}

/// A shared limiter's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead after this long (zero: now). The slot is reserved, so calls
    /// are served in the order they asked, across every replica.
    After(Duration),
    /// Not within the patience; a slot is free after this long.
    Denied {
        /// When a slot is free.
        retry_after: Duration,
    },
}

/// The store did not answer: down, slow past its timeout, or refusing us.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shared {what} unavailable: {reason}")]
pub struct Unavailable {
    /// What was asked: `rate limit`, `budget`, `cache`.
    pub what: &'static str,
    /// Why, as the store said it.
    pub reason: String,
}

/// A boxed future, as the object-safe traits here return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A rate limit shared by several processes.
///
/// [`RateLimit::shared`](super::RateLimit::shared) asks it before every
/// call and keeps [`OnLimit`](super::OnLimit)'s meaning: a call that waits
/// gets a reserved slot, one that may not wait is denied with the time
/// until a slot. When it is [`Unavailable`], the limiter follows
/// [`failure_mode`](Self::failure_mode).
pub trait SharedRateLimiter: Send + Sync + 'static {
    /// Takes or reserves `request.cost` units.
    fn acquire(&self, request: Acquire) -> BoxFuture<'_, Result<Admission, Unavailable>>;

    /// What to do when [`acquire`](Self::acquire) fails.
    fn failure_mode(&self) -> FailureMode;

    /// Records one call decided without the store: counted by the store,
    /// which owns the metric.
    fn degraded(&self, primitive: &str);
}

/// Asks `shared` for `request` on behalf of the primitive named
/// `primitive`: `Ok(true)` once admitted (its reserved slot waited out),
/// `Ok(false)` when the limiter is unavailable and fails open, so the
/// process's own limiter decides. Shared by [`RateLimit`](super::RateLimit)
/// and [`TokenLimit`](super::TokenLimit).
pub(crate) async fn admit(
    shared: &dyn SharedRateLimiter,
    request: Acquire,
    primitive: &str,
) -> Result<bool, Error> {
    match shared.acquire(request).await {
        Ok(Admission::After(wait)) => {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            Ok(true)
        }
        Ok(Admission::Denied { retry_after }) => Err(Error::RateLimited {
            retry_after: Some(retry_after),
        }),
        Err(unavailable) => {
            shared.degraded(primitive);
            match shared.failure_mode() {
                FailureMode::Open => Ok(false),
                FailureMode::Closed => Err(Error::transient(unavailable)),
            }
        }
    }
}

impl fmt::Debug for dyn SharedRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedRateLimiter")
            .field("failure_mode", &self.failure_mode())
            .finish_non_exhaustive()
    }
}
