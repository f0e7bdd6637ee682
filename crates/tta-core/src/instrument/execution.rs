//! One execution's telemetry, from start to finish: the single place where
//! spans, log events and metrics are recorded for every primitive.

use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Span;

use super::frame::{self, Tally};
use super::handles::StreamOutcome;
use super::position::Position;
use super::{Meta, attributes, events, handoff, link, span};
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::llm;
use crate::llm::semconv::attributes as gen_ai;

/// How an execution ended.
#[derive(Clone, Copy)]
pub(crate) enum Outcome<'e> {
    Succeeded,
    Failed(&'e Error),
    /// The future was dropped before it finished.
    Dropped,
}

/// Whose execution it is: borrowed for the length of a call, or owned once
/// the execution outlives the call by returning a stream.
enum Owner<'a> {
    Borrowed(&'a Meta, &'a WorkflowContext),
    Detached(Box<(Meta, WorkflowContext)>),
}

impl Owner<'_> {
    fn parts(&self) -> (&Meta, &WorkflowContext) {
        match self {
            Owner::Borrowed(meta, ctx) => (meta, ctx),
            Owner::Detached(owned) => (&owned.0, &owned.1),
        }
    }
}

/// A started execution. Finish it exactly once with [`Execution::finish`]
/// or [`Execution::succeed`].
pub(crate) struct Execution<'a> {
    owner: Owner<'a>,
    position: Position,
    start: Instant,
    span: Option<Span>,
    /// The usage reported inside this execution.
    tally: Tally,
    /// The duration, when the last poll has logged the end event already.
    logged_end: Option<Duration>,
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
        Self {
            owner: Owner::Borrowed(meta, ctx),
            position,
            start: Instant::now(),
            span,
            tally: Tally::default(),
            logged_end: None,
        }
    }

    /// Logs the start event, inside the span. The first poll logs it itself
    /// ([`poll_to_end`](Self::poll_to_end)); an execution refused before
    /// its first poll calls this.
    pub(crate) fn log_start(&self) {
        self.in_span(|| events::started(self.meta(), self.ctx(), self.position));
    }

    pub(crate) fn start(&self) -> Instant {
        self.start
    }

    pub(crate) fn meta(&self) -> &Meta {
        self.owner.parts().0
    }

    pub(crate) fn ctx(&self) -> &WorkflowContext {
        self.owner.parts().1
    }

    pub(crate) fn span(&self) -> Option<&Span> {
        self.span.as_ref()
    }

    /// The same execution, owning what it borrowed, so that it can outlive
    /// the call that started it.
    pub(crate) fn detach(self) -> Execution<'static> {
        let owned = match self.owner {
            Owner::Borrowed(meta, ctx) => Box::new((meta.detached(), ctx.clone())),
            Owner::Detached(owned) => owned,
        };
        Execution {
            owner: Owner::Detached(owned),
            position: self.position,
            start: self.start,
            span: self.span,
            tally: self.tally,
            logged_end: self.logged_end,
        }
    }

    /// Finishes a successful execution, unless its output holds a stream
    /// it opened or was handed: then the stream takes it, and it finishes
    /// when the stream ends.
    pub(crate) fn succeed(mut self) {
        let streams = self.take_stream_claims();
        if streams.is_empty() {
            self.finish(Outcome::Succeeded);
        } else if let Err(execution) = handoff::hand_over(self, streams) {
            execution.finish(Outcome::Succeeded);
        }
    }

    /// Takes the streams opened in or handed up to this execution, after
    /// counting those that failed before their first chunk inside it.
    fn take_stream_claims(&mut self) -> Vec<std::sync::Weak<handoff::Handoff>> {
        let Some(claims) = self.tally.take_streams() else {
            return Vec::new();
        };
        if claims.failed_to_open > 0 {
            let meta = self.meta();
            let stream = meta.handles().stream(meta.gen_ai_call());
            for _ in 0..claims.failed_to_open {
                stream.ended(StreamOutcome::FailedBeforeFirstChunk);
            }
        }
        claims.open
    }

    /// Runs `f` with this execution's span entered, if it has one.
    pub(crate) fn in_span<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.span {
            Some(span) => span.in_scope(f),
            None => f(),
        }
    }

    /// Runs `f` with this execution's tally as the current frame, so that
    /// what finishes inside is credited to it.
    pub(crate) fn in_frame<R>(&mut self, f: impl FnOnce() -> R) -> R {
        frame::within(&mut self.tally, f)
    }

    pub(crate) fn position(&self) -> Position {
        self.position
    }

    /// Polls a stream the execution returned: inside its span, and with its
    /// usage tally as the current frame.
    pub(crate) fn poll_inner<R>(&mut self, poll: impl FnOnce() -> R) -> R {
        let span = &self.span;
        frame::within(&mut self.tally, || match span {
            Some(span) => span.in_scope(poll),
            None => poll(),
        })
    }

    /// Polls the execution's future, inside its span and with its usage
    /// tally as the current frame. The first poll logs the start event and
    /// the last the end event in the same entry of the span: every enter
    /// and exit costs each tracing layer a span lookup. An output holding a
    /// stream is not the end; the stream logs it.
    pub(crate) fn poll_to_end<T>(
        &mut self,
        first: bool,
        poll: impl FnOnce() -> Poll<Result<T>>,
    ) -> Poll<Result<T>> {
        let Self {
            owner,
            position,
            start,
            span,
            tally,
            logged_end,
        } = self;
        let (meta, ctx) = owner.parts();
        let (position, start) = (*position, *start);
        let polled = || {
            if first {
                events::started(meta, ctx, position);
            }
            let polled = frame::within(tally, poll);
            if let Poll::Ready(result) = &polled
                && !tally.has_streams()
            {
                let elapsed = start.elapsed();
                events::ended(meta, ctx, position, elapsed, result.as_ref().err(), false);
                *logged_end = Some(elapsed);
            }
            polled
        };
        match span {
            Some(span) => span.in_scope(polled),
            None => polled(),
        }
    }

    /// Records the outcome: duration, counters, span status, usage and the log event.
    pub(crate) fn finish(mut self, outcome: Outcome<'_>) {
        let elapsed = self.logged_end.unwrap_or_else(|| self.start.elapsed());
        // Streams it still claims were dropped or consumed inside it.
        self.take_stream_claims();
        let usage = self.tally.take_usage();
        let cancelled;
        let (error, dropped) = match outcome {
            Outcome::Succeeded => (None, false),
            Outcome::Failed(error) => (Some(error), false),
            Outcome::Dropped => {
                cancelled = Error::Cancelled;
                (Some(&cancelled), true)
            }
        };
        let (meta, ctx, position) = (self.meta(), self.ctx(), self.position);
        let handles = meta.handles();
        handles.finished(elapsed, error.map(|error| error.kind()));
        if position == Position::Workflow {
            meta.workflow_handles().finished(elapsed, error.is_none());
        }
        if self.logged_end.is_none() {
            self.in_span(|| events::ended(meta, ctx, position, elapsed, error, dropped));
        }
        // Only a parallel's children run at `Position::Branch`, so only a
        // parallel has branch time.
        let branch_time = self.tally.branch_time();
        if !branch_time.is_zero() {
            handles.branches_ran(branch_time);
        }
        if let Some(usage) = usage {
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
