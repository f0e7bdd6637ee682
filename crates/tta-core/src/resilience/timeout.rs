//! [`Timeout`]: bound how long a primitive may run.

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use crate::catalog;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, OwnCounter, Position, primitive_event};
use crate::primitive::{Primitive, PrimitiveExt};

/// Cancels its inner primitive when it runs longer than a limit.
///
/// The effective limit is the shorter of its own and the time left before
/// the context's deadline. On expiry the inner future is dropped, which
/// cancels everything it was doing, `tta_timeouts_total` is incremented,
/// and the call fails with [`Error::Timeout`], or runs the fallback given
/// with [`or_else`](Self::or_else).
///
/// ```
/// use std::time::Duration;
/// use tta_core::{from_fn, Error, PrimitiveExt};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let hangs = from_fn("hangs", |_: (), _ctx| async move {
///     tokio::time::sleep(Duration::from_secs(3600)).await;
///     Ok("never")
/// });
/// let bounded = hangs.timeout(Duration::from_secs(2));
/// let error = bounded.run(()).await.unwrap_err();
/// assert!(matches!(error, Error::Timeout { after } if after == Duration::from_secs(2)));
///
/// let cached_answer = from_fn("cached_answer", |_: (), _ctx| async move { Ok("stale but fast") });
/// let with_fallback = bounded.or_else(cached_answer);
/// assert_eq!(with_fallback.run(()).await.unwrap(), "stale but fast");
/// # }
/// ```
pub struct Timeout<P, F = NoFallback> {
    inner: P,
    limit: Duration,
    fallback: F,
    meta: Meta,
    timeouts: OwnCounter,
}

/// The fallback of a [`Timeout`] without one: the call fails with [`Error::Timeout`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFallback;

/// What a [`Timeout`] does when the limit passes.
pub trait OnTimeout<I, O>: Send + Sync + 'static {
    /// What must be kept from the input before the inner call consumes it.
    type Saved: Send;

    /// Keeps what [`run`](Self::run) will need.
    fn save(&self, input: &I) -> Self::Saved;

    /// Handles the timeout described by `error`.
    fn run<'a>(
        &'a self,
        saved: Self::Saved,
        ctx: &'a WorkflowContext,
        error: Error,
    ) -> impl Future<Output = Result<O>> + Send + 'a;

    /// The fallback's [`Graph`], if it runs a primitive.
    fn fallback_graph(&self) -> Option<Graph>;
}

impl<I: 'static, O: Send + 'static> OnTimeout<I, O> for NoFallback {
    type Saved = ();

    fn save(&self, _input: &I) {}

    async fn run(&self, _saved: (), _ctx: &WorkflowContext, error: Error) -> Result<O> {
        Err(error)
    }

    fn fallback_graph(&self) -> Option<Graph> {
        None
    }
}

impl<P> OnTimeout<P::Input, P::Output> for P
where
    P: Primitive,
    P::Input: Clone,
{
    type Saved = P::Input;

    fn save(&self, input: &P::Input) -> P::Input {
        input.clone()
    }

    fn run<'a>(
        &'a self,
        saved: P::Input,
        ctx: &'a WorkflowContext,
        _error: Error,
    ) -> impl Future<Output = Result<P::Output>> + Send + 'a {
        self.call_at(saved, ctx, Position::Alternative(1))
    }

    fn fallback_graph(&self) -> Option<Graph> {
        Some(PrimitiveExt::graph(self))
    }
}

impl<P: Primitive> Timeout<P> {
    /// Bounds `inner` to `limit`. Same as [`PrimitiveExt::timeout`].
    pub fn new(inner: P, limit: Duration) -> Self {
        Self {
            meta: Meta::new(format!("timeout({})", inner.name()), Kind::TIMEOUT),
            inner,
            limit,
            fallback: NoFallback,
            timeouts: OwnCounter::new(catalog::TIMEOUTS_TOTAL),
        }
    }

    /// Runs `fallback` with a copy of the input when the limit passes. The
    /// fallback is not itself bounded by this timeout, only by the context's
    /// deadline.
    pub fn or_else<F>(self, fallback: F) -> Timeout<P, F>
    where
        F: Primitive<Input = P::Input, Output = P::Output>,
        P::Input: Clone,
    {
        Timeout {
            inner: self.inner,
            limit: self.limit,
            fallback,
            meta: self.meta,
            timeouts: self.timeouts,
        }
    }
}

impl<P, F> Timeout<P, F> {
    /// The configured limit, before the context's deadline tightens it.
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

impl<P, F> Primitive for Timeout<P, F>
where
    P: Primitive,
    F: OnTimeout<P::Input, P::Output>,
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
        let limit = ctx
            .remaining()
            .map_or(self.limit, |remaining| remaining.min(self.limit));
        let saved = self.fallback.save(&input);
        let inner = self.inner.call_at(input, ctx, Position::Inner);
        match tokio::time::timeout(limit, inner).await {
            Ok(result) => result,
            Err(_elapsed) => {
                self.timeouts.increment(self.meta.name());
                primitive_event!(
                    warn,
                    "timeout_exceeded",
                    self.meta,
                    ctx,
                    limit_ms = limit.as_secs_f64() * 1e3
                );
                self.fallback
                    .run(saved, ctx, Error::Timeout { after: limit })
                    .await
            }
        }
    }

    fn children(&self) -> Vec<Graph> {
        std::iter::once(self.inner.graph())
            .chain(self.fallback.fallback_graph())
            .collect()
    }
}

crate::impl_operators!(impl [P, F,] for Timeout<P, F>);
