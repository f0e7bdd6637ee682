//! [`Instrumented`]: the future every primitive call runs in.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use tokio::time::Instant;

use super::execution::{Execution, Outcome};
use super::position::Position;
use super::{Meta, listening};
use crate::context::WorkflowContext;
use crate::error::{Error, Result};

pin_project! {
    /// The future returned by [`PrimitiveExt::call`](crate::PrimitiveExt::call):
    /// a primitive's [`execute`](crate::Primitive::execute) future with its
    /// telemetry around it.
    ///
    /// Nothing happens until it is first polled. Then it checks the context's
    /// cancellation and deadline, opens the execution's span as a child of the
    /// current one, and starts the clock. A panic inside the primitive becomes
    /// [`Error::Panicked`]. Dropped before it finishes, it records the
    /// execution as cancelled and releases its active-executions gauge.
    ///
    /// When nobody listens (see [`set_metrics_enabled`](super::set_metrics_enabled)),
    /// only the checks and the panic guard remain.
    #[must_use = "futures do nothing unless polled"]
    pub struct Instrumented<'a, F> {
        #[pin]
        inner: F,
        meta: &'a Meta,
        ctx: &'a WorkflowContext,
        position: Position,
        state: State<'a>,
    }

    impl<'a, F> PinnedDrop for Instrumented<'a, F> {
        fn drop(this: Pin<&mut Self>) {
            if let State::Running(execution) = std::mem::replace(this.project().state, State::Done) {
                execution.finish(Outcome::Dropped);
            }
        }
    }
}

enum State<'a> {
    NotStarted,
    Running(Execution<'a>),
    /// Running with nobody listening: nothing to record.
    Unobserved,
    Done,
}

impl<'a, F> Instrumented<'a, F> {
    pub(crate) fn new(
        inner: F,
        meta: &'a Meta,
        ctx: &'a WorkflowContext,
        position: Position,
    ) -> Self {
        Self {
            inner,
            meta,
            ctx,
            position,
            state: State::NotStarted,
        }
    }
}

impl<T, F> Future for Instrumented<'_, F>
where
    F: Future<Output = Result<T>>,
{
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let first = matches!(this.state, State::NotStarted);
        if first {
            // A run's outermost execution is always recorded: a stream it
            // returns watches the run's deadline through it.
            if *this.position != Position::Workflow && !listening::anybody() {
                if let Some(error) = refusal(this.ctx, Instant::now) {
                    *this.state = State::Done;
                    return Poll::Ready(Err(error));
                }
                *this.state = State::Unobserved;
            } else {
                let execution = Execution::begin(this.meta, this.ctx, *this.position);
                if let Some(error) = refusal(this.ctx, || execution.start()) {
                    execution.log_start();
                    execution.finish(Outcome::Failed(&error));
                    *this.state = State::Done;
                    return Poll::Ready(Err(error));
                }
                *this.state = State::Running(execution);
            }
        }
        let inner = this.inner.as_mut();
        let execution = match &mut *this.state {
            State::Running(execution) => execution,
            State::Unobserved => {
                let result = ready!(guarded(inner, cx));
                *this.state = State::Done;
                return Poll::Ready(result);
            }
            State::NotStarted | State::Done => panic!("`Instrumented` polled after completion"),
        };
        let result = ready!(execution.poll_to_end(first, || guarded(inner, cx)));
        if let State::Running(execution) = std::mem::replace(this.state, State::Done) {
            match &result {
                // A stream in the output keeps the execution running.
                Ok(_) => execution.succeed(),
                Err(error) => execution.finish(Outcome::Failed(error)),
            }
        }
        Poll::Ready(result)
    }
}

/// Polls `inner`, turning a panic into [`Error::Panicked`].
#[inline]
fn guarded<T, F>(inner: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<Result<T>>
where
    F: Future<Output = Result<T>>,
{
    catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
        .unwrap_or_else(|payload| Poll::Ready(Err(Error::from_panic(&*payload))))
}

/// Why an execution must not start: its run was cancelled, is past its
/// deadline, or has spent its budget. The clock is read only when the run
/// has a deadline.
fn refusal(ctx: &WorkflowContext, now: impl FnOnce() -> Instant) -> Option<Error> {
    if ctx.is_cancelled() {
        return Some(Error::Cancelled);
    }
    if let Some(error) = ctx.budget_refusal() {
        return Some(error);
    }
    match ctx.deadline() {
        Some(deadline) if now() >= deadline => Some(Error::Timeout {
            after: ctx.time_allowed(),
        }),
        _ => None,
    }
}
