//! The [`Primitive`] contract and the [`PrimitiveExt`] methods every primitive gets.

use std::borrow::Cow;
use std::future::Future;

use crate::compose::{BoxPrimitive, Named};
use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::{Instrumented, Meta, Position, RunGuard};
use crate::resilience::{
    Bulkhead, BulkheadConfig, CacheConfig, Cached, CircuitBreaker, CircuitBreakerConfig, Fallback,
    Hedge, HedgeConfig, InputKey, RateLimit, RateLimitConfig, Retry, RetryPolicy, Timeout,
    TokenLimit, TokenLimitConfig,
};
use crate::stream::{ChunkStream, Collected, StreamTimeouts, TimedStream};

/// One step of a workflow: takes an input and a context, returns an output or an [`Error`](crate::Error).
///
/// Implement [`meta`](Primitive::meta) and [`execute`](Primitive::execute);
/// call primitives through [`PrimitiveExt::call`] or
/// [`PrimitiveExt::run`], which add the span, log events and metrics. Most
/// users never write this impl by hand: `#[primitive]` generates it, and
/// [`from_fn`](crate::from_fn) wraps a closure.
///
/// ```
/// use tta_core::{Kind, Meta, Primitive, PrimitiveExt, Result, WorkflowContext};
///
/// struct Shout;
///
/// impl Primitive for Shout {
///     type Input = String;
///     type Output = String;
///
///     fn meta(&self) -> &Meta {
///         static META: Meta = Meta::from_static("shout", Kind::CUSTOM);
///         &META
///     }
///
///     async fn execute(&self, input: String, _ctx: &WorkflowContext) -> Result<String> {
///         Ok(input.to_uppercase())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> tta_core::Result<()> {
/// assert_eq!(Shout.run("hi".to_owned()).await?, "HI");
/// # Ok(())
/// # }
/// ```
pub trait Primitive: Send + Sync + 'static {
    /// What the primitive consumes.
    type Input: Send + 'static;
    /// What it produces.
    type Output: Send + 'static;

    /// Its name, kind and metric handles.
    fn meta(&self) -> &Meta;

    /// The work itself, without telemetry.
    ///
    /// Write it as an `async fn` so nothing runs before the first poll: the
    /// span and the clock start then. Call it directly only to delegate from
    /// a wrapper that provides its own telemetry; everywhere else use
    /// [`PrimitiveExt::call`].
    fn execute<'a>(
        &'a self,
        input: Self::Input,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<Self::Output>> + Send + 'a;

    /// Its name: a stable, low-cardinality label.
    fn name(&self) -> &str {
        self.meta().name()
    }

    /// Takes `name` as its own. [`PrimitiveExt::named`] calls it, so that a
    /// wrapper that labels metrics of its own (a cache's hits, a retry's
    /// attempts, a breaker's state) labels them with the name its
    /// executions carry. The default keeps the old name, which is right for
    /// a primitive with no metrics beyond its executions'.
    // A `Cow` so that a static name is adopted without an allocation.
    #[allow(clippy::ptr_arg)]
    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        let _ = name;
    }

    /// The primitives this one runs, as [`Graph`] nodes, in order: what
    /// [`PrimitiveExt::graph`] shows under it. A combinator lists every
    /// child it may run (all of a router's routes, a fallback's
    /// alternatives); the default, for a primitive that runs no other
    /// primitive, lists none.
    fn children(&self) -> Vec<Graph> {
        Vec::new()
    }
}

/// Calling, running, renaming and erasing primitives. Implemented for every
/// [`Primitive`]; bring it in with `use tta::prelude::*`.
pub trait PrimitiveExt: Primitive + Sized {
    /// Executes the primitive with telemetry, as a child of the current span.
    fn call<'a>(
        &'a self,
        input: Self::Input,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<Self::Output>> + Send + 'a {
        self.call_at(input, ctx, Position::Root)
    }

    /// Executes the primitive with telemetry at `position` in its parent.
    /// Combinators use it so their children's spans and events say which
    /// step, branch or attempt they are.
    fn call_at<'a>(
        &'a self,
        input: Self::Input,
        ctx: &'a WorkflowContext,
        position: Position,
    ) -> Instrumented<'a, impl Future<Output = Result<Self::Output>> + Send + 'a> {
        Instrumented::new(self.execute(input, ctx), self.meta(), ctx, position)
    }

    /// The composition tree under this primitive, without running it: as
    /// JSON, Mermaid or DOT, and for the dashboard. See [`Graph`].
    fn graph(&self) -> Graph {
        Graph::new(self.name(), self.meta().kind().label(), self.children())
    }

    /// Runs the primitive as a whole workflow with a fresh root context.
    fn run(&self, input: Self::Input) -> impl Future<Output = Result<Self::Output>> + Send + '_ {
        self.run_with(input, WorkflowContext::new())
    }

    /// Runs the primitive as a whole workflow with the given context.
    ///
    /// On top of [`call`](Self::call), this records the `tta_workflow_*`
    /// metrics and INFO start/complete events, and stops the run with
    /// [`Error::Cancelled`](crate::Error::Cancelled) or
    /// [`Error::Timeout`](crate::Error::Timeout) as soon as the context is
    /// cancelled or its deadline passes.
    fn run_with(
        &self,
        input: Self::Input,
        ctx: WorkflowContext,
    ) -> impl Future<Output = Result<Self::Output>> + Send + '_ {
        async move {
            let guarded = RunGuard::new(self.execute(input, &ctx), &ctx);
            Instrumented::new(guarded, self.meta(), &ctx, Position::Workflow).await
        }
    }

    /// Gives the primitive another name in metrics, spans and logs, keeping its kind.
    fn named(self, name: impl Into<Cow<'static, str>>) -> Named<Self> {
        Named::new(self, name)
    }

    /// Erases the type, for routers, fallback chains and [`Parallel::all`](crate::Parallel::all).
    fn boxed(self) -> BoxPrimitive<Self::Input, Self::Output> {
        BoxPrimitive::new(self)
    }

    /// Runs the primitive again on errors `policy` retries; see [`Retry`].
    fn retry(self, policy: RetryPolicy) -> Retry<Self> {
        Retry::new(self, policy)
    }

    /// Cancels the primitive after `limit`, or the context's deadline if
    /// sooner; see [`Timeout`].
    fn timeout(self, limit: std::time::Duration) -> Timeout<Self> {
        Timeout::new(self, limit)
    }

    /// Starts a second attempt when the first is slow to answer, and keeps
    /// whichever answers first; see [`Hedge`].
    fn hedge(self, config: HedgeConfig) -> Hedge<Self>
    where
        Self::Input: Clone,
    {
        Hedge::new(self, config)
    }

    /// Puts a streaming primitive under a time-to-first-chunk, an idle and a
    /// total limit; see [`TimedStream`].
    fn stream_timeouts<T>(self, timeouts: StreamTimeouts) -> TimedStream<Self>
    where
        Self: Primitive<Output = ChunkStream<T>>,
        T: Send + 'static,
    {
        TimedStream::new(self, timeouts)
    }

    /// Reads a streaming primitive's stream to the end, for a step that
    /// needs the whole answer; see [`Collected`].
    fn collected<T>(self) -> Collected<Self>
    where
        Self: Primitive<Output = ChunkStream<T>>,
        T: Send + 'static,
    {
        Collected::new(self)
    }

    /// Runs `alternative` when the primitive fails; see [`Fallback`].
    fn fallback(
        self,
        alternative: impl Primitive<Input = Self::Input, Output = Self::Output>,
    ) -> Fallback<Self>
    where
        Self::Input: Clone,
    {
        Fallback::new(self, alternative)
    }

    /// Stops calling the primitive while it keeps failing; see [`CircuitBreaker`].
    fn circuit_breaker(self, config: CircuitBreakerConfig) -> CircuitBreaker<Self> {
        CircuitBreaker::new(self, config)
    }

    /// Caps concurrent executions; see [`Bulkhead`].
    fn bulkhead(self, config: BulkheadConfig) -> Bulkhead<Self> {
        Bulkhead::new(self, config)
    }

    /// Caps the call rate with a token bucket; see [`RateLimit`].
    fn rate_limit(self, config: RateLimitConfig) -> RateLimit<Self> {
        RateLimit::new(self, config)
    }

    /// Caps the model tokens per window, reserving `estimate(input)` before
    /// each call and billing the reported usage after it; see [`TokenLimit`].
    fn token_limit<F>(self, config: TokenLimitConfig, estimate: F) -> TokenLimit<Self, F>
    where
        F: Fn(&Self::Input) -> u64 + Send + Sync + 'static,
    {
        TokenLimit::new(self, config, estimate)
    }

    /// Caches outputs keyed by the input itself; see [`Cached`].
    fn cached(
        self,
        config: CacheConfig<Self::Input, Self::Output>,
    ) -> Cached<Self, Self::Input, InputKey<Self::Input>>
    where
        Self::Input: std::hash::Hash + Eq + Clone + Sync,
        Self::Output: Clone + Sync,
    {
        Cached::new(self, config, Clone::clone)
    }

    /// Caches outputs under `key(input)`, such as a normalised prompt; see [`Cached`].
    fn cached_by<K, F>(self, config: CacheConfig<K, Self::Output>, key: F) -> Cached<Self, K, F>
    where
        K: std::hash::Hash + Eq + Send + Sync + 'static,
        F: Fn(&Self::Input) -> K + Send + Sync + 'static,
        Self::Output: Clone + Sync,
    {
        Cached::new(self, config, key)
    }
}

impl<P: Primitive> PrimitiveExt for P {}
