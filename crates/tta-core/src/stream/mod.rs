//! Streaming: primitives that answer chunk by chunk, with telemetry and
//! resilience that understand streams.
//!
//! A primitive streams by returning a [`ChunkStream`], opened with
//! [`ChunkStream::open`], which resolves at the first chunk. Everything
//! else follows from that:
//!
//! | you want | write |
//! |---|---|
//! | a limit on the time to the first chunk, between chunks, or in all | [`.stream_timeouts(..)`](crate::PrimitiveExt::stream_timeouts) with [`StreamTimeouts`] |
//! | retries while nothing has been emitted | [`.retry(policy)`](crate::PrimitiveExt::retry): only failures before the first chunk are seen |
//! | another provider when the first fails before answering | [`.fallback(other)`](crate::PrimitiveExt::fallback) |
//! | a second attempt when the first is slow to start | [`.hedge(config)`](crate::PrimitiveExt::hedge) |
//! | a cap on retries and hedges across the workflow | a shared [`RetryBudget`](crate::resilience::RetryBudget) |
//! | the whole answer for the next step | [`.collected()`](crate::PrimitiveExt::collected) |
//!
//! **After the first chunk, nothing is retried.** An error mid-stream is
//! the stream's last item: the caller has shown part of an answer, and
//! only the caller can decide what to do with it. Two upstream answers are
//! never spliced into one output, and no chunk is emitted twice.
//!
//! **Composition.** A streaming step can end a `>>` chain (`prepare >>
//! chat`), and its stream is the chain's output. A step after it must take
//! a `ChunkStream` as its input; to give it the whole answer instead, put
//! [`collected`](crate::PrimitiveExt::collected) between them.
//!
//! **Telemetry.** See [`ChunkStream`]: spans and durations cover the whole
//! stream, and `tta_stream_*` and the GenAI `time_to_first_chunk` and
//! `time_per_output_chunk` histograms record how it went.

mod chunk_stream;
mod collect;
mod limits;
mod timeouts;

pub use chunk_stream::ChunkStream;
pub use collect::Collected;
/// The stream traits, re-exported so that consuming a [`ChunkStream`]
/// (`while let Some(chunk) = stream.next().await`) needs no other import.
pub use futures_util::stream::{Stream, StreamExt};
pub use timeouts::{StreamTimeouts, StreamTimeoutsBuilder, TimedStream};
