//! [`Hedge`]: a second attempt when the first is slow to answer.

mod delay;

use std::borrow::Cow;
use std::pin::pin;
use std::time::Duration;

use tokio::time::Instant;

pub use delay::HedgeDelay;

use super::{BudgetGate, Covered, RetryBudget};
use crate::catalog;
use crate::config::ConfigError;
use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, OwnCounter, Position, primitive_event};
use crate::primitive::{Primitive, PrimitiveExt};

/// What a [`Hedge`] waits for, and what may stop it.
///
/// | setting | default |
/// |---|---|
/// | [`delay`](HedgeConfigBuilder::delay) / [`adaptive`](HedgeConfigBuilder::adaptive) | adaptive: the 95th percentile of recent times to answer, 1 s until 20 answers are seen, never below 1 ms |
/// | [`budget`](HedgeConfigBuilder::budget) | none: every slow call is hedged |
///
/// ```
/// use std::time::Duration;
/// use tta_core::resilience::{HedgeConfig, HedgeDelay, RetryBudget};
///
/// let fixed = HedgeConfig::builder().delay(Duration::from_millis(300)).build()?;
/// assert_eq!(fixed.delay(), HedgeDelay::Fixed(Duration::from_millis(300)));
///
/// let adaptive = HedgeConfig::builder()
///     .adaptive(0.9, Duration::from_millis(500))
///     .budget(RetryBudget::builder().build()?)
///     .build()?;
/// # let _ = adaptive;
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct HedgeConfig {
    delay: HedgeDelay,
    budget: Option<RetryBudget>,
}

/// Builds a [`HedgeConfig`]; every setting has the default documented there.
#[derive(Debug, Clone)]
#[must_use = "call `build()` to get the configuration"]
pub struct HedgeConfigBuilder {
    config: HedgeConfig,
}

impl HedgeConfig {
    /// Starts from the defaults in the table above.
    pub fn builder() -> HedgeConfigBuilder {
        HedgeConfigBuilder {
            config: HedgeConfig {
                delay: HedgeDelay::Adaptive {
                    percentile: 0.95,
                    initial: Duration::from_secs(1),
                    min: Duration::from_millis(1),
                },
                budget: None,
            },
        }
    }

    /// When the second attempt starts.
    pub fn delay(&self) -> HedgeDelay {
        self.delay
    }
}

impl HedgeConfigBuilder {
    /// Hedges every call still unanswered after `delay`.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.config.delay = HedgeDelay::Fixed(delay);
        self
    }

    /// Hedges every call slower than the `percentile` (0 < p < 1) of recent
    /// calls, waiting `initial` until 20 calls have answered.
    pub fn adaptive(mut self, percentile: f64, initial: Duration) -> Self {
        self.config.delay = HedgeDelay::Adaptive {
            percentile,
            initial,
            min: Duration::from_millis(1),
        };
        self
    }

    /// Any [`HedgeDelay`], including an adaptive one with its own floor.
    pub fn hedge_delay(mut self, delay: HedgeDelay) -> Self {
        self.config.delay = delay;
        self
    }

    /// Starts a second attempt only while `budget` has extra attempts left.
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.config.budget = Some(budget);
        self
    }

    /// Checks the settings: an error names the field and the allowed range.
    pub fn build(self) -> std::result::Result<HedgeConfig, ConfigError> {
        match self.config.delay {
            HedgeDelay::Fixed(delay) if delay.is_zero() => {
                Err(ConfigError::new("delay", "must be greater than zero"))
            }
            HedgeDelay::Adaptive { percentile, .. } if !(percentile > 0.0 && percentile < 1.0) => {
                Err(ConfigError::new(
                    "percentile",
                    format!("must be between 0 and 1, exclusive, got {percentile}"),
                ))
            }
            HedgeDelay::Adaptive { initial, .. } if initial.is_zero() => {
                Err(ConfigError::new("initial", "must be greater than zero"))
            }
            _ => Ok(self.config),
        }
    }
}

/// Starts a second attempt of its inner primitive when the first has not
/// answered after a delay, keeps whichever answers first, and drops the
/// other, which cancels it.
///
/// Hedging cuts tail latency for calls whose slowness is a matter of luck
/// (a slow replica, a cold queue) for a few percent more calls. For a
/// streaming primitive, answering is producing the first chunk (see
/// [`ChunkStream`](crate::stream::ChunkStream)): the loser is dropped
/// before any of its chunks reaches the caller, so one stream is emitted,
/// whole.
///
/// - Both attempts are child spans (`tta.retry.attempt` 1 and 2). A first
///   attempt that fails before the delay fails the call at once: retrying
///   is a [`Retry`](super::Retry)'s job. Once both run, a failed attempt
///   does not end the race: the other one may still answer. When both
///   fail, the error is the last one.
/// - `tta_hedges_started_total` counts second attempts and
///   `tta_hedges_won_total` those that answered first; a hedge the
///   [`RetryBudget`] refuses counts `tta_retry_budget_exhausted_total`.
/// - The adaptive delay learns from every answer's time, measured from the
///   call's start.
///
/// The input is cloned for the second attempt.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use tta_core::{from_fn, PrimitiveExt};
/// use tta_core::resilience::HedgeConfig;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// static CALLS: AtomicU32 = AtomicU32::new(0);
/// // The first call lands on a slow replica; the second does not.
/// let replica = from_fn("replica", |_: (), _ctx| async move {
///     let slow = CALLS.fetch_add(1, Ordering::Relaxed) == 0;
///     tokio::time::sleep(Duration::from_millis(if slow { 2_000 } else { 50 })).await;
///     Ok(if slow { "slow" } else { "fast" })
/// });
/// let hedged = replica.hedge(HedgeConfig::builder().delay(Duration::from_millis(100)).build()?);
/// let started = tokio::time::Instant::now();
/// assert_eq!(hedged.run(()).await?, "fast");
/// assert_eq!(started.elapsed(), Duration::from_millis(150));
/// # Ok(())
/// # }
/// ```
pub struct Hedge<P> {
    inner: P,
    budget: BudgetGate,
    delay: delay::Tracker,
    meta: Meta,
    started: OwnCounter,
    won: OwnCounter,
}

impl<P: Primitive> Hedge<P> {
    /// Hedges `inner` under `config`. Same as [`PrimitiveExt::hedge`].
    pub fn new(inner: P, config: HedgeConfig) -> Self {
        Self {
            meta: Meta::new(format!("hedge({})", inner.name()), Kind::HEDGE),
            inner,
            budget: BudgetGate::new(config.budget),
            delay: delay::Tracker::new(config.delay),
            started: OwnCounter::new(catalog::HEDGES_STARTED_TOTAL),
            won: OwnCounter::new(catalog::HEDGES_WON_TOTAL),
        }
    }

    /// The hedged primitive.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// How long the next call waits before its second attempt.
    pub fn current_delay(&self) -> Duration {
        self.delay.delay()
    }

    /// Whether a second attempt may start: the budget has one left.
    fn may_hedge(&self, ctx: &WorkflowContext) -> bool {
        let allowed = self.budget.allow_extra(self.meta.name());
        if !allowed {
            primitive_event!(debug, "hedge_budget_exhausted", self.meta, ctx);
        }
        allowed
    }

    fn answered<T>(&self, started: Instant, result: Result<T>) -> Result<T> {
        if result.is_ok() {
            self.delay.observe(started.elapsed());
        }
        result
    }
}

impl<P> Primitive for Hedge<P>
where
    P: Primitive,
    P::Input: Clone,
{
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<P::Output> {
        let name = self.meta.name();
        // Exported from the first call on, so "no hedge yet" reads as 0.
        self.started.register(name);
        self.won.register(name);
        self.budget.request(name);
        let budget = self.budget.budget();
        let started = Instant::now();
        let wait = self.delay.delay();
        let first = self.inner.call_at(input.clone(), ctx, Position::Attempt(1));
        let mut first = pin!(Covered::new(first, budget));
        tokio::select! {
            biased;
            result = &mut first => return self.answered(started, result),
            () = tokio::time::sleep(wait) => {}
        }
        if !self.may_hedge(ctx) {
            return self.answered(started, first.await);
        }
        self.started.increment(self.meta.name());
        primitive_event!(
            debug,
            "hedge_started",
            self.meta,
            ctx,
            delay_ms = wait.as_secs_f64() * 1e3
        );
        let second = self.inner.call_at(input, ctx, Position::Attempt(2));
        let mut second = pin!(Covered::new(second, budget));
        // The first answer wins; a failure leaves the race to the other.
        let result = tokio::select! {
            biased;
            result = &mut first => match result {
                Ok(output) => Ok(output),
                Err(_) => self.second_won(second.await),
            },
            result = &mut second => match result {
                Ok(output) => self.second_won(Ok(output)),
                Err(_) => first.await,
            },
        };
        self.answered(started, result)
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

impl<P: Primitive> Hedge<P> {
    fn second_won<T>(&self, result: Result<T>) -> Result<T> {
        if result.is_ok() {
            self.won.increment(self.meta.name());
        }
        result
    }
}

crate::impl_operators!(impl [P,] for Hedge<P>);
