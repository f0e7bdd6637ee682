//! [`StreamTimeouts`] and [`TimedStream`]: the three limits of a streamed call.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::ChunkStream;
use super::limits::LimitOwner;
use crate::ConfigError;
use crate::catalog;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, OwnCounter, Position, frame, primitive_event};
use crate::primitive::{Primitive, PrimitiveExt};

/// The time limits of a streamed call, each its own knob:
///
/// - **first chunk**: from the call to the first chunk. This is the latency
///   a user watching the answer feels; a reasoning model may need a minute.
/// - **idle**: between two chunks once the stream has started: a stalled
///   connection fails here instead of hanging.
/// - **total**: from the call to the end of the stream.
///
/// Every limit is off unless set. A limit that passes before the first
/// chunk fails the call, so retries and fallbacks around it act; after the
/// first chunk, the stream yields [`Error::Timeout`] as its last item.
///
/// ```
/// use std::time::Duration;
/// use tta_core::stream::StreamTimeouts;
///
/// let timeouts = StreamTimeouts::builder()
///     .first_chunk(Duration::from_secs(10))
///     .idle(Duration::from_secs(5))
///     .total(Duration::from_secs(120))
///     .build()?;
/// assert_eq!(timeouts.idle_limit(), Some(Duration::from_secs(5)));
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTimeouts {
    first_chunk: Option<Duration>,
    idle: Option<Duration>,
    total: Option<Duration>,
}

/// Builds [`StreamTimeouts`]; see [`StreamTimeouts::builder`].
#[derive(Debug, Clone, Copy, Default)]
#[must_use = "call `build()` to get the timeouts"]
pub struct StreamTimeoutsBuilder {
    first_chunk: Option<Duration>,
    idle: Option<Duration>,
    total: Option<Duration>,
}

impl StreamTimeouts {
    /// No limits yet; set at least one.
    pub fn builder() -> StreamTimeoutsBuilder {
        StreamTimeoutsBuilder::default()
    }

    /// The limit from the call to the first chunk.
    pub fn first_chunk_limit(&self) -> Option<Duration> {
        self.first_chunk
    }

    /// The limit between two chunks.
    pub fn idle_limit(&self) -> Option<Duration> {
        self.idle
    }

    /// The limit from the call to the end of the stream.
    pub fn total_limit(&self) -> Option<Duration> {
        self.total
    }
}

impl StreamTimeoutsBuilder {
    /// Fails the call if no chunk arrives within `limit` of its start.
    pub fn first_chunk(mut self, limit: Duration) -> Self {
        self.first_chunk = Some(limit);
        self
    }

    /// Fails the stream if `limit` passes between two chunks.
    pub fn idle(mut self, limit: Duration) -> Self {
        self.idle = Some(limit);
        self
    }

    /// Fails the stream if it has not ended `limit` after the call started.
    pub fn total(mut self, limit: Duration) -> Self {
        self.total = Some(limit);
        self
    }

    /// Checks that at least one limit is set and none is zero.
    pub fn build(self) -> std::result::Result<StreamTimeouts, ConfigError> {
        for (field, limit) in [
            ("first_chunk", self.first_chunk),
            ("idle", self.idle),
            ("total", self.total),
        ] {
            if limit == Some(Duration::ZERO) {
                return Err(ConfigError::new(field, "must be greater than zero"));
            }
        }
        if self.first_chunk.is_none() && self.idle.is_none() && self.total.is_none() {
            return Err(ConfigError::new(
                "stream_timeouts",
                "set at least one of first_chunk, idle and total",
            ));
        }
        Ok(StreamTimeouts {
            first_chunk: self.first_chunk,
            idle: self.idle,
            total: self.total,
        })
    }
}

/// A streaming primitive under [`StreamTimeouts`]; built with
/// [`PrimitiveExt::stream_timeouts`].
///
/// Every expiry increments `tta_timeouts_total` under this primitive's
/// name and logs `timeout_exceeded` (before the first chunk),
/// `stream_idle_timeout` or `stream_total_timeout` at WARN. The first-chunk
/// limit, like a [`Timeout`](crate::resilience::Timeout), is also cut
/// short by the context's deadline.
///
/// ```
/// use std::time::Duration;
/// use futures_util::stream::{self, StreamExt};
/// use tta_core::stream::{ChunkStream, StreamTimeouts};
/// use tta_core::{from_fn, Error, PrimitiveExt};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Answers one chunk, then stalls for an hour.
/// let stalls = from_fn("stalls", |_: (), _ctx| async move {
///     let chunks = stream::iter([Ok("Hel")]).chain(stream::once(async {
///         tokio::time::sleep(Duration::from_secs(3600)).await;
///         Ok("lo")
///     }));
///     ChunkStream::open(chunks).await
/// });
/// let guarded = stalls.stream_timeouts(
///     StreamTimeouts::builder().first_chunk(Duration::from_secs(10)).idle(Duration::from_secs(5)).build()?,
/// );
/// let mut answer = guarded.run(()).await?;
/// assert_eq!(answer.next().await.transpose()?, Some("Hel"));
/// let stalled = answer.next().await.transpose().unwrap_err();
/// assert!(matches!(stalled, Error::Timeout { after } if after == Duration::from_secs(5)));
/// # Ok(())
/// # }
/// ```
pub struct TimedStream<P> {
    inner: P,
    timeouts: StreamTimeouts,
    meta: Meta,
    expired: OwnCounter,
    /// What the stream's limits count and log an expiry under, built on
    /// first use: the recorder is installed by then.
    owner: OnceLock<LimitOwner>,
}

impl<P: Primitive> TimedStream<P> {
    /// Puts `inner` under `timeouts`. Same as [`PrimitiveExt::stream_timeouts`].
    pub fn new(inner: P, timeouts: StreamTimeouts) -> Self {
        Self {
            meta: Meta::new(format!("stream_timeouts({})", inner.name()), Kind::TIMEOUT),
            inner,
            timeouts,
            expired: OwnCounter::new(catalog::TIMEOUTS_TOTAL),
            owner: OnceLock::new(),
        }
    }

    /// The limits in force.
    pub fn timeouts(&self) -> StreamTimeouts {
        self.timeouts
    }

    fn owner(&self) -> LimitOwner {
        self.owner
            .get_or_init(|| LimitOwner {
                name: Arc::from(self.meta.name()),
                timeouts: self.expired.handle(self.meta.name()),
            })
            .clone()
    }
}

impl<P, T> Primitive for TimedStream<P>
where
    P: Primitive<Output = ChunkStream<T>>,
    T: Send + 'static,
{
    type Input = P::Input;
    type Output = ChunkStream<T>;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
        self.owner = OnceLock::new();
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<ChunkStream<T>> {
        let started = Instant::now();
        let to_first_chunk = [
            self.timeouts.first_chunk,
            self.timeouts.total,
            ctx.remaining(),
        ]
        .into_iter()
        .flatten()
        .min();
        let call = self.inner.call_at(input, ctx, Position::Inner);
        let mut stream = match to_first_chunk {
            None => call.await?,
            Some(limit) => match tokio::time::timeout(limit, call).await {
                Ok(opened) => opened?,
                Err(_elapsed) => {
                    self.expired.increment(self.meta.name());
                    frame::stream_failed_to_open();
                    primitive_event!(
                        warn,
                        "timeout_exceeded",
                        self.meta,
                        ctx,
                        limit_ms = limit.as_secs_f64() * 1e3,
                        before_first_chunk = true
                    );
                    return Err(Error::Timeout { after: limit });
                }
            },
        };
        if let Some(idle) = self.timeouts.idle {
            let since = stream.last_arrival();
            stream.limits().idle(idle, since, self.owner());
        }
        if let Some(total) = self.timeouts.total {
            stream.limits().total(total, started + total, self.owner());
        }
        Ok(stream)
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

crate::impl_operators!(impl [P,] for TimedStream<P>);
