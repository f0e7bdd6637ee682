//! What an execution's subtree did, rolled up the execution tree: the model
//! usage reported inside it and the time its parallel branches ran.
//!
//! Each execution keeps a [`Tally`]. While its future is polled, its tally
//! is this thread's current frame, so a report made anywhere inside lands
//! in the innermost execution; when an execution finishes, its subtree's
//! totals are added to the frame around it. The frame moves in and out of a
//! thread-local by value, so the bookkeeping needs no allocation, no lock
//! and no pointer.
//!
//! Work spawned onto another task leaves the tree (as its spans do): its
//! usage still reaches the run's ledger, not the spawner's ∑.

use std::cell::Cell;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use std::time::Duration;

use crate::llm::UsageTotals;
use crate::llm::models::ModelEntry;

/// The usage under one execution.
#[derive(Default)]
pub(crate) struct Tally {
    /// Reported by the execution itself: it is an LLM call.
    pub(crate) own: UsageTotals,
    /// Reported by it and everything under it.
    pub(crate) subtree: UsageTotals,
    /// The model of the execution's own last report.
    pub(crate) model: Option<Arc<ModelEntry>>,
    /// How long its direct parallel branches ran, summed.
    pub(crate) branch_time: Duration,
}

thread_local! {
    static CURRENT: Cell<Option<Tally>> = const { Cell::new(None) };
}

/// Puts the outer frame back even if the poll unwinds.
struct Restore<'a> {
    tally: &'a mut Tally,
    outer: Option<Tally>,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        *self.tally = CURRENT.replace(self.outer.take()).unwrap_or_default();
    }
}

/// Runs `poll` with `tally` as the current frame.
pub(crate) fn within<R>(tally: &mut Tally, poll: impl FnOnce() -> R) -> R {
    let outer = CURRENT.replace(Some(mem::take(tally)));
    let _restore = Restore { tally, outer };
    poll()
}

/// Adds a call reported now to the current frame, if there is one.
pub(crate) fn report(totals: UsageTotals, model: &Arc<ModelEntry>) {
    if let Some(mut tally) = CURRENT.take() {
        tally.own += totals;
        tally.subtree += totals;
        tally.model = Some(Arc::clone(model));
        CURRENT.set(Some(tally));
    }
}

/// Adds a finished execution's subtree to the frame around it.
pub(crate) fn credit(subtree: UsageTotals) {
    if subtree.is_empty() {
        return;
    }
    if let Some(mut tally) = CURRENT.take() {
        tally.subtree += subtree;
        CURRENT.set(Some(tally));
    }
}

/// Adds a finished branch's running time to the parallel around it.
pub(crate) fn credit_branch(elapsed: Duration) {
    if let Some(mut tally) = CURRENT.take() {
        tally.branch_time += elapsed;
        CURRENT.set(Some(tally));
    }
}

pin_project! {
    /// A future whose usage is measured: it resolves to its output and the
    /// totals of every call reported while it ran. Its usage also counts
    /// for the frame around it.
    pub(crate) struct Measured<F> {
        #[pin]
        inner: F,
        tally: Tally,
        done: bool,
    }

    impl<F> PinnedDrop for Measured<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.done {
                credit(mem::take(this.tally).subtree);
            }
        }
    }
}

/// Measures the usage of `inner`; see [`Measured`].
pub(crate) fn measure<F: Future>(inner: F) -> Measured<F> {
    Measured {
        inner,
        tally: Tally::default(),
        done: false,
    }
}

impl<F: Future> Future for Measured<F> {
    type Output = (F::Output, UsageTotals);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        let output = ready!(within(this.tally, || inner.poll(cx)));
        *this.done = true;
        let subtree = mem::take(this.tally).subtree;
        credit(subtree);
        Poll::Ready((output, subtree))
    }
}
