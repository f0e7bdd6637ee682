//! [`WorkflowContext`]: what every step of one workflow run shares.

mod builder;
mod outgoing;
pub mod propagation;
pub mod sampling;
mod state;
mod traceparent;
mod tracestate;

use std::any::Any;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use builder::WorkflowContextBuilder;
pub use outgoing::OutgoingCall;
pub use propagation::TraceHeaders;
pub use traceparent::{TraceParent, TraceParentError};
pub use tracestate::{TraceState, TraceStateError};

use state::SharedState;

use crate::error::Error;
use crate::instrument::link;
use crate::llm::{self, Cost, Ledger, Usage, UsageError, UsageTotals, Usd};

/// The context of one workflow run, passed by reference to every step.
///
/// It carries the run's identity (workflow, correlation and causation ids),
/// metadata, tags and baggage, an optional deadline, a cancellation token,
/// typed state that one step stores and later steps read, and the W3C trace
/// position so a run can continue across services.
///
/// Cloning is cheap (one reference count); clones share state, checkpoints and
/// the cancellation token.
///
/// ```
/// use std::time::Duration;
/// use tta_core::WorkflowContext;
///
/// let ctx = WorkflowContext::builder()
///     .correlation_id("req-42")
///     .metadata("tenant", "acme")
///     .tag("beta")
///     .timeout(Duration::from_secs(30))
///     .build();
/// assert_eq!(ctx.correlation_id(), "req-42");
/// assert_eq!(ctx.metadata("tenant"), Some("acme"));
///
/// // Continue the trace in another service:
/// let header = ctx.traceparent().to_string();
/// let downstream = WorkflowContext::from_traceparent(&header)?;
/// assert_eq!(downstream.trace_id(), ctx.trace_id());
/// # Ok::<(), tta_core::TraceParentError>(())
/// ```
///
/// With the `http` feature, [`from_headers`](Self::from_headers) and
/// [`inject`](Self::inject) do the same with `http::HeaderMap`s, following
/// every rule of the specification (header name case, several field lines,
/// `tracestate`):
///
/// ```
/// # #[cfg(feature = "http")] {
/// use tta_core::WorkflowContext;
///
/// let mut incoming = http::HeaderMap::new();
/// incoming.insert("TraceParent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
/// incoming.append("tracestate", "rojo=00f067aa0ba902b7".parse().unwrap());
/// incoming.append("tracestate", "congo=t61rcWkgMzE".parse().unwrap());
/// let ctx = WorkflowContext::from_headers(&incoming);
///
/// let mut outgoing = http::HeaderMap::new();
/// ctx.inject(&mut outgoing);
/// assert_eq!(outgoing["tracestate"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
/// # }
/// ```
#[derive(Clone)]
pub struct WorkflowContext {
    inner: Arc<Inner>,
}

struct Inner {
    workflow_id: Arc<str>,
    correlation_id: Arc<str>,
    causation_id: Option<Arc<str>>,
    metadata: BTreeMap<String, String>,
    tags: BTreeSet<String>,
    baggage: BTreeMap<String, String>,
    deadline: Option<Instant>,
    cancellation: CancellationToken,
    /// This run's own position: the trace id and the span id downstream
    /// services see as their parent.
    trace: TraceParent,
    /// The `tracestate` received with the trace, sent on with it.
    tracestate: TraceState,
    parent_span_id: Option<u64>,
    /// Whether a run's outermost span has taken `trace`'s span id: a second
    /// run with the same context gets a fresh one, so no two spans share an id.
    run_span_claimed: AtomicBool,
    created: Instant,
    state: SharedState,
    checkpoints: Mutex<Vec<Checkpoint>>,
    /// Usage and budgets, linked to the parent run's.
    ledger: Arc<Ledger>,
}

/// A named point a run reached, recorded with [`WorkflowContext::checkpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// What was reached.
    pub name: Cow<'static, str>,
    /// Time since the context was created.
    pub elapsed: Duration,
}

impl WorkflowContext {
    /// A fresh root context: new UUID v4 workflow and correlation ids, a new
    /// trace sampled at the process's
    /// [`sample_ratio`](sampling::sample_ratio), and no deadline.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts building a root context.
    pub fn builder() -> WorkflowContextBuilder {
        WorkflowContextBuilder::default()
    }

    /// A root context that continues the trace of an incoming `traceparent`
    /// header. The run's spans become children of the remote span, and the
    /// caller's sampling decision is honoured.
    ///
    /// A malformed header is an error that says what is wrong with it.
    pub fn from_traceparent(header: &str) -> Result<Self, TraceParentError> {
        Ok(Self::builder().traceparent(header.parse()?).build())
    }

    /// A root context for an incoming HTTP request: it continues the trace
    /// of the request's `traceparent` and keeps its `tracestate`, or starts
    /// a new trace when the `traceparent` is missing, invalid or repeated.
    /// It never fails; see [`WorkflowContextBuilder::http_headers`].
    #[cfg(feature = "http")]
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        Self::builder().http_headers(headers).build()
    }

    /// Starts building a context for a sub-workflow caused by this one.
    ///
    /// The child keeps the correlation id, trace, deadline, metadata, tags and
    /// baggage; gets a new workflow id; records this workflow's id as its
    /// causation id; and is cancelled when this context is cancelled.
    pub fn child(&self) -> WorkflowContextBuilder {
        WorkflowContextBuilder::child_of(self)
    }

    /// The id of this run.
    pub fn workflow_id(&self) -> &str {
        &self.inner.workflow_id
    }

    /// The id shared by everything done for one request, across runs and services.
    pub fn correlation_id(&self) -> &str {
        &self.inner.correlation_id
    }

    /// The id of whatever caused this run: the parent workflow, or the remote
    /// span of an incoming `traceparent`.
    pub fn causation_id(&self) -> Option<&str> {
        self.inner.causation_id.as_deref()
    }

    /// One metadata value.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.inner.metadata.get(key).map(String::as_str)
    }

    /// Every metadata entry, sorted by key.
    pub fn metadata_entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .metadata
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether the run carries `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.inner.tags.contains(tag)
    }

    /// Every tag, sorted.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.inner.tags.iter().map(String::as_str)
    }

    /// One W3C baggage value.
    pub fn baggage(&self, key: &str) -> Option<&str> {
        self.inner.baggage.get(key).map(String::as_str)
    }

    /// Every baggage entry, sorted by key.
    pub fn baggage_entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .baggage
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// When the run must be finished, if it has a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.inner.deadline
    }

    /// Time left until the deadline: `None` without one, zero once it passed.
    pub fn remaining(&self) -> Option<Duration> {
        self.inner
            .deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// The run's cancellation token. Long-running steps can `select!` on
    /// [`CancellationToken::cancelled`] to stop early.
    pub fn cancellation_token(&self) -> &CancellationToken {
        &self.inner.cancellation
    }

    /// Cancels the run: every primitive that has not started yet fails with
    /// [`Error::Cancelled`](crate::Error::Cancelled), and a run started with
    /// `run_with` stops at once.
    pub fn cancel(&self) {
        self.inner.cancellation.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called on this context or a parent.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancellation.is_cancelled()
    }

    /// Stores a value for later steps, one per type; returns the value it replaced.
    ///
    /// ```
    /// # let ctx = tta_core::WorkflowContext::new();
    /// #[derive(Debug, PartialEq)]
    /// struct TokensUsed(u32);
    ///
    /// ctx.insert(TokensUsed(120));
    /// assert_eq!(*ctx.get::<TokensUsed>().unwrap(), TokensUsed(120));
    /// ```
    pub fn insert<T: Any + Send + Sync>(&self, value: T) -> Option<Arc<T>> {
        self.inner.state.insert(value)
    }

    /// The value of type `T` an earlier step stored.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.inner.state.get()
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.inner.state.remove()
    }

    /// Records that the run reached `name`. It becomes an event on the
    /// current span (and so a span event in OTLP) and is kept in
    /// [`checkpoints`](Self::checkpoints).
    pub fn checkpoint(&self, name: impl Into<Cow<'static, str>>) {
        let name = name.into();
        let elapsed = self.inner.created.elapsed();
        tracing::info!(
            checkpoint = %name,
            elapsed_ms = elapsed.as_secs_f64() * 1e3,
            correlation_id = %self.correlation_id(),
            workflow_id = %self.workflow_id(),
            "checkpoint"
        );
        self.inner
            .checkpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Checkpoint { name, elapsed });
    }

    /// Every checkpoint recorded so far, in order.
    pub fn checkpoints(&self) -> Vec<Checkpoint> {
        self.inner
            .checkpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reports what one model call used: one line after any SDK call.
    ///
    /// The call is priced with the process's
    /// [`price_table`](crate::llm::price_table), added to this run's
    /// [`usage`](Self::usage) (and every parent run's), counted in the
    /// `tta_llm_*` and GenAI metrics, recorded on the current execution's
    /// span and on the ∑ of every span above it, and logged at DEBUG as
    /// `llm_usage`. Returns what it cost, or [`Cost::Unpriced`] for a model
    /// the table does not know.
    ///
    /// A report that cannot be a real bill (more cache tokens than input
    /// tokens, a count over [`MAX_TOKENS_PER_CALL`](crate::llm::MAX_TOKENS_PER_CALL), no
    /// model name) is rejected whole with a [`UsageError`] saying why, logged
    /// at WARN and counted in `tta_llm_usage_rejected_total`. It converts
    /// into [`Error`] with `?`.
    ///
    /// ```
    /// use tta_core::llm::{Cost, Usage};
    /// let ctx = tta_core::WorkflowContext::new();
    ///
    /// let cost = ctx.record_usage(Usage::anthropic("claude-sonnet-4", 1_000, 0, 9_000, 400))?;
    /// // 1k uncached × $3 + 9k cache reads × $0.30 + 400 out × $15, per million:
    /// assert_eq!(cost, Cost::Priced("0.0117".parse()?));
    /// assert_eq!(ctx.record_usage(Usage::new("acme", "in-house-7b").input_tokens(10))?, Cost::Unpriced);
    /// assert_eq!(ctx.usage().unpriced_calls, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_usage(&self, usage: Usage) -> Result<Cost, UsageError> {
        llm::record(self, &self.inner.ledger, usage)
    }

    /// What the calls of this run and its child runs used so far.
    pub fn usage(&self) -> UsageTotals {
        self.inner.ledger.totals()
    }

    /// The run's own cost budget, if it has one.
    pub fn cost_budget(&self) -> Option<Usd> {
        self.inner.ledger.limits().cost
    }

    /// The run's own token budget, if it has one.
    pub fn token_budget(&self) -> Option<u64> {
        self.inner.ledger.limits().tokens
    }

    /// [`Error::BudgetExceeded`] once this run or a parent has spent its budget.
    pub(crate) fn budget_refusal(&self) -> Option<Error> {
        self.inner.ledger.refusal()
    }

    /// The `traceparent` to send downstream: this run's trace and sampling
    /// decision, naming the span that is current as the parent. Inside a
    /// primitive that is the primitive's exported span, so the downstream
    /// service's spans nest under the step that called it; outside any
    /// span, or with no exporter installed, it is the run's outermost span
    /// ([`run_traceparent`](Self::run_traceparent)).
    ///
    /// To give each of several calls its own parent id, as the
    /// specification asks, open an [`outgoing_call`](Self::outgoing_call)
    /// for each.
    pub fn traceparent(&self) -> TraceParent {
        let own = self.inner.trace;
        self.exported_span_id(&tracing::Span::current())
            .map_or(own, |span| own.with_span_id(span))
    }

    /// The id `span` is exported with, if it is exported in this run's trace.
    pub(super) fn exported_span_id(&self, span: &tracing::Span) -> Option<NonZeroU64> {
        link::span_ids(span)
            .filter(|(trace, _)| *trace == self.inner.trace.trace_id())
            .and_then(|(_, span)| NonZeroU64::new(span))
    }

    /// The `traceparent` naming this run's outermost span: the ids that span
    /// is exported with, whichever span is current.
    pub fn run_traceparent(&self) -> TraceParent {
        self.inner.trace
    }

    /// The `tracestate` this run was called with, which every outgoing call
    /// carries on.
    pub fn tracestate(&self) -> &TraceState {
        &self.inner.tracestate
    }

    /// The headers for a request made now: [`traceparent`](Self::traceparent)
    /// and [`tracestate`](Self::tracestate).
    pub fn trace_headers(&self) -> TraceHeaders {
        TraceHeaders::new(self.traceparent(), self.inner.tracestate.clone())
    }

    /// Sets [`trace_headers`](Self::trace_headers) on an outgoing request,
    /// replacing any `traceparent` or `tracestate` already there.
    #[cfg(feature = "http")]
    pub fn inject(&self, headers: &mut http::HeaderMap) {
        self.trace_headers().inject(headers);
    }

    /// Starts one call to another service: a client span under the current
    /// span, and headers that name it. See [`OutgoingCall`].
    pub fn outgoing_call(&self, name: impl Into<Cow<'static, str>>) -> OutgoingCall {
        OutgoingCall::start(self, name.into())
    }

    /// Whether this is the first run to take the context's span id.
    pub(crate) fn claim_run_span(&self) -> bool {
        !self.inner.run_span_claimed.swap(true, Ordering::Relaxed)
    }

    /// How long the run was given: from creation to the deadline.
    pub(crate) fn time_allowed(&self) -> Duration {
        self.inner.deadline.map_or(Duration::ZERO, |deadline| {
            deadline.saturating_duration_since(self.inner.created)
        })
    }

    /// The 128-bit W3C trace id of this run.
    pub fn trace_id(&self) -> u128 {
        self.inner.trace.trace_id()
    }

    /// The id of the span that started this run: the remote caller's, or the
    /// parent workflow's for a [`child`](Self::child).
    pub fn parent_span_id(&self) -> Option<u64> {
        self.inner.parent_span_id
    }

    /// Whether this run's spans are recorded. Decided once, at the root;
    /// unsampled runs still record metrics and warnings.
    pub fn is_sampled(&self) -> bool {
        self.inner.trace.sampled()
    }
}

impl Default for WorkflowContext {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WorkflowContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkflowContext")
            .field("workflow_id", &self.workflow_id())
            .field("correlation_id", &self.correlation_id())
            .field("causation_id", &self.causation_id())
            .field("deadline", &self.deadline())
            .field("cancelled", &self.is_cancelled())
            .field("traceparent", &self.run_traceparent().to_string())
            .field("tracestate", &self.tracestate().to_string())
            .finish_non_exhaustive()
    }
}
