//! Executions that outlive their call: a primitive whose output is a
//! stream has not finished when its future resolves, because the stream is
//! the rest of its work.
//!
//! A [`ChunkStream`](crate::stream::ChunkStream) opened inside an execution
//! claims the execution's frame (see [`frame`](super::frame)). When that
//! execution succeeds, it is handed to the stream instead of finishing, and
//! the claim moves to the frame around it; so every execution the stream
//! passes through on its way out (a retry, a `>>` chain, the run itself)
//! keeps its span open, its active gauge up and its duration running until
//! the stream ends, fails or is dropped. A stream consumed inside a step
//! has ended by the time that step returns, and claims nothing more.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::execution::Execution;
use super::{attributes, frame};
use crate::llm::semconv::attributes as gen_ai;

/// Where the executions a stream keeps running are handed over.
#[derive(Default)]
pub(crate) struct Handoff {
    mailbox: Mutex<Mailbox>,
    /// Whether the mailbox holds executions not taken yet: checked on every
    /// poll of the stream, so that a poll with nothing new takes no lock.
    delivered: AtomicBool,
    /// Whether the stream had a first chunk when it opened: an empty stream
    /// has no time to first chunk.
    had_first_chunk: bool,
}

#[derive(Default)]
struct Mailbox {
    ended: bool,
    /// Innermost first: the order they succeeded in.
    adopted: Vec<Execution<'static>>,
}

impl Handoff {
    pub(crate) fn new(had_first_chunk: bool) -> Arc<Self> {
        Arc::new(Self {
            mailbox: Mutex::default(),
            delivered: AtomicBool::new(false),
            had_first_chunk,
        })
    }

    fn mailbox(&self) -> std::sync::MutexGuard<'_, Mailbox> {
        // Every change is a single push or take: a poisoned mailbox is sound.
        self.mailbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn has_ended(&self) -> bool {
        self.mailbox().ended
    }

    /// Keeps `execution` until the stream ends, or gives it back if it has.
    fn adopt(&self, execution: Execution<'static>) -> Result<(), Execution<'static>> {
        let mut mailbox = self.mailbox();
        if mailbox.ended {
            return Err(execution);
        }
        mailbox.adopted.push(execution);
        self.delivered.store(true, Ordering::Release);
        Ok(())
    }

    /// The executions handed over since the last call, innermost first.
    pub(crate) fn take_adopted(&self, into: &mut Vec<Execution<'static>>) {
        if self.delivered.swap(false, Ordering::Acquire) {
            into.append(&mut self.mailbox().adopted);
        }
    }

    /// Marks the stream ended, and gives back what it still had to finish.
    pub(crate) fn end(&self, into: &mut Vec<Execution<'static>>) {
        let mut mailbox = self.mailbox();
        mailbox.ended = true;
        into.append(&mut mailbox.adopted);
    }
}

/// Hands a succeeded `execution` to the first live stream it returned, and
/// passes every live stream's claim to the frame around it. Gives the
/// execution back when none is live: the streams were dropped or consumed
/// inside it, so it is done.
pub(crate) fn hand_over(
    execution: Execution<'_>,
    claims: Vec<Weak<Handoff>>,
) -> Result<(), Execution<'_>> {
    let live: Vec<Arc<Handoff>> = claims
        .iter()
        .filter_map(Weak::upgrade)
        .filter(|handoff| !handoff.has_ended())
        .collect();
    let Some(stream) = live.first() else {
        return Err(execution);
    };
    let to_first_chunk = execution.start().elapsed();
    let execution = execution.detach();
    if stream.had_first_chunk {
        let meta = execution.meta();
        meta.handles()
            .stream(meta.gen_ai_call())
            .first_chunk(to_first_chunk);
        if let (Some(span), Some(_)) = (execution.span(), meta.gen_ai_call()) {
            attributes::set(span, gen_ai::REQUEST_STREAM, true);
            attributes::set(
                span,
                gen_ai::TIME_TO_FIRST_CHUNK,
                to_first_chunk.as_secs_f64(),
            );
        }
    }
    stream.adopt(execution)?;
    for handoff in &live {
        frame::claim_stream(Arc::downgrade(handoff));
    }
    Ok(())
}
