//! A streaming provider in the process, scripted per call: when each chunk
//! comes, and whether the stream completes, fails or stalls. For tests on
//! the paused clock, where an HTTP server cannot go.
//!
//! Every chunk names its call and its index (`"2:0"` is the first chunk of
//! the third call), so a consumer can tell which upstream each chunk came
//! from. The provider also notes any call that starts after the consumer
//! has seen a chunk ([`Guard::emitted`]): resilience must never do that.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use tta::llm::Usage;
use tta::stream::ChunkStream;
use tta::{Error, Kind, Meta, Primitive, WorkflowContext};

/// One event of a scripted stream, after a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Chunk,
    /// Fails with a transient error and ends.
    Fail,
    /// Never sends anything again.
    Stall,
}

/// What one call's stream does: events, each after its wait. After the
/// last event, the stream completes (and reports its usage, if any).
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub events: Vec<(Duration, Event)>,
}

impl Script {
    /// `chunks` chunks, the first after `first`, then one every `gap`.
    pub fn chunks(first: Duration, gap: Duration, chunks: usize) -> Self {
        let events = (0..chunks)
            .map(|i| (if i == 0 { first } else { gap }, Event::Chunk))
            .collect();
        Self { events }
    }

    /// Fails after `after`, before any chunk.
    pub fn fail_first(after: Duration) -> Self {
        Self {
            events: vec![(after, Event::Fail)],
        }
    }

    /// Then `event` after `after`.
    pub fn then(mut self, after: Duration, event: Event) -> Self {
        self.events.push((after, event));
        self
    }

    /// The chunks it emits before it ends, fails or stalls.
    pub fn chunk_count(&self) -> usize {
        self.events
            .iter()
            .take_while(|(_, event)| *event == Event::Chunk)
            .count()
    }
}

/// What the consumer tells the provider, and what the provider noticed.
#[derive(Debug, Default)]
pub struct Guard {
    /// Set by the consumer when it has seen a chunk.
    pub emitted: AtomicBool,
    /// Calls that started after a chunk had been seen.
    pub late_calls: AtomicU32,
}

/// The scripted provider.
pub struct Scripted {
    meta: Meta,
    scripts: Mutex<VecDeque<Script>>,
    default: Script,
    calls: AtomicU32,
    usage: Option<Usage>,
    pub guard: Arc<Guard>,
}

impl Scripted {
    /// Plays `scripts` in order, then `default` for every later call.
    pub fn new(name: &'static str, kind: Kind, scripts: Vec<Script>, default: Script) -> Self {
        Self {
            meta: Meta::new(name, kind),
            scripts: Mutex::new(scripts.into()),
            default,
            calls: AtomicU32::new(0),
            usage: None,
            guard: Arc::default(),
        }
    }

    /// Reports `usage` when a stream completes, like a final usage chunk.
    pub fn reporting(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }

    /// Calls made so far.
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Primitive for Scripted {
    type Input = ();
    type Output = ChunkStream<String>;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, _: (), ctx: &WorkflowContext) -> tta::Result<ChunkStream<String>> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.guard.emitted.load(Ordering::SeqCst) {
            self.guard.late_calls.fetch_add(1, Ordering::SeqCst);
        }
        let script = self
            .scripts
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.default.clone());
        let usage = self.usage.clone().map(|usage| (usage, ctx.clone()));
        let events = stream::iter(script.events.into_iter().enumerate()).then(
            move |(index, (wait, event))| async move {
                tokio::time::sleep(wait).await;
                match event {
                    Event::Chunk => Ok(format!("{call}:{index}")),
                    Event::Fail => Err(Error::transient(format!("call {call} failed"))),
                    Event::Stall => std::future::pending().await,
                }
            },
        );
        // Stops at the first error, as a provider's stream does.
        let mut failed = false;
        let events = events.take_while(move |item| {
            let go = !failed;
            failed |= item.is_err();
            std::future::ready(go)
        });
        let ending = stream::once(async move {
            if let Some((usage, ctx)) = usage {
                ctx.record_usage(usage).unwrap();
            }
            None
        })
        .filter_map(std::future::ready);
        ChunkStream::open(events.chain(ending)).await
    }
}

tta::impl_operators!(Scripted);
