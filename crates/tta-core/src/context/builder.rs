//! Building a [`WorkflowContext`].

use std::collections::{BTreeMap, BTreeSet};
use std::num::{NonZeroU64, NonZeroU128};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::propagation::Incoming;
use super::state::SharedState;
use super::{Inner, TraceParent, TraceState, WorkflowContext, sampling};
use crate::llm::{Ledger, Limits, Usd};

/// Builds a [`WorkflowContext`]. Every setting is optional.
///
/// | setting | default |
/// |---|---|
/// | `workflow_id`, `correlation_id` | a new UUID v4 each |
/// | `causation_id` | none (a child's is its parent's workflow id) |
/// | `traceparent` | a new trace, sampled at the process's [`sample_ratio`](super::sampling::sample_ratio) (1 unless set) |
/// | `tracestate` | empty (a child's is its parent's) |
/// | `deadline` / `timeout` | none |
/// | `cancellation_token` | a new token (a child's is a child token of its parent's) |
/// | `cost_budget` / `token_budget` | none (a child is bound by its parent's too) |
#[derive(Debug, Default)]
#[must_use = "call `build()` to get the context"]
pub struct WorkflowContextBuilder {
    workflow_id: Option<String>,
    correlation_id: Option<String>,
    causation_id: Option<String>,
    metadata: BTreeMap<String, String>,
    tags: BTreeSet<String>,
    baggage: BTreeMap<String, String>,
    deadline: Option<Instant>,
    cancellation: Option<CancellationToken>,
    parent: Option<TraceParent>,
    tracestate: TraceState,
    sampled: Option<bool>,
    limits: Limits,
    parent_ledger: Option<Arc<Ledger>>,
}

impl WorkflowContextBuilder {
    pub(super) fn child_of(parent: &WorkflowContext) -> Self {
        let inner = &parent.inner;
        Self {
            workflow_id: None,
            correlation_id: Some(inner.correlation_id.to_string()),
            causation_id: Some(inner.workflow_id.to_string()),
            metadata: inner.metadata.clone(),
            tags: inner.tags.clone(),
            baggage: inner.baggage.clone(),
            deadline: inner.deadline,
            cancellation: Some(inner.cancellation.child_token()),
            parent: Some(inner.trace),
            tracestate: inner.tracestate.clone(),
            sampled: None,
            limits: Limits::default(),
            parent_ledger: Some(Arc::clone(&inner.ledger)),
        }
    }

    /// Sets the run's id.
    pub fn workflow_id(mut self, id: impl Into<String>) -> Self {
        self.workflow_id = Some(id.into());
        self
    }

    /// Sets the correlation id, for example a request id from an HTTP header.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// Sets the id of whatever caused this run.
    pub fn causation_id(mut self, id: impl Into<String>) -> Self {
        self.causation_id = Some(id.into());
        self
    }

    /// Adds a metadata entry, replacing any with the same key.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.insert(tag.into());
        self
    }

    /// Adds a W3C baggage entry, replacing any with the same key.
    pub fn baggage(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.baggage.insert(key.into(), value.into());
        self
    }

    /// The run must finish by `deadline`. Every primitive respects it, and a
    /// run started with `run_with` fails with `Error::Timeout` when it passes.
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The run must finish within `timeout` from now. Keeps an earlier
    /// deadline inherited from a parent.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        let candidate = Instant::now().checked_add(timeout);
        self.deadline = match (self.deadline, candidate) {
            (Some(existing), Some(new)) => Some(existing.min(new)),
            (existing, new) => new.or(existing),
        };
        self
    }

    /// Uses an existing cancellation token, for example one per HTTP request.
    pub fn cancellation_token(mut self, token: CancellationToken) -> Self {
        self.cancellation = Some(token);
        self
    }

    /// Continues the trace of a remote caller.
    pub fn traceparent(mut self, parent: TraceParent) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Sets the `tracestate` sent on with the trace: the caller's, with
    /// [`traceparent`](Self::traceparent), or an entry of your own.
    pub fn tracestate(mut self, state: TraceState) -> Self {
        self.tracestate = state;
        self
    }

    /// Continues the trace of an incoming request, given every field line
    /// of its `traceparent` and `tracestate` headers in the order received,
    /// and following the specification's processing model:
    ///
    /// - exactly one valid `traceparent` continues its trace; a missing,
    ///   invalid or repeated one starts a new trace, and then any
    ///   `tracestate` is discarded;
    /// - the `tracestate` lines are joined into one list, and an invalid
    ///   list is discarded whole without affecting the `traceparent`.
    ///
    /// It never fails: what is rejected is logged at DEBUG, with the reason.
    ///
    /// ```
    /// use tta_core::WorkflowContext;
    ///
    /// let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    /// let ctx = WorkflowContext::builder()
    ///     .trace_headers([parent], ["rojo=1", "congo=2"])
    ///     .build();
    /// assert_eq!(ctx.trace_id(), 0x4bf92f3577b34da6a3ce929d0e0e4736);
    /// assert_eq!(ctx.tracestate().to_string(), "rojo=1,congo=2");
    ///
    /// let fresh = WorkflowContext::builder().trace_headers([parent, parent], []).build();
    /// assert_ne!(fresh.trace_id(), ctx.trace_id());
    /// ```
    pub fn trace_headers<'a>(
        self,
        traceparent: impl IntoIterator<Item = &'a str>,
        tracestate: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        self.incoming(Incoming::read(traceparent, tracestate))
    }

    /// [`trace_headers`](Self::trace_headers) from an `http::HeaderMap`,
    /// whose names are case-insensitive.
    #[cfg(feature = "http")]
    pub fn http_headers(self, headers: &http::HeaderMap) -> Self {
        self.incoming(Incoming::from_header_map(headers))
    }

    fn incoming(self, incoming: Incoming) -> Self {
        match incoming {
            Incoming::Continue(parent, state) => self.traceparent(parent).tracestate(state),
            Incoming::Restart => Self {
                parent: None,
                tracestate: TraceState::new(),
                ..self
            },
        }
    }

    /// Overrides the sampling decision. By default a run follows its
    /// `traceparent` or parent context, and a new trace is sampled at the
    /// process's [`sample_ratio`](super::sampling::sample_ratio).
    pub fn sampled(mut self, sampled: bool) -> Self {
        self.sampled = Some(sampled);
        self
    }

    /// The run may spend at most `budget` on model calls. Once the calls
    /// reported with [`WorkflowContext::record_usage`] reach it, every
    /// primitive that would start fails with
    /// [`Error::BudgetExceeded`](crate::Error::BudgetExceeded), which is
    /// not retried. Calls already running finish, so a run can end above
    /// its budget by the calls in flight when it was reached.
    ///
    /// ```
    /// use tta_core::llm::Usd;
    /// let ctx = tta_core::WorkflowContext::builder().cost_budget(Usd::from_cents(50)).build();
    /// assert_eq!(ctx.cost_budget(), Some(Usd::from_cents(50)));
    /// ```
    pub fn cost_budget(mut self, budget: Usd) -> Self {
        self.limits.cost = Some(budget);
        self
    }

    /// The run may use at most `tokens` input plus output tokens; see
    /// [`cost_budget`](Self::cost_budget).
    pub fn token_budget(mut self, tokens: u64) -> Self {
        self.limits.tokens = Some(tokens);
        self
    }

    /// Builds the context.
    pub fn build(self) -> WorkflowContext {
        let continued = self
            .parent
            .and_then(|parent| NonZeroU128::new(parent.trace_id()).map(|id| (id, parent.random())));
        // A trace we start has a random id; a continued one is random if
        // its caller said so.
        let (trace_id, random) = continued.unwrap_or_else(|| (random_trace_id(), true));
        let sampled = self.sampled.unwrap_or_else(|| match self.parent {
            Some(parent) => parent.sampled(),
            None => sampling::samples(trace_id.get()),
        });
        let trace = TraceParent::from_nonzero(trace_id, random_span_id(), sampled, random);
        let causation_id = self.causation_id.or_else(|| {
            self.parent
                .map(|parent| format!("{:016x}", parent.span_id()))
        });
        WorkflowContext {
            inner: Arc::new(Inner {
                workflow_id: self.workflow_id.map_or_else(new_id, Into::into),
                correlation_id: self.correlation_id.map_or_else(new_id, Into::into),
                causation_id: causation_id.map(Into::into),
                metadata: self.metadata,
                tags: self.tags,
                baggage: self.baggage,
                deadline: self.deadline,
                cancellation: self.cancellation.unwrap_or_default(),
                trace,
                tracestate: self.tracestate,
                parent_span_id: self.parent.map(|parent| parent.span_id()),
                run_span_claimed: AtomicBool::new(false),
                created: Instant::now(),
                state: SharedState::default(),
                checkpoints: Mutex::new(Vec::new()),
                ledger: Arc::new(Ledger::new(self.limits, self.parent_ledger)),
            }),
        }
    }
}

/// A UUID v4 from the thread's fast generator, seeded once, rather than
/// the operating system's (a system call each): ids must be unique, not
/// secret, as the OpenTelemetry SDK's ids are. Written straight into the
/// shared string, with no intermediate `String`.
fn new_id() -> Arc<str> {
    let uuid = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    Arc::from(
        &*uuid
            .hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer()),
    )
}

fn random_trace_id() -> NonZeroU128 {
    // Every bit random: samplers, ours included, read the low 64 bits as a
    // uniform number, which a UUID's fixed variant bits would skew.
    NonZeroU128::new(fastrand::u128(1..)).unwrap_or(NonZeroU128::MIN)
}

pub(super) fn random_span_id() -> NonZeroU64 {
    NonZeroU64::new(fastrand::u64(1..)).unwrap_or(NonZeroU64::MIN)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_distinct_uuid_v4s() {
        let ids: HashSet<Arc<str>> = (0..10_000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            let uuid = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(uuid.get_version_num(), 4, "{id}");
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122, "{id}");
            assert_eq!(id.len(), 36);
        }
    }
}
