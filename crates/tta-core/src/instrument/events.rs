//! The structured log events of one execution.
//!
//! Every event carries `correlation_id` and `workflow_id`, so logs join up
//! with traces and with each other even when the run is not sampled.
//! Inputs and outputs are never logged: they may hold personal data.

use std::time::Duration;

use super::Meta;
use super::position::{Position, Severity};
use crate::context::WorkflowContext;
use crate::error::Error;

/// Emits one event at a severity chosen at run time; `tracing` needs the
/// level at each call site, so there is one call site per severity.
macro_rules! event_at {
    ($severity:expr, $($event:tt)+) => {
        match $severity {
            Severity::Debug => tracing::debug!($($event)+),
            Severity::Info => tracing::info!($($event)+),
            Severity::Warn => tracing::warn!($($event)+),
        }
    };
}

/// One execution event: the fields every event carries, then `extra`.
macro_rules! execution_event {
    ($severity:expr, $name:expr, $meta:expr, $ctx:expr, $position:expr $(, $($extra:tt)+)?) => {
        event_at!(
            $severity,
            primitive_name = $meta.name(),
            primitive_type = $meta.kind().label(),
            step = $position.step(),
            branch = $position.branch(),
            attempt = $position.attempt(),
            alternative = $position.alternative(),
            compensation = $position.compensation(),
            $($($extra)+,)?
            correlation_id = $ctx.correlation_id(),
            workflow_id = $ctx.workflow_id(),
            "{}",
            $name
        )
    };
}

/// An event a primitive logs about its own work, such as a retry giving up,
/// a timeout passing or a cache lookup: the primitive's name and type, then
/// `extra`, then the run's ids, like every execution event.
macro_rules! primitive_event {
    ($level:ident, $name:literal, $meta:expr, $ctx:expr $(, $($extra:tt)+)?) => {
        tracing::$level!(
            primitive_name = $meta.name(),
            primitive_type = $meta.kind().label(),
            $($($extra)+,)?
            correlation_id = $ctx.correlation_id(),
            workflow_id = $ctx.workflow_id(),
            $name
        )
    };
}
pub(crate) use primitive_event;

pub(crate) fn started(meta: &Meta, ctx: &WorkflowContext, position: Position) {
    let name = position.events(meta.kind()).start;
    execution_event!(position.progress_severity(), name, meta, ctx, position);
}

pub(crate) fn completed(meta: &Meta, ctx: &WorkflowContext, position: Position, elapsed: Duration) {
    let name = position.events(meta.kind()).complete;
    execution_event!(
        position.progress_severity(),
        name,
        meta,
        ctx,
        position,
        duration_ms = millis(elapsed)
    );
}

pub(crate) fn failed(
    meta: &Meta,
    ctx: &WorkflowContext,
    position: Position,
    elapsed: Duration,
    error: &Error,
    dropped: bool,
) {
    let name = position.events(meta.kind()).failed;
    // A dropped execution was cancelled from outside (a failed sibling, a
    // timeout, a caller that went away): expected, so never louder than DEBUG.
    let severity = if dropped {
        Severity::Debug
    } else {
        position.failure_severity()
    };
    execution_event!(
        severity,
        name,
        meta,
        ctx,
        position,
        duration_ms = millis(elapsed),
        error_kind = error.kind().as_str(),
        error = %error,
        dropped
    );
}

/// The end event of an execution: completed, or failed with `error`.
pub(crate) fn ended(
    meta: &Meta,
    ctx: &WorkflowContext,
    position: Position,
    elapsed: Duration,
    error: Option<&Error>,
    dropped: bool,
) {
    match error {
        None => completed(meta, ctx, position, elapsed),
        Some(error) => failed(meta, ctx, position, elapsed, error, dropped),
    }
}

fn millis(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3
}
