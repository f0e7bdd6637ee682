//! The span of one execution and its OpenTelemetry attributes.

use tracing::Span;
use tracing::field::display;

use super::Meta;
use super::position::Position;
use crate::context::WorkflowContext;
use crate::error::Error;

/// Field names other code records on the current primitive span.
pub mod fields {
    /// The primitive's type, set on every primitive span when it opens.
    pub const PRIMITIVE_TYPE: &str = "tta.primitive.type";
    /// Whether a cache lookup was a hit (`bool`).
    pub const CACHE_HIT: &str = "tta.cache.hit";
    /// The route a router or conditional took.
    pub const ROUTE: &str = "tta.route";
}

/// Opens the span of one execution as a child of the current span, with
/// every standard attribute declared, followed by `extra` fields.
///
/// Spans are at DEBUG: log output at the default `info` then skips them
/// (every event already carries the primitive's name and the run's ids),
/// and a span costs nothing unless a trace exporter or a DEBUG log filter
/// asks for it. The exporter's OTLP layer takes every primitive span.
///
/// Used by the runtime, and by `#[primitive]` for types that declare their
/// own span fields (`fields(..)`, `record_input`), so every primitive span
/// has the same attributes whoever opens it.
#[doc(hidden)]
#[macro_export]
macro_rules! __primitive_span {
    ($meta:expr, $ctx:expr, $position:expr $(, $($extra:tt)+)?) => {
        $crate::__private::tracing::debug_span!(
            "primitive",
            otel.name = $meta.span_name(),
            otel.kind = $meta.span_kind(),
            otel.status_code = $crate::__private::tracing::field::Empty,
            otel.status_description = $crate::__private::tracing::field::Empty,
            tta.primitive.name = $meta.name(),
            tta.primitive.type = $meta.kind().label(),
            tta.workflow.id = $ctx.workflow_id(),
            tta.correlation.id = $ctx.correlation_id(),
            // As i64: the OTel layer has no unsigned integers, and would
            // export a u32 as its Debug string.
            tta.step.index = $position.step().map(i64::from),
            tta.branch.index = $position.branch().map(i64::from),
            tta.retry.attempt = $position.attempt().map(i64::from),
            tta.fallback.index = $position.alternative().map(i64::from),
            tta.saga.compensation = $position.compensation().map(i64::from),
            tta.cache.hit = $crate::__private::tracing::field::Empty,
            tta.route = $crate::__private::tracing::field::Empty,
            error.kind = $crate::__private::tracing::field::Empty,
            exception.message = $crate::__private::tracing::field::Empty,
            $($($extra)+)?
        )
    };
}

/// Opens a span with the standard attributes only: the default opener.
pub(crate) fn open(meta: &Meta, ctx: &WorkflowContext, position: Position) -> Span {
    crate::__primitive_span!(meta, ctx, position)
}

/// A function that opens an execution's span; see [`Meta::with_span_opener`].
pub type SpanOpener = fn(&Meta, &WorkflowContext, Position) -> Span;

/// Sets the span's OpenTelemetry status from the outcome.
pub(crate) fn close(span: &Span, outcome: Result<(), &Error>) {
    match outcome {
        Ok(()) => {
            span.record("otel.status_code", "ok");
        }
        Err(error) => {
            span.record("otel.status_code", "error");
            span.record("otel.status_description", display(error));
            span.record("error.kind", error.kind().as_str());
            span.record("exception.message", display(error));
        }
    }
}
