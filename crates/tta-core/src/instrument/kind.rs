//! [`Kind`]: the `primitive_type` label and the log events of a primitive.

use std::fmt;

/// What sort of primitive something is: its `primitive_type` metric label
/// and span attribute, and the names of the log events its executions emit.
///
/// Built-in primitives use the associated constants; user primitives default
/// to [`Kind::CUSTOM`] and may name their own with [`Kind::new`].
///
/// ```
/// use tta_core::Kind;
///
/// const LLM: Kind = Kind::new("llm");
/// assert_eq!(LLM.label(), "llm");
/// assert_eq!(Kind::SEQUENTIAL.label(), "sequential");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kind {
    label: &'static str,
    events: Events,
}

/// The names of the start, complete and failed log events of one execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Events {
    pub(crate) start: &'static str,
    pub(crate) complete: &'static str,
    pub(crate) failed: &'static str,
}

impl Events {
    const PRIMITIVE: Events =
        Events::new("primitive_start", "primitive_complete", "primitive_failed");

    pub(crate) const fn new(
        start: &'static str,
        complete: &'static str,
        failed: &'static str,
    ) -> Self {
        Self {
            start,
            complete,
            failed,
        }
    }
}

impl Kind {
    /// A user-defined primitive: the default for `#[primitive]` types and `from_fn`.
    pub const CUSTOM: Kind = Kind::new("custom");
    /// `a >> b`: steps run one after another.
    pub const SEQUENTIAL: Kind = Kind::with_events(
        "sequential",
        Events::new(
            "sequential_workflow_start",
            "sequential_workflow_complete",
            "sequential_workflow_failed",
        ),
    );
    /// `a | b`: branches run concurrently.
    pub const PARALLEL: Kind = Kind::with_events(
        "parallel",
        Events::new(
            "parallel_workflow_start",
            "parallel_workflow_complete",
            "parallel_workflow_failed",
        ),
    );
    /// A branch chosen by a predicate.
    pub const CONDITIONAL: Kind = Kind::with_events(
        "conditional",
        Events::new(
            "conditional_start",
            "conditional_complete",
            "conditional_failed",
        ),
    );
    /// A route chosen by a key.
    pub const ROUTER: Kind = Kind::with_events(
        "router",
        Events::new("router_start", "router_complete", "router_failed"),
    );

    /// Retries its inner primitive: [`Retry`](crate::resilience::Retry).
    pub const RETRY: Kind = Kind::new("retry");
    /// Bounds its inner primitive's time: [`Timeout`](crate::resilience::Timeout).
    pub const TIMEOUT: Kind = Kind::new("timeout");
    /// Races a second attempt against a slow first: [`Hedge`](crate::resilience::Hedge).
    pub const HEDGE: Kind = Kind::new("hedge");
    /// Tries alternatives in order: [`Fallback`](crate::resilience::Fallback).
    pub const FALLBACK: Kind = Kind::new("fallback");
    /// Stops calling a failing dependency: [`CircuitBreaker`](crate::resilience::CircuitBreaker).
    pub const CIRCUIT_BREAKER: Kind = Kind::new("circuit_breaker");
    /// Limits concurrency: [`Bulkhead`](crate::resilience::Bulkhead).
    pub const BULKHEAD: Kind = Kind::new("bulkhead");
    /// Limits the call rate: [`RateLimit`](crate::resilience::RateLimit).
    pub const RATE_LIMIT: Kind = Kind::new("rate_limit");
    /// Steps with compensations: [`Saga`](crate::resilience::Saga).
    pub const SAGA: Kind = Kind::new("saga");
    /// Answers repeated inputs from memory: [`Cached`](crate::resilience::Cached).
    pub const CACHE: Kind = Kind::new("cache");
    /// Calls a language model: a primitive built with [`Meta::gen_ai`](crate::Meta::gen_ai).
    pub const LLM: Kind = Kind::new("llm");

    /// A kind with its own label, logging the generic `primitive_start`,
    /// `primitive_complete` and `primitive_failed` events.
    ///
    /// The label becomes a metric label value: keep it short, lowercase and
    /// fixed in code.
    pub const fn new(label: &'static str) -> Self {
        Self::with_events(label, Events::PRIMITIVE)
    }

    pub(crate) const fn with_events(label: &'static str, events: Events) -> Self {
        Self { label, events }
    }

    /// The `primitive_type` label value.
    pub const fn label(&self) -> &'static str {
        self.label
    }

    pub(crate) const fn events(&self) -> Events {
        self.events
    }

    /// Whether names of this kind read as an expression that needs
    /// parentheses when nested inside another composition.
    pub(crate) fn is_composite(&self) -> bool {
        *self == Kind::SEQUENTIAL || *self == Kind::PARALLEL
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Kind").field(&self.label).finish()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label)
    }
}
