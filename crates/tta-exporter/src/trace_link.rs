//! Exported spans carry the trace ids of TTA's `WorkflowContext`.
//!
//! A run's context holds its W3C trace position, which
//! [`traceparent`](tta_core::WorkflowContext::traceparent) sends downstream.
//! For the downstream service's spans to join ours, the run's outermost
//! span must be exported with exactly that trace id and span id, under the
//! parent the context names, and with the `tracestate` it was called with.
//!
//! `tracing-opentelemetry` lets a span's parent be set but not its ids, and
//! the SDK draws every id from the provider's [`IdGenerator`]. So [`link`],
//! called by TTA on each run's outermost span, offers the run's ids to
//! [`RunIds`] for the one span it builds there and then.

use std::cell::Cell;

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tta_core::instrument::{RunParent, RunSpan, TraceLinker};

/// What TTA calls to link runs to their traces and read exported ids.
pub(crate) const LINKER: TraceLinker = TraceLinker { link, span_ids };

thread_local! {
    /// The ids for the span being built on this thread by [`link`].
    static OFFERED: Cell<Option<(TraceId, Option<SpanId>)>> = const { Cell::new(None) };
}

/// Random ids, except for a run's outermost span, which gets its run's.
#[derive(Debug, Default)]
pub(crate) struct RunIds {
    random: RandomIdGenerator,
}

impl IdGenerator for RunIds {
    fn new_trace_id(&self) -> TraceId {
        OFFERED
            .get()
            .map_or_else(|| self.random.new_trace_id(), |(trace, _)| trace)
    }

    fn new_span_id(&self) -> SpanId {
        OFFERED
            .get()
            .and_then(|(_, span)| span)
            .unwrap_or_else(|| self.random.new_span_id())
    }
}

/// Withdraws the offer even if building the span panics.
struct Offer;

impl Offer {
    fn make(trace: TraceId, span: Option<SpanId>) -> Self {
        OFFERED.set(Some((trace, span)));
        Self
    }
}

impl Drop for Offer {
    fn drop(&mut self) {
        OFFERED.set(None);
    }
}

/// Builds a run's outermost span now, with the run's ids and parent.
fn link(span: &tracing::Span, run: &RunSpan<'_>) {
    let trace_id = TraceId::from(run.trace_id);
    let parent = match run.parent {
        // The span already nests under the current one, in the same trace.
        RunParent::Enclosing => None,
        RunParent::Remote(parent) => {
            let remote = SpanContext::new(
                trace_id,
                SpanId::from(parent),
                TraceFlags::new(run.flags),
                true,
                trace_state(run),
            );
            Some(Context::new().with_remote_span_context(remote))
        }
        // A new trace, even when the run starts inside another trace's span.
        RunParent::Root => Some(Context::new()),
    };
    if let Some(parent) = parent {
        // Fails only for a span the OTLP layer does not know, which keeps
        // its own ids: nothing to link.
        let _ = span.set_parent(parent);
    }
    let _offer = Offer::make(trace_id, run.span_id.map(SpanId::from));
    // Asking for the span's context builds it now, drawing the offered ids.
    let _ = span.context();
}

/// The run's `tracestate` for OpenTelemetry. Its parser follows Trace
/// Context Level 1, so a key only Level 2 allows (such as `foo@bar@baz`) makes it
/// refuse the list; the exported span then has none, and the headers TTA
/// sends still carry the whole list.
fn trace_state(run: &RunSpan<'_>) -> TraceState {
    if run.tracestate.is_empty() {
        return TraceState::NONE;
    }
    TraceState::from_key_value(run.tracestate.iter()).unwrap_or_default()
}

/// The ids `span` is exported with; building it now if it was not yet.
fn span_ids(span: &tracing::Span) -> Option<(u128, u64)> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| {
        (
            u128::from_be_bytes(span_context.trace_id().to_bytes()),
            u64::from_be_bytes(span_context.span_id().to_bytes()),
        )
    })
}
