//! What a shared primitive does when Redis cannot answer, in one place.

use tta_core::resilience::{FailureMode, Unavailable};
use tta_core::{Error, Position, Primitive, PrimitiveExt, Result, WorkflowContext};

use crate::metrics;

/// Counts the decision, then runs `inner` locally (`Open`) or fails with a
/// transient error naming `what` and the store's reason (`Closed`).
pub(crate) async fn without_redis<P: Primitive>(
    inner: &P,
    input: P::Input,
    ctx: &WorkflowContext,
    primitive: &str,
    what: &'static str,
    mode: FailureMode,
    error: Unavailable,
) -> Result<P::Output> {
    metrics::degraded(primitive, what, mode);
    match mode {
        FailureMode::Open => inner.call_at(input, ctx, Position::Inner).await,
        FailureMode::Closed => Err(Error::transient(Unavailable {
            what,
            reason: error.reason,
        })),
    }
}
