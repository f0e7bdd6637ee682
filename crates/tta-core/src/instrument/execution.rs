//! One execution's telemetry, from start to finish: the single place where
//! spans, log events and metrics are recorded for every primitive.

use tokio::time::Instant;
use tracing::Span;

use super::frame::{self, Tally};
use super::handles::Handles;
use super::position::Position;
use super::{Meta, attributes, events, link, span};
use crate::context::WorkflowContext;
use crate::error::Error;
use crate::llm;
use crate::llm::semconv::attributes as gen_ai;

/// How an execution ended.
pub(crate) enum Outcome<'e> {
    Succeeded,
    Failed(&'e Error),
    /// The future was dropped before it finished.
    Dropped,
}

/// A started execution. Finish it exactly once with [`Execution::finish`].
pub(crate) struct Execution<'a> {
    meta: &'a Meta,
    /// Looked up once at the start and reused at the finish.
    handles: &'a Handles,
    ctx: &'a WorkflowContext,
    position: Position,
    start: Instant,
    span: Option<Span>,
    /// The usage reported inside this execution.
    tally: Tally,
}

impl<'a> Execution<'a> {
    /// Counts the execution as active and opens its span if the run is
    /// sampled. Call it inside the parent's span so the new span nests.
    pub(crate) fn begin(meta: &'a Meta, ctx: &'a WorkflowContext, position: Position) -> Self {
        let handles = meta.handles();
        handles.started();
        // Sampling was decided once for the run; an unsampled run creates no
        // span at all, which is what makes it cheap.
        let span = ctx
            .is_sampled()
            .then(|| link::open_linked(ctx, position, || meta.open_span(ctx, position)))
            .filter(|span| !span.is_disabled());
        if let (Some(span), Some(call)) = (&span, meta.gen_ai_call()) {
            attributes::set(span, gen_ai::OPERATION_NAME, call.operation());
            attributes::set(span, gen_ai::PROVIDER_NAME, call.provider());
            attributes::set(span, gen_ai::REQUEST_MODEL, call.model());
        }
        let execution = Self {
            meta,
            handles,
            ctx,
            position,
            start: Instant::now(),
            span,
            tally: Tally::default(),
        };
        execution.in_span(|| events::started(meta, ctx, position));
        execution
    }

    pub(crate) fn start(&self) -> Instant {
        self.start
    }

    /// Runs `f` with this execution's span entered, if it has one.
    pub(crate) fn in_span<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.span {
            Some(span) => span.in_scope(f),
            None => f(),
        }
    }

    /// Polls the execution's future: inside its span, and with its usage
    /// tally as the current frame.
    pub(crate) fn poll_inner<R>(&mut self, poll: impl FnOnce() -> R) -> R {
        let span = &self.span;
        frame::within(&mut self.tally, || match span {
            Some(span) => span.in_scope(poll),
            None => poll(),
        })
    }

    /// Records the outcome: duration, counters, span status, usage and the log event.
    pub(crate) fn finish(mut self, outcome: Outcome<'_>) {
        let elapsed = self.start.elapsed();
        let cancelled;
        let (error, dropped) = match outcome {
            Outcome::Succeeded => (None, false),
            Outcome::Failed(error) => (Some(error), false),
            Outcome::Dropped => {
                cancelled = Error::Cancelled;
                (Some(&cancelled), true)
            }
        };
        let (meta, ctx, position) = (self.meta, self.ctx, self.position);
        self.handles
            .finished(elapsed, error.map(|error| error.kind()));
        if position == Position::Workflow {
            meta.workflow_handles().finished(elapsed, error.is_none());
        }
        self.in_span(|| match error {
            None => events::completed(meta, ctx, position, elapsed),
            Some(error) => events::failed(meta, ctx, position, elapsed, error, dropped),
        });
        // Only a parallel's children run at `Position::Branch`, so only a
        // parallel has branch time.
        let branch_time = self.tally.branch_time();
        if !branch_time.is_zero() {
            self.handles.branches_ran(branch_time);
        }
        if let Some(usage) = self.tally.take_usage() {
            llm::settle(usage, self.span.as_ref(), elapsed, error.map(Error::kind));
        }
        if let Position::Branch(_) = position {
            frame::credit_branch(elapsed);
        }
        if let Some(span) = &self.span {
            span::close(span, error.map_or(Ok(()), Err));
        }
    }
}
