//! [`Instrumented`]: the future every primitive call runs in.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::Meta;
use super::execution::{Execution, Outcome};
use super::position::Position;
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
            let execution = Execution::begin(this.meta, this.ctx, *this.position);
            if let Some(error) = refusal(this.ctx, &execution) {
                execution.log_start();
                execution.finish(Outcome::Failed(&error));
                *this.state = State::Done;
                return Poll::Ready(Err(error));
            }
            *this.state = State::Running(execution);
        }
        let State::Running(execution) = &mut *this.state else {
            panic!("`Instrumented` polled after completion");
        };
        let inner = this.inner.as_mut();
        let result = ready!(execution.poll_to_end(first, || {
            catch_unwind(AssertUnwindSafe(|| inner.poll(cx)))
                .unwrap_or_else(|payload| Poll::Ready(Err(Error::from_panic(&*payload))))
        }));
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

/// Why an execution must not start: its run was cancelled, is past its
/// deadline, or has spent its budget.
fn refusal(ctx: &WorkflowContext, execution: &Execution<'_>) -> Option<Error> {
    if ctx.is_cancelled() {
        return Some(Error::Cancelled);
    }
    if let Some(error) = ctx.budget_refusal() {
        return Some(error);
    }
    match ctx.deadline() {
        Some(deadline) if execution.start() >= deadline => Some(Error::Timeout {
            after: ctx.time_allowed(),
        }),
        _ => None,
    }
}
