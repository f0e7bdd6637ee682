//! [`Position`]: where one execution sits inside its parent.

use super::kind::{Events, Kind};

/// Where an execution sits in the composition that runs it.
///
/// Combinators pass it to [`PrimitiveExt::call_at`](crate::PrimitiveExt::call_at)
/// so that the child's span carries its index (`tta.step.index`,
/// `tta.branch.index`, `tta.retry.attempt`, ...) and its log events get the
/// seeds' names (`sequential_step_complete`, `parallel_branch_complete`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Position {
    /// Called directly with [`PrimitiveExt::call`](crate::PrimitiveExt::call).
    Root,
    /// The outermost execution of a run started with `run` or `run_with`.
    Workflow,
    /// The step with this index (from 0) of a sequential.
    Step(u32),
    /// The branch with this index (from 0) of a parallel.
    Branch(u32),
    /// The branch a router or conditional chose.
    Route,
    /// The attempt with this number (from 1) of a retry.
    Attempt(u32),
    /// The alternative with this index (0 is the primary) of a fallback.
    Alternative(u32),
    /// The single inner primitive of a wrapper such as a timeout or a cache.
    Inner,
    /// The compensation of the saga step with this index (from 0).
    Compensation(u32),
}

/// How loudly an execution's events are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    Debug,
    Info,
    Warn,
}

impl Position {
    #[doc(hidden)]
    pub fn step(self) -> Option<u32> {
        match self {
            Position::Step(index) => Some(index),
            _ => None,
        }
    }

    #[doc(hidden)]
    pub fn branch(self) -> Option<u32> {
        match self {
            Position::Branch(index) => Some(index),
            _ => None,
        }
    }

    #[doc(hidden)]
    pub fn attempt(self) -> Option<u32> {
        match self {
            Position::Attempt(number) => Some(number),
            _ => None,
        }
    }

    #[doc(hidden)]
    pub fn alternative(self) -> Option<u32> {
        match self {
            Position::Alternative(index) => Some(index),
            _ => None,
        }
    }

    #[doc(hidden)]
    pub fn compensation(self) -> Option<u32> {
        match self {
            Position::Compensation(index) => Some(index),
            _ => None,
        }
    }

    /// The seeds name an execution's events after its role in the parent
    /// (`sequential_step_*`), falling back to its own kind.
    pub(crate) fn events(self, kind: Kind) -> Events {
        match self {
            Position::Step(_) => Events::new(
                "sequential_step_start",
                "sequential_step_complete",
                "sequential_step_failed",
            ),
            Position::Branch(_) => Events::new(
                "parallel_branch_start",
                "parallel_branch_complete",
                "parallel_branch_failed",
            ),
            Position::Attempt(_) => Events::new(
                "retry_attempt_start",
                "retry_attempt_success",
                "retry_attempt_failed",
            ),
            Position::Alternative(_) => Events::new(
                "fallback_attempt_start",
                "fallback_attempt_success",
                "fallback_attempt_failed",
            ),
            Position::Compensation(_) => Events::new(
                "saga_compensation_start",
                "saga_compensation_complete",
                "saga_compensation_failed",
            ),
            Position::Root | Position::Workflow | Position::Route | Position::Inner => {
                kind.events()
            }
        }
    }

    /// Start and completion of a whole run are INFO; everything per step is
    /// DEBUG, because an INFO event costs hundreds of nanoseconds per call.
    pub(crate) fn progress_severity(self) -> Severity {
        match self {
            Position::Workflow => Severity::Info,
            _ => Severity::Debug,
        }
    }

    /// A failure is logged at WARN once, where it is final: at the top of a
    /// call, or at a saga compensation, whose failure leaves work undone.
    /// Elsewhere the error travels up and is logged by the caller. A retry
    /// attempt cannot know whether its error will be retried, so the retry
    /// logs the ones it swallows (`retry_scheduled`).
    pub(crate) fn failure_severity(self) -> Severity {
        match self {
            Position::Root | Position::Workflow | Position::Compensation(_) => Severity::Warn,
            _ => Severity::Debug,
        }
    }
}
