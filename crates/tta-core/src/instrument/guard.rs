//! [`RunGuard`]: stops a whole run when its context is cancelled or its
//! deadline passes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tokio_util::sync::WaitForCancellationFuture;

use crate::context::WorkflowContext;
use crate::error::{Error, Result};

pin_project! {
    /// Wraps the outermost execution of a run. Checked once per run rather
    /// than per step: dropping the run's future cancels everything inside it.
    pub(crate) struct RunGuard<'a, F> {
        #[pin]
        inner: F,
        #[pin]
        cancelled: WaitForCancellationFuture<'a>,
        #[pin]
        deadline: Option<Sleep>,
        ctx: &'a WorkflowContext,
    }
}

impl<'a, F> RunGuard<'a, F> {
    pub(crate) fn new(inner: F, ctx: &'a WorkflowContext) -> Self {
        Self {
            inner,
            cancelled: ctx.cancellation_token().cancelled(),
            deadline: ctx.deadline().map(tokio::time::sleep_until),
            ctx,
        }
    }
}

impl<T, F> Future for RunGuard<'_, F>
where
    F: Future<Output = Result<T>>,
{
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The work's own result wins a tie with the deadline or cancellation.
        if let Poll::Ready(result) = this.inner.poll(cx) {
            return Poll::Ready(result);
        }
        if this.cancelled.poll(cx).is_ready() {
            return Poll::Ready(Err(Error::Cancelled));
        }
        if let Some(deadline) = this.deadline.as_pin_mut()
            && deadline.poll(cx).is_ready()
        {
            return Poll::Ready(Err(Error::Timeout {
                after: this.ctx.time_allowed(),
            }));
        }
        Poll::Pending
    }
}
