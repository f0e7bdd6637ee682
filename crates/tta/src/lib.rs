//! # TTA.dev
//!
//! Composable async workflow primitives for AI and LLM pipelines, where every
//! execution is observable with no extra code: a span nested exactly as the
//! composition nests, structured log events with correlation ids, and
//! Prometheus metrics whose names match the dashboards and alert rules that
//! ship with the project.
//!
//! ```
//! use tta::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> tta::Result<()> {
//! let fetch = from_fn("fetch", |id: u32, _ctx| async move { Ok(format!("document {id}")) });
//! let summarize = from_fn("summarize", |doc: String, _ctx| async move { Ok(doc.len()) });
//! let classify = from_fn("classify", |doc: String, _ctx| async move { Ok(doc.contains('7')) });
//!
//! let workflow = fetch >> (summarize | classify);
//! let (length, has_seven) = workflow.run(7).await?;
//! assert_eq!((length, has_seven), (10, true));
//! # Ok(())
//! # }
//! ```
//!
//! Start with [`prelude`]; the composition primitives are described on
//! [`Sequential`], [`Parallel`], [`Conditional`] and [`Router`], and the
//! telemetry they emit in [`instrument`] and [`catalog`].

pub use tta_core::*;

/// Telemetry in one call: Prometheus on `localhost:9464`, logs, OTLP
/// traces and Pushgateway. See [`telemetry::init`].
///
/// ```no_run
/// # fn main() -> Result<(), tta::telemetry::TelemetryError> {
/// let _telemetry = tta::telemetry::init()?;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "telemetry")]
pub use tta_exporter as telemetry;

/// A chat-completion primitive for OpenAI-compatible APIs, reporting its
/// tokens and cost; see [`openai::ChatCompletion`]. Needs the `openai` feature.
#[cfg(feature = "openai")]
pub use tta_openai as openai;

/// Rate limits, budgets and a cache tier shared by every replica through
/// Redis; see [`redis::RedisStore`]. Needs the `redis` feature.
#[cfg(feature = "redis")]
pub use tta_redis as redis;

#[doc = include_str!("primitive_attribute.md")]
pub use tta_macros::primitive;

/// Everything a workflow author needs: `use tta::prelude::*;`.
pub mod prelude {
    pub use tta_core::resilience::{
        Backoff, BulkheadConfig, CacheConfig, CircuitBreakerConfig, HedgeConfig, Jitter, OnLimit,
        RateLimitConfig, RetryBudget, RetryPolicy, Saga, TripOn,
    };
    pub use tta_core::stream::{ChunkStream, StreamTimeouts};
    pub use tta_core::{
        BoxPrimitive, Conditional, Error, ErrorKind, Kind, Meta, Parallel, Primitive, PrimitiveExt,
        Result, Router, Sequential, WorkflowContext, from_fn,
    };
    pub use tta_macros::primitive;
}

/// The README's and the guide's examples, compiled and run as doctests so
/// they stay true.
#[cfg(doctest)]
mod documentation_examples {
    #[doc = include_str!("../../../README.md")]
    struct Readme;

    #[doc = include_str!("../../../docs/guide.md")]
    struct Guide;

    #[doc = include_str!("../../../docs/primitives.md")]
    struct Primitives;

    #[cfg(feature = "openai")]
    #[doc = include_str!("../../../docs/llm.md")]
    struct Llm;

    #[cfg(feature = "openai")]
    #[doc = include_str!("../../../docs/streaming.md")]
    struct Streaming;
}
