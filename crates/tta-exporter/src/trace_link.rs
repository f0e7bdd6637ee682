//! Exported spans carry the trace ids of TTA's `WorkflowContext`.
//!
//! A run's context holds its W3C trace position, which
//! [`traceparent`](tta_core::WorkflowContext::traceparent) sends downstream.
//! For the downstream service's spans to join ours, the run's outermost
//! span must be exported with exactly that trace id and span id, and be the
//! child of the remote caller's span when the run continues one.
//!
//! `tracing-opentelemetry` lets a span's parent be set but not its ids, and
//! the SDK draws every id from the provider's [`IdGenerator`]. So the
//! [`link`] function, called by TTA on each run's outermost span, offers the
//! run's ids to [`RunIds`] for the one span it builds there and then.

use std::cell::Cell;

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tta_core::WorkflowContext;

thread_local! {
    /// The ids for the span being built on this thread by [`link`].
    static OFFERED: Cell<Option<(TraceId, SpanId)>> = const { Cell::new(None) };
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
            .map_or_else(|| self.random.new_span_id(), |(_, span)| span)
    }
}

/// Withdraws the offer even if building the span panics.
struct Offer;

impl Offer {
    fn make(trace: TraceId, span: SpanId) -> Self {
        OFFERED.set(Some((trace, span)));
        Self
    }
}

impl Drop for Offer {
    fn drop(&mut self) {
        OFFERED.set(None);
    }
}

/// The [`TraceLinker`](tta_core::instrument::TraceLinker) for the OTLP layer.
pub(crate) fn link(span: &tracing::Span, ctx: &WorkflowContext) {
    let position = ctx.traceparent();
    let trace_id = TraceId::from(position.trace_id());
    if let Some(parent) = ctx.parent_span_id() {
        let flags = TraceFlags::new(position.flags());
        let remote = SpanContext::new(
            trace_id,
            SpanId::from(parent),
            flags,
            true,
            TraceState::default(),
        );
        // Fails only for a span the OTLP layer does not know, which keeps
        // its own ids: nothing to link.
        let _ = span.set_parent(Context::new().with_remote_span_context(remote));
    }
    let _offer = Offer::make(trace_id, SpanId::from(position.span_id()));
    // Asking for the span's context builds it now, drawing the offered ids.
    let _ = span.context();
}
