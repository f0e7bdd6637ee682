//! How spans join their distributed trace.
//!
//! A [`WorkflowContext`] carries a W3C trace position: its trace id, the
//! span id of its run's outermost span, its `tracestate` and, when it
//! continues a remote caller or a parent run, that span's id. The spans a
//! tracing layer exports must carry the same ids, or a downstream service's
//! spans land in a different trace, under a parent nobody exported. The
//! `tracing` facade can neither set nor read span ids, so the layer that
//! can installs a [`TraceLinker`]; the `tta` exporter installs one for
//! OpenTelemetry.

use std::sync::OnceLock;

use tracing::Span;

use super::position::Position;
use crate::context::{TraceState, WorkflowContext};

/// What a tracing layer does for TTA's trace context: give a run's
/// outermost span its context's ids, and tell which ids an exported span has.
#[derive(Debug, Clone, Copy)]
pub struct TraceLinker {
    /// Gives a run's outermost span the trace position in [`RunSpan`]. It
    /// is called once per sampled run, right after the span opens and
    /// before it is entered.
    pub link: fn(&Span, &RunSpan<'_>),
    /// The trace id and span id `span` is exported with, or `None` for a
    /// span the layer does not export.
    pub span_ids: fn(&Span) -> Option<(u128, u64)>,
}

/// Where a run's outermost span sits in its trace.
#[derive(Debug)]
#[non_exhaustive]
pub struct RunSpan<'a> {
    /// The trace id the span must have.
    pub trace_id: u128,
    /// The span id it must have; `None` when an earlier run with the same
    /// context took that id, so this span gets a fresh one.
    pub span_id: Option<u64>,
    /// Its parent.
    pub parent: RunParent,
    /// The W3C trace flags: sampled, random.
    pub flags: u8,
    /// The `tracestate` the run was called with.
    pub tracestate: &'a TraceState,
}

/// The parent of a run's outermost span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunParent {
    /// The span that is current: a step of the same trace started this run.
    Enclosing,
    /// A span of another process or an earlier run, by id: the caller named
    /// in an incoming `traceparent`, or the parent run of a
    /// [`child`](WorkflowContext::child) started outside any span.
    Remote(u64),
    /// None: the run starts a new trace.
    Root,
}

static LINKER: OnceLock<TraceLinker> = OnceLock::new();

/// Installs the process's [`TraceLinker`]. There is one per process: a
/// second call returns its linker unused.
pub fn set_trace_linker(linker: TraceLinker) -> Result<(), TraceLinker> {
    LINKER.set(linker)
}

/// The exported ids of `span`, if a linker is installed and exports it.
pub(crate) fn span_ids(span: &Span) -> Option<(u128, u64)> {
    let linker = LINKER.get()?;
    if span.is_disabled() {
        return None;
    }
    (linker.span_ids)(span)
}

/// Opens an execution's span with `open`, giving it the run's trace
/// position if it is a run's outermost span: a run started with `run`, or
/// a primitive called outside any span.
pub(super) fn open_linked(
    ctx: &WorkflowContext,
    position: Position,
    open: impl FnOnce() -> Span,
) -> Span {
    let Some(linker) = LINKER.get() else {
        return open();
    };
    // A combinator's child runs inside its parent's span, so only a run's
    // outermost execution or a direct call can start a run's span; the
    // rest skip the lookup of the current span.
    if !matches!(position, Position::Workflow | Position::Root) {
        return open();
    }
    let enclosing = Span::current();
    if position == Position::Root && !enclosing.is_none() {
        return open();
    }
    let own = ctx.run_traceparent();
    let in_trace = span_ids(&enclosing).is_some_and(|(trace, _)| trace == own.trace_id());
    let parent = match ctx.parent_span_id() {
        _ if in_trace => RunParent::Enclosing,
        Some(remote) => RunParent::Remote(remote),
        None => RunParent::Root,
    };
    let span = open();
    if !span.is_disabled() {
        let run = RunSpan {
            trace_id: own.trace_id(),
            span_id: ctx.claim_run_span().then_some(own.span_id()),
            parent,
            flags: own.flags(),
            tracestate: ctx.tracestate(),
        };
        (linker.link)(&span, &run);
    }
    span
}
