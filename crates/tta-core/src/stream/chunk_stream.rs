//! [`ChunkStream`]: a streamed output, with its executions' telemetry.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::stream::{FusedStream, Stream, StreamExt};
use tokio::time::Instant;

use super::limits::Limits;
use crate::error::{Error, Result};
use crate::instrument::handoff::Handoff;
use crate::instrument::{Execution, Outcome, Position, StreamOutcome, frame};

type Upstream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

/// A stream of chunks returned by a primitive: what a streaming model call
/// produces, one token or delta at a time.
///
/// A primitive streams by returning `Result<ChunkStream<T>>`. The stream is
/// built with [`open`](Self::open), which waits for the first chunk, so
/// **the primitive's call resolves at the first chunk**. That one rule makes
/// every wrapper stream-aware:
///
/// - an error before the first chunk fails the call, so a
///   [`Retry`](crate::resilience::Retry), a
///   [`Fallback`](crate::resilience::Fallback), a
///   [`Hedge`](crate::resilience::Hedge) or a circuit breaker acts on it;
/// - after the first chunk, the wrappers have returned: an error reaches the
///   consumer as the stream's last item. No wrapper ever starts a second
///   upstream once a chunk has gone downstream, so two answers are never
///   spliced and no chunk is emitted twice;
/// - a [`Timeout`](crate::resilience::Timeout) bounds the time to the first
///   chunk; [`StreamTimeouts`](super::StreamTimeouts) adds idle and total limits.
///
/// **Telemetry.** The execution that opened the stream, and every execution
/// it is returned through (a retry, a `>>` chain, the run), keeps running
/// until the stream ends: its span stays open, the active gauge stays up,
/// and its duration, status and log events are recorded when the stream
/// completes (success), yields an error (failure) or is dropped
/// (cancelled). The opening primitive also records the time to first
/// chunk, the chunks, the time between them and how the stream ended. Usage
/// reported while the stream is polled (a final usage chunk) counts for the
/// opening execution, as if it had been reported inside its call.
///
/// Once a run's outermost execution has been handed the stream, the run's
/// cancellation and deadline end the stream too. An execution whose output
/// holds several streams (a parallel of two streaming branches) runs until
/// the first of them ends.
///
/// ```
/// use futures_util::{StreamExt, stream};
/// use tta_core::stream::ChunkStream;
/// use tta_core::{from_fn, PrimitiveExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> tta_core::Result<()> {
/// let tokens = from_fn("tokens", |prompt: String, _ctx| async move {
///     let words: Vec<tta_core::Result<String>> =
///         prompt.split(' ').map(|word| Ok(word.to_owned())).collect();
///     ChunkStream::open(stream::iter(words)).await
/// });
/// let mut answer = tokens.run("streams are first class".to_owned()).await?;
/// let mut words = Vec::new();
/// while let Some(word) = answer.next().await {
///     words.push(word?);
/// }
/// assert_eq!(words, ["streams", "are", "first", "class"]);
/// # Ok(())
/// # }
/// ```
pub struct ChunkStream<T> {
    first: Option<T>,
    /// `None` once the stream has ended.
    upstream: Option<Upstream<T>>,
    handoff: Arc<Handoff>,
    /// The executions this stream keeps running, innermost (the one that
    /// opened it) first.
    running: Vec<Execution<'static>>,
    /// When the last chunk arrived from upstream.
    last_arrival: Instant,
    limits: Option<Box<Limits>>,
}

// The chunks are moved, never pinned.
impl<T> Unpin for ChunkStream<T> {}

impl<T: Send + 'static> ChunkStream<T> {
    /// Waits for `upstream`'s first chunk and returns the stream from there.
    ///
    /// An error before the first chunk is returned as the error of the call,
    /// where retries and fallbacks can act on it; an upstream that ends
    /// without a chunk gives an empty stream. Call it inside a primitive's
    /// `execute`, so that the primitive's execution follows the stream.
    pub async fn open<S>(upstream: S) -> Result<Self>
    where
        S: Stream<Item = Result<T>> + Send + 'static,
    {
        let mut upstream: Upstream<T> = Box::pin(upstream);
        let first = match upstream.next().await {
            Some(Ok(chunk)) => Some(chunk),
            Some(Err(error)) => {
                frame::stream_failed_to_open();
                return Err(error);
            }
            None => None,
        };
        let handoff = Handoff::new(first.is_some());
        frame::claim_stream(Arc::downgrade(&handoff));
        Ok(Self {
            first,
            upstream: Some(upstream),
            handoff,
            running: Vec::new(),
            last_arrival: Instant::now(),
            limits: None,
        })
    }

    /// Reads the whole stream: every chunk in order, or the first error.
    pub async fn collect_vec(mut self) -> Result<Vec<T>> {
        let mut chunks = Vec::new();
        while let Some(chunk) = self.next().await {
            chunks.push(chunk?);
        }
        Ok(chunks)
    }
}

impl<T> ChunkStream<T> {
    /// Whether the stream has ended: completed, failed or timed out.
    pub fn has_ended(&self) -> bool {
        self.upstream.is_none()
    }

    pub(crate) fn limits(&mut self) -> &mut Limits {
        self.limits.get_or_insert_with(Box::default)
    }

    pub(crate) fn last_arrival(&self) -> Instant {
        self.last_arrival
    }

    /// Takes the executions handed over since the last poll, and watches the
    /// run's cancellation and deadline once its outermost execution is one.
    fn adopt_handed_over(&mut self) {
        let before = self.running.len();
        self.handoff.take_adopted(&mut self.running);
        if let Some(run) = self.running[before..]
            .iter()
            .find(|execution| execution.position() == Position::Workflow)
        {
            let ctx = run.ctx().clone();
            self.limits().watch_run(&ctx);
        }
    }

    fn chunk_arrived(&self, gap: Option<Duration>) {
        if let Some(opener) = self.running.first() {
            let meta = opener.meta();
            meta.handles().stream(meta.gen_ai_call()).chunk(gap);
        }
    }

    /// Ends the stream: drops the upstream (closing its connection), then
    /// finishes every execution it kept running, innermost first.
    fn end(&mut self, outcome: Outcome<'_>, stream_outcome: StreamOutcome) {
        self.upstream = None;
        self.first = None;
        self.limits = None;
        self.handoff.end(&mut self.running);
        if let Some(opener) = self.running.first() {
            let meta = opener.meta();
            meta.handles()
                .stream(meta.gen_ai_call())
                .ended(stream_outcome);
        }
        finish_all(std::mem::take(&mut self.running), outcome);
    }

    fn fail(&mut self, error: Error) -> Poll<Option<Result<T>>> {
        self.end(Outcome::Failed(&error), StreamOutcome::FailedMidStream);
        Poll::Ready(Some(Err(error)))
    }
}

/// Finishes `running`, innermost first, each inside the frame of the one
/// around it, so that usage reported in the stream reaches every level.
fn finish_all(running: Vec<Execution<'static>>, outcome: Outcome<'_>) {
    let mut executions = running.into_iter();
    let mut next = executions.next();
    while let Some(execution) = next {
        next = executions.next();
        match &mut next {
            Some(outer) => outer.in_frame(|| execution.finish(outcome)),
            None => execution.finish(outcome),
        }
    }
}

impl<T> Stream for ChunkStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = self.get_mut();
        this.adopt_handed_over();
        if let Some(first) = this.first.take() {
            this.chunk_arrived(None);
            return Poll::Ready(Some(Ok(first)));
        }
        let Some(upstream) = this.upstream.as_mut() else {
            return Poll::Ready(None);
        };
        let mut poll = || catch_unwind(AssertUnwindSafe(|| upstream.as_mut().poll_next(cx)));
        // Polled inside the opening execution's span and frame: what
        // upstream logs, spans and reports lands where it did before the
        // first chunk.
        let polled = match this.running.first_mut() {
            Some(opener) => opener.poll_inner(poll),
            None => poll(),
        };
        match polled {
            Err(payload) => this.fail(Error::from_panic(&*payload)),
            Ok(Poll::Ready(Some(Ok(chunk)))) => {
                // The clock is read only when a gap is recorded or an idle
                // limit counts from this chunk.
                if !this.running.is_empty() || this.limits.is_some() {
                    let now = Instant::now();
                    let gap = now.saturating_duration_since(this.last_arrival);
                    this.last_arrival = now;
                    if let Some(limits) = &mut this.limits {
                        limits.chunk_arrived(now);
                    }
                    this.chunk_arrived(Some(gap));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Ok(Poll::Ready(Some(Err(error)))) => this.fail(error),
            Ok(Poll::Ready(None)) => {
                this.end(Outcome::Succeeded, StreamOutcome::Completed);
                Poll::Ready(None)
            }
            Ok(Poll::Pending) => match this.limits.as_mut().and_then(|limits| limits.poll(cx)) {
                Some(expired) => {
                    let error = expired.report(this.running.first());
                    this.fail(error)
                }
                None => Poll::Pending,
            },
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.upstream {
            Some(upstream) => {
                let first = usize::from(self.first.is_some());
                let (low, high) = upstream.size_hint();
                (
                    low.saturating_add(first),
                    high.and_then(|high| high.checked_add(first)),
                )
            }
            None => (0, Some(0)),
        }
    }
}

impl<T> FusedStream for ChunkStream<T> {
    fn is_terminated(&self) -> bool {
        self.has_ended()
    }
}

impl<T> Drop for ChunkStream<T> {
    fn drop(&mut self) {
        if self.upstream.is_some() {
            // Dropped before it ended: the consumer went away, like a
            // dropped future.
            self.end(Outcome::Dropped, StreamOutcome::Cancelled);
        }
    }
}

impl<T> fmt::Debug for ChunkStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkStream")
            .field("ended", &self.has_ended())
            .field("executions", &self.running.len())
            .finish_non_exhaustive()
    }
}
