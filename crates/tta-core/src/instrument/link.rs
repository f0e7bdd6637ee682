//! How a run's outermost span joins its distributed trace.
//!
//! A [`WorkflowContext`] carries a W3C trace position: its trace id, its own
//! span id (what [`traceparent`](WorkflowContext::traceparent) sends
//! downstream) and, when it continues a remote caller or a parent run, that
//! caller's span id. The spans a tracing layer exports must carry the same
//! ids, or a downstream service's spans land in a different trace. The
//! `tracing` facade cannot set span ids, so the layer that can installs a
//! [`TraceLinker`]; the `tta` exporter installs one for OpenTelemetry.

use std::sync::OnceLock;

use tracing::Span;

use crate::context::WorkflowContext;

/// Gives a run's outermost span the trace id and span id of `ctx`'s
/// [`traceparent`](WorkflowContext::traceparent), and makes it a child of
/// [`parent_span_id`](WorkflowContext::parent_span_id) when there is one.
///
/// It is called once per sampled run, right after the span opens, and only
/// when no other span is current: a run that starts inside another span
/// nests under that span instead, as every other span does.
pub type TraceLinker = fn(&Span, &WorkflowContext);

static LINKER: OnceLock<TraceLinker> = OnceLock::new();

/// Installs the process's [`TraceLinker`]. There is one per process: a
/// second call returns its linker unused.
pub fn set_trace_linker(linker: TraceLinker) -> Result<(), TraceLinker> {
    LINKER.set(linker)
}

/// Opens an execution's span with `open`, linking it to the run's trace if
/// it is a run's outermost span.
pub(super) fn open_linked(ctx: &WorkflowContext, open: impl FnOnce() -> Span) -> Span {
    let Some(link) = LINKER.get() else {
        return open();
    };
    // The current span is the parent `open` nests under; none means root.
    let is_outermost = Span::current().is_none();
    let span = open();
    if is_outermost && !span.is_disabled() {
        link(&span, ctx);
    }
    span
}
