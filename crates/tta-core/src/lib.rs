//! The core of TTA.dev: composable async workflow primitives for AI and LLM
//! pipelines, observable with no extra code.
//!
//! Most users depend on the `tta` facade crate, which re-exports this one.
//!
//! # The pieces
//!
//! - [`Primitive`]: one step. It takes an input and a [`WorkflowContext`]
//!   and returns an output or an [`Error`].
//! - Composition: `a >> b` ([`Sequential`]), `a | b` ([`Parallel`]),
//!   [`Conditional`], [`Router`], and [`from_fn`] for closures.
//! - [`PrimitiveExt`]: `call`, `run`, `run_with`, `named`, `boxed`, and the
//!   fluent [`resilience`] wrappers: `retry`, `timeout`, `fallback`,
//!   `circuit_breaker`, `bulkhead`, `rate_limit`, `cached`.
//! - The [instrumentation runtime](instrument): every execution gets a span
//!   nested as the composition nests, the seeds' log events, and the
//!   [`catalog`]'s metrics, through the `tracing` and `metrics` facades.
//! - [`llm`]: one line reports a model call's tokens; cost, run totals,
//!   budgets, cache savings, GenAI span attributes and metrics follow.
//!
//! # Example
//!
//! ```
//! use tta_core::{from_fn, Primitive, PrimitiveExt, Result};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! let clean = from_fn("clean", |text: String, _ctx| async move { Ok(text.trim().to_owned()) });
//! let words = from_fn("words", |text: String, _ctx| async move { Ok(text.split_whitespace().count()) });
//! let chars = from_fn("chars", |text: String, _ctx| async move { Ok(text.chars().count()) });
//!
//! // Clean, then count words and characters concurrently.
//! let workflow = clean >> (words | chars);
//! assert_eq!(workflow.name(), "clean >> (words | chars)");
//! assert_eq!(workflow.run("  hello world ".to_owned()).await?, (2, 11));
//! # Ok(())
//! # }
//! ```
//!
//! # Telemetry without an exporter
//!
//! This crate records through the `tracing` and `metrics` facades only.
//! With nobody listening (no subscriber wants anything, and no recorder
//! was announced), an execution inside a run keeps its guarantees
//! (cancellation, deadline and budget checks, the panic guard, usage
//! totals) and skips the rest: about 25 ns per execution on a 2-core VM
//! (`docs/benchmarks.md`). The `metrics` facade cannot tell that a
//! recorder is installed: the `tta` exporter says so for you; **with a
//! recorder of your own, call
//! [`instrument::set_metrics_enabled(true)`](instrument::set_metrics_enabled)**
//! after installing it. Install either before the first run.

pub mod catalog;
pub mod compose;
mod config;
mod context;
mod error;
mod graph;
pub mod instrument;
pub mod labels;
pub mod llm;
mod primitive;
pub mod resilience;
mod signature;
pub mod stream;
pub mod testing;
#[cfg(feature = "tower")]
pub mod tower;

pub use compose::{
    BoxPrimitive, Conditional, FromFn, Named, Parallel, Router, RouterBuilder, Sequential, Settled,
    from_fn,
};
pub use config::ConfigError;
pub use context::sampling;
pub use context::{
    Checkpoint, OutgoingCall, TraceHeaders, TraceParent, TraceParentError, TraceState,
    TraceStateError, WorkflowContext, WorkflowContextBuilder, propagation,
};
pub use error::{BoxError, Error, ErrorConversion, ErrorKind, PrimitiveError, Result};
pub use graph::Graph;
pub use instrument::{Kind, Meta, Position};
pub use primitive::{Primitive, PrimitiveExt};
pub use signature::{ContextParameter, ParallelInput, PrimitiveReturn};

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
