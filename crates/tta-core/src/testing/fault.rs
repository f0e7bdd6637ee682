//! [`Faulty`]: inject latency, errors and hangs into a primitive.

use std::ops::RangeInclusive;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::config::ConfigError;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// What a [`Faulty`] injects. Every draw comes from one generator seeded
/// with [`seed`](FaultConfigBuilder::seed), so a run is reproducible.
///
/// | setting | default |
/// |---|---|
/// | [`latency`](FaultConfigBuilder::latency) | none |
/// | [`error_rate`](FaultConfigBuilder::error_rate) | 0 |
/// | [`hang_rate`](FaultConfigBuilder::hang_rate) | 0 |
/// | [`seed`](FaultConfigBuilder::seed) | 0 |
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    latency: Option<RangeInclusive<Duration>>,
    error_rate: f64,
    hang_rate: f64,
    seed: u64,
}

impl FaultConfig {
    /// Starts from no faults at all.
    pub fn builder() -> FaultConfigBuilder {
        FaultConfigBuilder {
            config: FaultConfig {
                latency: None,
                error_rate: 0.0,
                hang_rate: 0.0,
                seed: 0,
            },
        }
    }
}

/// Builds a [`FaultConfig`]; the defaults are documented there.
#[derive(Debug, Clone)]
#[must_use = "call `build()` to get the configuration"]
pub struct FaultConfigBuilder {
    config: FaultConfig,
}

impl FaultConfigBuilder {
    /// Adds a uniform random delay from the range before every call.
    pub fn latency(mut self, range: RangeInclusive<Duration>) -> Self {
        self.config.latency = Some(range);
        self
    }

    /// The share of calls, 0 to 1, that fail with a transient error instead
    /// of running the inner primitive.
    pub fn error_rate(mut self, rate: f64) -> Self {
        self.config.error_rate = rate;
        self
    }

    /// The share of calls, 0 to 1, that never finish, as a hung connection
    /// does; only a timeout or cancellation ends them.
    pub fn hang_rate(mut self, rate: f64) -> Self {
        self.config.hang_rate = rate;
        self
    }

    /// The generator's seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Checks the settings: an error names the field and the allowed range.
    pub fn build(self) -> Result<FaultConfig, ConfigError> {
        let config = self.config;
        for (field, rate) in [
            ("error_rate", config.error_rate),
            ("hang_rate", config.hang_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ConfigError::new(
                    field,
                    format!("must be between 0 and 1, got {rate}"),
                ));
            }
        }
        if config.error_rate + config.hang_rate > 1.0 {
            return Err(ConfigError::new(
                "hang_rate",
                "error_rate + hang_rate must be at most 1",
            ));
        }
        if let Some(range) = &config.latency
            && range.start() > range.end()
        {
            return Err(ConfigError::new(
                "latency",
                "the range's start must not exceed its end",
            ));
        }
        Ok(config)
    }
}

/// What one call draws.
enum Fault {
    None,
    Error,
    Hang,
}

/// Wraps a primitive and injects the faults of a [`FaultConfig`].
///
/// ```
/// use std::time::Duration;
/// use tta_core::{from_fn, PrimitiveExt};
/// use tta_core::testing::{FaultConfig, Faulty};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let echo = from_fn("echo", |x: u32, _ctx| async move { Ok(x) });
/// let config = FaultConfig::builder().error_rate(0.5).seed(7).build()?;
/// let flaky = Faulty::new(echo, config.clone());
/// let again = Faulty::new(from_fn("echo", |x: u32, _ctx| async move { Ok(x) }), config);
///
/// for x in 0..20 {
///     // Same seed, same faults.
///     assert_eq!(flaky.run(x).await.is_ok(), again.run(x).await.is_ok());
/// }
/// # Ok(())
/// # }
/// ```
pub struct Faulty<P> {
    inner: P,
    config: FaultConfig,
    rng: Mutex<fastrand::Rng>,
    meta: Meta,
}

impl<P: Primitive> Faulty<P> {
    /// Wraps `inner`.
    pub fn new(inner: P, config: FaultConfig) -> Self {
        Self {
            meta: Meta::new(
                format!("faulty({})", inner.name()),
                Kind::new("fault_injector"),
            ),
            rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
            config,
            inner,
        }
    }

    /// Draws this call's delay and fault, in one lock so that concurrent
    /// calls still consume the sequence in a fixed pattern.
    fn draw(&self) -> (Duration, Fault) {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let delay = self
            .config
            .latency
            .as_ref()
            .map_or(Duration::ZERO, |range| {
                let (low, high) = (*range.start(), *range.end());
                low + (high - low).mul_f64(rng.f64())
            });
        let roll = rng.f64();
        let fault = if roll < self.config.error_rate {
            Fault::Error
        } else if roll < self.config.error_rate + self.config.hang_rate {
            Fault::Hang
        } else {
            Fault::None
        };
        (delay, fault)
    }
}

impl<P: Primitive> Primitive for Faulty<P> {
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<P::Output> {
        let (delay, fault) = self.draw();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match fault {
            Fault::None => self.inner.call_at(input, ctx, Position::Inner).await,
            Fault::Error => Err(Error::transient(format!(
                "fault injected into `{}`",
                self.inner.name()
            ))),
            Fault::Hang => std::future::pending().await,
        }
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

crate::impl_operators!(impl [P,] for Faulty<P>);
