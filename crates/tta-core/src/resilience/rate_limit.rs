//! [`RateLimit`]: a token bucket in front of a primitive.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::shared::{self, Acquire, SharedRateLimiter};
use crate::config::ConfigError;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// The longest a call may wait for its turn: nothing with
/// [`OnLimit::Reject`]; otherwise `max_wait`, cut to just before the
/// context's deadline, since a turn that comes at the deadline is too late
/// to use. Shared by [`RateLimit`] and [`TokenLimit`](super::TokenLimit).
pub(super) fn patience(
    on_limit: OnLimit,
    max_wait: Option<Duration>,
    ctx: &WorkflowContext,
) -> Duration {
    match on_limit {
        OnLimit::Reject => Duration::ZERO,
        OnLimit::Wait => {
            let before_deadline = ctx.remaining().map_or(Duration::MAX, |remaining| {
                remaining.saturating_sub(Duration::from_nanos(1))
            });
            max_wait.unwrap_or(Duration::MAX).min(before_deadline)
        }
    }
}

/// What a [`RateLimit`] does with a call that finds the bucket empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnLimit {
    /// Wait for a token, unless it would come after the context's deadline
    /// or after [`max_wait`](RateLimitConfigBuilder::max_wait) (the default).
    #[default]
    Wait,
    /// Fail at once with [`Error::RateLimited`] and the time until a token.
    Reject,
}

/// The rate, burst and behaviour of a [`RateLimit`].
///
/// | setting | default |
/// |---|---|
/// | rate | required: [`per_second`](Self::per_second) or [`per_minute`](Self::per_minute) |
/// | [`burst`](RateLimitConfigBuilder::burst) | one second's worth of the rate, at least 1 |
/// | [`on_limit`](RateLimitConfigBuilder::on_limit) | [`OnLimit::Wait`] |
/// | [`max_wait`](RateLimitConfigBuilder::max_wait) | none: only the context's deadline bounds the wait |
///
/// ```
/// use tta_core::resilience::{OnLimit, RateLimitConfig};
///
/// // A provider that allows 600 requests a minute, in bursts of 20.
/// let config = RateLimitConfig::per_minute(600.0).burst(20).on_limit(OnLimit::Reject).build()?;
/// assert_eq!(config.rate_per_second(), 10.0);
///
/// let invalid = RateLimitConfig::per_second(0.0).build().unwrap_err();
/// assert_eq!(invalid.field(), "rate");
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    per_second: f64,
    burst: u32,
    on_limit: OnLimit,
    max_wait: Option<Duration>,
}

impl RateLimitConfig {
    /// Allows `rate` calls a second on average.
    pub fn per_second(rate: f64) -> RateLimitConfigBuilder {
        let burst = if rate.is_finite() && rate >= 1.0 {
            rate.ceil().min(f64::from(u32::MAX)) as u32
        } else {
            1
        };
        RateLimitConfigBuilder {
            config: Self {
                per_second: rate,
                burst,
                on_limit: OnLimit::default(),
                max_wait: None,
            },
        }
    }

    /// Allows `rate` calls a minute on average, as model providers quote it.
    pub fn per_minute(rate: f64) -> RateLimitConfigBuilder {
        Self::per_second(rate / 60.0)
    }

    /// The average rate, in calls a second.
    pub fn rate_per_second(&self) -> f64 {
        self.per_second
    }

    /// Calls that may go through at once after a quiet spell.
    pub fn burst(&self) -> u32 {
        self.burst
    }
}

/// Builds a [`RateLimitConfig`]; the defaults are documented there.
#[derive(Debug, Clone)]
#[must_use = "call `build()` to get the configuration"]
pub struct RateLimitConfigBuilder {
    config: RateLimitConfig,
}

impl RateLimitConfigBuilder {
    /// The bucket's size: calls that may go through at once. At least 1.
    pub fn burst(mut self, burst: u32) -> Self {
        self.config.burst = burst;
        self
    }

    /// Wait for a token, or reject.
    pub fn on_limit(mut self, on_limit: OnLimit) -> Self {
        self.config.on_limit = on_limit;
        self
    }

    /// The longest a call waits for a token in [`OnLimit::Wait`] mode.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.config.max_wait = Some(max_wait);
        self
    }

    /// Checks the settings: an error names the field and the allowed range.
    pub fn build(self) -> Result<RateLimitConfig, ConfigError> {
        let config = self.config;
        // One call a day is slower than any real limit; anything slower is a
        // unit mistake.
        let slowest = 1.0 / 86_400.0;
        if !(config.per_second.is_finite() && config.per_second >= slowest) {
            return Err(ConfigError::new(
                "rate",
                format!(
                    "must be a finite rate of at least one call a day, got {} a second",
                    config.per_second
                ),
            ));
        }
        if config.burst == 0 {
            return Err(ConfigError::new("burst", "must be at least 1"));
        }
        Ok(config)
    }
}

/// The bucket: tokens refill continuously at the rate, up to the burst.
/// Waiting calls reserve their token up front, so the count can go below
/// zero and callers are served in the order they arrived.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn refill(&mut self, config: &RateLimitConfig, now: Instant) {
        let earned = now.saturating_duration_since(self.updated).as_secs_f64() * config.per_second;
        self.tokens = (self.tokens + earned).min(f64::from(config.burst));
        self.updated = now;
    }

    /// Takes a token now or reserves one within `patience`; otherwise says
    /// how long until one is free.
    fn take(
        &mut self,
        config: &RateLimitConfig,
        now: Instant,
        patience: Duration,
    ) -> Result<Duration, Duration> {
        self.refill(config, now);
        let wait = if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / config.per_second)
        };
        if wait <= patience {
            self.tokens -= 1.0;
            Ok(wait)
        } else {
            Err(wait)
        }
    }

    fn refund(&mut self, config: &RateLimitConfig, now: Instant) {
        self.refill(config, now);
        self.tokens = (self.tokens + 1.0).min(f64::from(config.burst));
    }
}

/// Lets calls through at a steady average rate with bursts, waiting or
/// rejecting when the bucket is empty.
///
/// A waiting call whose future is dropped gives its reserved token back.
/// [`Error::RateLimited`] carries the time until a token is free, and is
/// transient, so a retry around the limiter will try again.
///
/// ```
/// use std::time::Duration;
/// use tta_core::{from_fn, PrimitiveExt};
/// use tta_core::resilience::RateLimitConfig;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let complete = from_fn("complete", |p: String, _ctx| async move { Ok(p.len()) });
/// let limited = complete.rate_limit(RateLimitConfig::per_second(2.0).burst(1).build()?);
///
/// let start = tokio::time::Instant::now();
/// for _ in 0..3 {
///     limited.run("hi".to_owned()).await?;
/// }
/// // One token at once, then one every half second.
/// assert_eq!(start.elapsed(), Duration::from_secs(1));
/// # Ok(())
/// # }
/// ```
pub struct RateLimit<P> {
    inner: P,
    config: RateLimitConfig,
    bucket: Mutex<Bucket>,
    /// The limit shared with other processes, if any; the bucket is then
    /// the fallback of [`FailureMode::Open`].
    shared: Option<Arc<dyn SharedRateLimiter>>,
    meta: Meta,
}

impl<P: Primitive> RateLimit<P> {
    /// Limits `inner`. Same as [`PrimitiveExt::rate_limit`].
    pub fn new(inner: P, config: RateLimitConfig) -> Self {
        Self {
            meta: Meta::new(format!("rate_limit({})", inner.name()), Kind::RATE_LIMIT),
            bucket: Mutex::new(Bucket {
                tokens: f64::from(config.burst),
                updated: Instant::now(),
            }),
            config,
            shared: None,
            inner,
        }
    }

    /// Shares the limit with every process that uses the same `limiter`
    /// (the `tta-redis` crate's, or your own): calls are admitted by the
    /// shared schedule, in the order they asked across replicas, and
    /// [`OnLimit`] keeps its meaning. When the shared limiter is
    /// [`Unavailable`](super::Unavailable), the limiter follows its
    /// [`FailureMode`](super::FailureMode): `Open` falls back to this process's own bucket,
    /// `Closed` fails the call with a transient error.
    ///
    /// A waiting call's reserved slot stays taken on the shared limiter if
    /// the call is dropped while it waits.
    pub fn shared(mut self, limiter: Arc<dyn SharedRateLimiter>) -> Self {
        self.shared = Some(limiter);
        self
    }

    fn with_bucket<R>(&self, f: impl FnOnce(&mut Bucket, &RateLimitConfig, Instant) -> R) -> R {
        let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut bucket, &self.config, Instant::now())
    }

    async fn admit(&self, ctx: &WorkflowContext) -> Result<()> {
        let patience = patience(self.config.on_limit, self.config.max_wait, ctx);
        if let Some(shared) = &self.shared {
            let request = Acquire {
                rate_per_second: self.config.per_second,
                burst: self.config.burst,
                cost: 1,
                patience,
            };
            if shared::admit(shared.as_ref(), request, self.meta.name()).await? {
                return Ok(());
            }
        }
        let wait = self
            .with_bucket(|bucket, config, now| bucket.take(config, now, patience))
            .map_err(|retry_after| Error::RateLimited {
                retry_after: Some(retry_after),
            })?;
        if !wait.is_zero() {
            let reservation = Reservation { limiter: self };
            tokio::time::sleep(wait).await;
            std::mem::forget(reservation);
        }
        Ok(())
    }
}

/// A token reserved by a waiting call; refunded if the wait is abandoned.
struct Reservation<'a, P> {
    limiter: &'a RateLimit<P>,
}

impl<P> Drop for Reservation<'_, P> {
    fn drop(&mut self) {
        let limiter = self.limiter;
        let mut bucket = limiter
            .bucket
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        bucket.refund(&limiter.config, Instant::now());
    }
}

impl<P: Primitive> Primitive for RateLimit<P> {
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<P::Output> {
        self.admit(ctx).await?;
        self.inner.call_at(input, ctx, Position::Inner).await
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

crate::impl_operators!(impl [P,] for RateLimit<P>);
