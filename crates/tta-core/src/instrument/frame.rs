//! What an execution's subtree did, rolled up the execution tree: the model
//! usage reported inside it and the time its parallel branches ran.
//!
//! A third thing travels the same way: the streams an execution returns,
//! so that an execution whose output is a stream keeps running until the
//! stream ends (see [`handoff`](super::handoff)).
//!
//! Each execution keeps a [`Tally`]. While its future is polled, its tally
//! is this thread's current frame, so a report made anywhere inside lands
//! in the innermost execution; when an execution finishes, what its subtree
//! did is added to the frame around it. The frame moves in and out of a
//! thread-local by value, so the bookkeeping needs no lock and no pointer.
//!
//! Every execution carries a tally and swaps it on every poll, so a tally is
//! two plain words: a thread-local holding a type without drop glue costs
//! about a nanosecond to swap, one with drop glue (a `Box`) about thirty.
//! The usage itself lives in a shared slab, in a slot taken only by the
//! executions that report usage or have a descendant that did.
//!
//! Work spawned onto another task leaves the tree (as its spans do): its
//! usage still reaches the run's ledger, not the spawner's ∑.

use std::cell::Cell;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::handoff::Handoff;
use crate::llm::UsageTotals;
use crate::llm::models::ModelEntry;

/// What one execution's subtree did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally {
    /// The slot of its model usage in [`USAGE`], if any was reported in the subtree.
    usage: Option<Slot>,
    /// The slot of the streams it returned in [`STREAMS`], if it opened or
    /// passed on any.
    streams: Option<Slot>,
    /// How long its direct parallel branches ran, summed, in nanoseconds.
    branch_nanos: u64,
}

/// A slot of a [`Slab`]; 1-based, so that `Option<Slot>` is one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot(NonZeroU32);

/// Values that only some executions have, by slot: a tally stays two plain
/// words, and pays for a slot only when it has something to keep.
struct Slab<T> {
    slots: Vec<Option<T>>,
    free: Vec<Slot>,
}

static USAGE: Mutex<Slab<UsageTally>> = Mutex::new(Slab::new());
static STREAMS: Mutex<Slab<StreamClaims>> = Mutex::new(Slab::new());

fn lock<T>(slab: &'static Mutex<Slab<T>>) -> std::sync::MutexGuard<'static, Slab<T>> {
    // Every change is a single assignment: a poisoned slab is still sound.
    slab.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T: Default> Slab<T> {
    const fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    fn index(slot: Slot) -> usize {
        slot.0.get() as usize - 1
    }

    fn get_or_insert(&mut self, slot: &mut Option<Slot>) -> &mut T {
        let taken = *slot.get_or_insert_with(|| match self.free.pop() {
            Some(free) => free,
            None => {
                self.slots.push(None);
                let next = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                Slot(NonZeroU32::new(next).unwrap_or(NonZeroU32::MAX))
            }
        });
        let index = Self::index(taken);
        self.slots[index].get_or_insert_with(T::default)
    }

    fn take(&mut self, slot: Slot) -> Option<T> {
        let value = self.slots.get_mut(Self::index(slot))?.take();
        self.free.push(slot);
        value
    }
}

/// The model usage under one execution.
#[derive(Default)]
pub(crate) struct UsageTally {
    /// Reported by the execution itself: it is an LLM call.
    pub(crate) own: UsageTotals,
    /// Reported by it and everything under it.
    pub(crate) subtree: UsageTotals,
    /// The model of the execution's own last report.
    pub(crate) model: Option<Arc<ModelEntry>>,
}

/// The streams an execution opened or was handed by its children, and
/// whether opening one failed inside it.
#[derive(Default)]
pub(crate) struct StreamClaims {
    /// Streams that may be returned as (part of) the execution's output.
    pub(crate) open: Vec<Weak<Handoff>>,
    /// Streams that failed before their first chunk, inside the execution itself.
    pub(crate) failed_to_open: u32,
}

impl Tally {
    /// How long the execution's parallel branches ran, summed.
    pub(crate) fn branch_time(&self) -> Duration {
        Duration::from_nanos(self.branch_nanos)
    }

    /// Takes the subtree's model usage, if any, and frees its slot.
    pub(crate) fn take_usage(&mut self) -> Option<UsageTally> {
        let slot = self.usage.take()?;
        lock(&USAGE).take(slot)
    }

    /// Whether a stream was opened in or passed up to this execution.
    pub(crate) fn has_streams(&self) -> bool {
        self.streams.is_some()
    }

    /// Takes the streams opened in or passed up to this execution.
    pub(crate) fn take_streams(&mut self) -> Option<StreamClaims> {
        let slot = self.streams.take()?;
        lock(&STREAMS).take(slot)
    }

    /// Takes the usage of the whole subtree, freeing its slot.
    fn take_subtree(&mut self) -> UsageTotals {
        self.take_usage()
            .map(|usage| usage.subtree)
            .unwrap_or_default()
    }
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
        *self.tally = CURRENT.replace(self.outer).unwrap_or_default();
    }
}

/// Runs `poll` with `tally` as the current frame.
pub(crate) fn within<R>(tally: &mut Tally, poll: impl FnOnce() -> R) -> R {
    let outer = CURRENT.replace(Some(*tally));
    let _restore = Restore { tally, outer };
    poll()
}

/// Changes the current frame, if there is one.
fn update(change: impl FnOnce(&mut Tally)) {
    if let Some(mut tally) = CURRENT.get() {
        change(&mut tally);
        CURRENT.set(Some(tally));
    }
}

/// Adds a call reported now to the current frame.
pub(crate) fn report(totals: UsageTotals, model: &Arc<ModelEntry>) {
    update(|tally| {
        let mut slab = lock(&USAGE);
        let usage = slab.get_or_insert(&mut tally.usage);
        usage.own += totals;
        usage.subtree += totals;
        usage.model = Some(Arc::clone(model));
    });
}

/// Adds a finished execution's subtree usage to the frame around it.
pub(crate) fn credit(subtree: UsageTotals) {
    if !subtree.is_empty() {
        update(|tally| lock(&USAGE).get_or_insert(&mut tally.usage).subtree += subtree);
    }
}

/// Hands the stream behind `handoff` to the current frame: the execution
/// polling now returns it, or passes it on.
pub(crate) fn claim_stream(handoff: Weak<Handoff>) {
    update(|tally| {
        lock(&STREAMS)
            .get_or_insert(&mut tally.streams)
            .open
            .push(handoff);
    });
}

/// Notes in the current frame that a stream failed before its first chunk.
pub(crate) fn stream_failed_to_open() {
    update(|tally| {
        lock(&STREAMS)
            .get_or_insert(&mut tally.streams)
            .failed_to_open += 1
    });
}

/// Adds a finished branch's running time to the parallel around it.
pub(crate) fn credit_branch(elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    update(|tally| tally.branch_nanos = tally.branch_nanos.saturating_add(nanos));
}

pin_project! {
    /// A future whose usage is measured: it resolves to its output and the
    /// totals of every call reported while it ran. Its usage also counts
    /// for the frame around it.
    pub struct Measured<F> {
        #[pin]
        inner: F,
        tally: Tally,
    }

    // Dropped before it finished: what ran so far still counts around it.
    // After it finished, its tally is empty and this credits nothing.
    impl<F> PinnedDrop for Measured<F> {
        fn drop(this: Pin<&mut Self>) {
            credit(this.project().tally.take_subtree());
        }
    }
}

/// Measures the model usage reported inside `inner`: awaiting it gives
/// `inner`'s output and the [`UsageTotals`] of every
/// [`record_usage`](crate::WorkflowContext::record_usage) made while it
/// ran, its nested executions' included. The usage still counts everywhere
/// it did (the run's ledger, the spans above). Wrappers that charge for a
/// call, such as a shared budget, use it.
pub fn measure<F: Future>(inner: F) -> Measured<F> {
    Measured {
        inner,
        tally: Tally::default(),
    }
}

impl<F: Future> Future for Measured<F> {
    type Output = (F::Output, UsageTotals);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        let output = ready!(within(this.tally, || inner.poll(cx)));
        let subtree = this.tally.take_subtree();
        credit(subtree);
        Poll::Ready((output, subtree))
    }
}
