//! The time limits a streaming call runs under once its first chunk has
//! arrived: between chunks, for the whole stream, and the run's own.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use metrics::Counter;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::WaitForCancellationFutureOwned;

use crate::context::WorkflowContext;
use crate::error::Error;
use crate::instrument::Execution;

/// The [`StreamTimeouts`](super::StreamTimeouts) that set a limit: what a
/// timeout is counted and logged as.
#[derive(Clone)]
pub(crate) struct LimitOwner {
    pub(crate) name: Arc<str>,
    pub(crate) timeouts: Counter,
}

struct Timer {
    limit: Duration,
    sleep: Pin<Box<Sleep>>,
    owner: LimitOwner,
}

impl Timer {
    fn new(limit: Duration, deadline: Instant, owner: LimitOwner) -> Self {
        Self {
            limit,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            owner,
        }
    }
}

/// The run's cancellation and deadline, watched once the run's outermost
/// execution waits on the stream.
struct RunWatch {
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    deadline: Option<(Pin<Box<Sleep>>, Duration)>,
}

/// A stream's limits. Each is optional; a tighter one replaces a looser.
#[derive(Default)]
pub(crate) struct Limits {
    idle: Option<Timer>,
    total: Option<Timer>,
    run: Option<RunWatch>,
}

/// A limit that passed.
pub(crate) enum Expired {
    Idle(Duration, LimitOwner),
    Total(Duration, LimitOwner),
    RunCancelled,
    RunDeadline(Duration),
}

impl Limits {
    /// Fails the stream when no chunk arrives for `limit`, counting from `since`.
    pub(crate) fn idle(&mut self, limit: Duration, since: Instant, owner: LimitOwner) {
        if self.idle.as_ref().is_none_or(|idle| limit < idle.limit) {
            self.idle = Some(Timer::new(limit, since + limit, owner));
        }
    }

    /// Fails the stream at `deadline`, `limit` after its call started.
    pub(crate) fn total(&mut self, limit: Duration, deadline: Instant, owner: LimitOwner) {
        if self
            .total
            .as_ref()
            .is_none_or(|total| deadline < total.sleep.deadline())
        {
            self.total = Some(Timer::new(limit, deadline, owner));
        }
    }

    /// Ends the stream when the run is cancelled or its deadline passes.
    pub(crate) fn watch_run(&mut self, ctx: &WorkflowContext) {
        if self.run.is_none() {
            self.run = Some(RunWatch {
                cancelled: Box::pin(ctx.cancellation_token().clone().cancelled_owned()),
                deadline: ctx.deadline().map(|deadline| {
                    (
                        Box::pin(tokio::time::sleep_until(deadline)),
                        ctx.time_allowed(),
                    )
                }),
            });
        }
    }

    /// A chunk arrived at `now`: the idle limit counts from there.
    pub(crate) fn chunk_arrived(&mut self, now: Instant) {
        if let Some(idle) = &mut self.idle {
            idle.sleep.as_mut().reset(now + idle.limit);
        }
    }

    /// The first limit that has passed, if one has; registers for a wake-up
    /// at every other.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Option<Expired> {
        if let Some(run) = &mut self.run {
            if run.cancelled.as_mut().poll(cx).is_ready() {
                return Some(Expired::RunCancelled);
            }
            if let Some((sleep, allowed)) = &mut run.deadline
                && sleep.as_mut().poll(cx).is_ready()
            {
                return Some(Expired::RunDeadline(*allowed));
            }
        }
        if let Some(total) = &mut self.total
            && let Poll::Ready(()) = total.sleep.as_mut().poll(cx)
        {
            return Some(Expired::Total(total.limit, total.owner.clone()));
        }
        if let Some(idle) = &mut self.idle
            && let Poll::Ready(()) = idle.sleep.as_mut().poll(cx)
        {
            return Some(Expired::Idle(idle.limit, idle.owner.clone()));
        }
        None
    }
}

impl Expired {
    /// Counts and logs the expiry against the limit's owner, with the ids of
    /// the stream's run, and gives the error the stream fails with.
    pub(crate) fn report(self, opener: Option<&Execution<'static>>) -> Error {
        let (limit, owner, event) = match self {
            Expired::Idle(limit, owner) => (limit, owner, "stream_idle_timeout"),
            Expired::Total(limit, owner) => (limit, owner, "stream_total_timeout"),
            Expired::RunCancelled => return Error::Cancelled,
            Expired::RunDeadline(allowed) => return Error::Timeout { after: allowed },
        };
        owner.timeouts.increment(1);
        let ctx = opener.map(Execution::ctx);
        tracing::warn!(
            primitive_name = &*owner.name,
            limit_ms = limit.as_secs_f64() * 1e3,
            correlation_id = ctx.map(WorkflowContext::correlation_id),
            workflow_id = ctx.map(WorkflowContext::workflow_id),
            "{event}"
        );
        Error::Timeout { after: limit }
    }
}
