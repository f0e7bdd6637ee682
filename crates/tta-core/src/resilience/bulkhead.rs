//! [`Bulkhead`]: cap how many executions run at once.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::config::ConfigError;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// How many executions a [`Bulkhead`] runs at once and how many may wait.
///
/// | setting | default |
/// |---|---|
/// | [`max_concurrent`](BulkheadConfigBuilder::max_concurrent) | 10 |
/// | [`max_queue`](BulkheadConfigBuilder::max_queue) | 0: no waiting, reject at once |
/// | [`queue_timeout`](BulkheadConfigBuilder::queue_timeout) | none: wait until the context's deadline |
///
/// ```
/// use std::time::Duration;
/// use tta_core::resilience::BulkheadConfig;
///
/// let config = BulkheadConfig::builder()
///     .max_concurrent(4)
///     .max_queue(16)
///     .queue_timeout(Duration::from_secs(2))
///     .build()?;
/// assert_eq!(config.max_concurrent(), 4);
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkheadConfig {
    max_concurrent: usize,
    max_queue: usize,
    queue_timeout: Option<Duration>,
}

impl BulkheadConfig {
    /// Starts from the defaults in the table above.
    pub fn builder() -> BulkheadConfigBuilder {
        BulkheadConfigBuilder {
            config: Self::default(),
        }
    }

    /// Executions that may run at once.
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// Calls that may wait for a slot.
    pub fn max_queue(&self) -> usize {
        self.max_queue
    }
}

impl Default for BulkheadConfig {
    fn default() -> Self {
        Self {
            max_concurrent: 10,
            max_queue: 0,
            queue_timeout: None,
        }
    }
}

/// Builds a [`BulkheadConfig`]; the defaults are documented there.
#[derive(Debug, Clone)]
#[must_use = "call `build()` to get the configuration"]
pub struct BulkheadConfigBuilder {
    config: BulkheadConfig,
}

impl BulkheadConfigBuilder {
    /// Executions that may run at once: 1 to [`Semaphore::MAX_PERMITS`].
    pub fn max_concurrent(mut self, max: usize) -> Self {
        self.config.max_concurrent = max;
        self
    }

    /// Calls that may wait for a slot when all are taken; 0 rejects at once.
    pub fn max_queue(mut self, max: usize) -> Self {
        self.config.max_queue = max;
        self
    }

    /// The longest a queued call waits for a slot.
    pub fn queue_timeout(mut self, timeout: Duration) -> Self {
        self.config.queue_timeout = Some(timeout);
        self
    }

    /// Checks the settings: an error names the field and the allowed range.
    pub fn build(self) -> Result<BulkheadConfig, ConfigError> {
        let config = self.config;
        if !(1..=Semaphore::MAX_PERMITS).contains(&config.max_concurrent) {
            return Err(ConfigError::new(
                "max_concurrent",
                format!(
                    "must be between 1 and {}, got {}",
                    Semaphore::MAX_PERMITS,
                    config.max_concurrent
                ),
            ));
        }
        if config
            .queue_timeout
            .is_some_and(|timeout| timeout.is_zero())
        {
            return Err(ConfigError::new(
                "queue_timeout",
                "must be greater than zero; use max_queue(0) to reject without waiting",
            ));
        }
        Ok(config)
    }
}

/// Runs at most [`max_concurrent`](BulkheadConfigBuilder::max_concurrent)
/// executions of its inner primitive at once, so one slow dependency cannot
/// take every task of the process.
///
/// A call that finds every slot taken waits in a bounded queue, for at most
/// the queue timeout and the context's deadline; with the queue full, or
/// the wait over, it fails with [`Error::BulkheadFull`], which is transient.
/// A slot is released when its execution finishes or its future is dropped.
///
/// ```
/// use tta_core::{from_fn, PrimitiveExt};
/// use tta_core::resilience::BulkheadConfig;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let embed = from_fn("embed", |text: String, _ctx| async move { Ok(text.len()) });
/// let limited = embed.bulkhead(BulkheadConfig::builder().max_concurrent(2).build()?);
/// assert_eq!(limited.run("four".to_owned()).await?, 4);
/// # Ok(())
/// # }
/// ```
pub struct Bulkhead<P> {
    inner: P,
    slots: Semaphore,
    queued: AtomicUsize,
    config: BulkheadConfig,
    meta: Meta,
}

impl<P: Primitive> Bulkhead<P> {
    /// Limits `inner`. Same as [`PrimitiveExt::bulkhead`].
    pub fn new(inner: P, config: BulkheadConfig) -> Self {
        Self {
            meta: Meta::new(format!("bulkhead({})", inner.name()), Kind::BULKHEAD),
            slots: Semaphore::new(config.max_concurrent),
            queued: AtomicUsize::new(0),
            config,
            inner,
        }
    }

    /// Slots free now.
    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }

    fn full(&self) -> Error {
        Error::BulkheadFull {
            name: self.meta.name().to_owned(),
        }
    }

    async fn acquire(&self, ctx: &WorkflowContext) -> Result<SemaphorePermit<'_>> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(permit);
        }
        let _place =
            QueuePlace::take(&self.queued, self.config.max_queue).ok_or_else(|| self.full())?;
        let wait = match (self.config.queue_timeout, ctx.remaining()) {
            (Some(own), Some(remaining)) => Some(own.min(remaining)),
            (own, remaining) => own.or(remaining),
        };
        let acquire = self.slots.acquire();
        let permit = match wait {
            Some(wait) => tokio::time::timeout(wait, acquire)
                .await
                .map_err(|_| self.full())?,
            None => acquire.await,
        };
        // The semaphore is never closed, so acquiring only fails by timing out.
        permit.map_err(|_| self.full())
    }
}

/// A place in the queue, given back when dropped.
struct QueuePlace<'a>(&'a AtomicUsize);

impl<'a> QueuePlace<'a> {
    fn take(queued: &'a AtomicUsize, max: usize) -> Option<Self> {
        queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < max).then_some(now + 1)
            })
            .ok()
            .map(|_| Self(queued))
    }
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<P: Primitive> Primitive for Bulkhead<P> {
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<P::Output> {
        let _slot = self.acquire(ctx).await?;
        self.inner.call_at(input, ctx, Position::Inner).await
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

crate::impl_operators!(impl [P,] for Bulkhead<P>);
