//! [`Retry`]: run a primitive again when it fails with an error worth retrying.

mod backoff;
mod policy;

use std::borrow::Cow;
use std::time::Duration;

use metrics::Label;
use tokio::time::Instant;

pub use backoff::{Backoff, DEFAULT_CAP, Jitter};
pub use policy::{MAX_ATTEMPTS_LIMIT, RetryPolicy, RetryPolicyBuilder};

use crate::catalog;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{CounterFamily, Kind, Meta, Position, primitive_event};
use crate::primitive::{Primitive, PrimitiveExt};
use crate::resilience::{BudgetGate, Covered};

/// Attempt labels run `1` to `10`; later attempts share `10+`, which keeps
/// `tta_retry_attempts_total` at 22 series per retry whatever the policy.
const LABELLED_ATTEMPTS: u32 = 10;
const STATUSES: [&str; 2] = ["success", "error"];

/// Runs its inner primitive again while it fails with an error the
/// [`RetryPolicy`] retries, waiting the policy's backoff between attempts.
///
/// - Each attempt is a child span with `tta.retry.attempt` and logs
///   `retry_attempt_start`, then `retry_attempt_success` or
///   `retry_attempt_failed` (DEBUG). Each error it retries is logged once
///   at WARN as `retry_scheduled`, with the wait; giving up logs
///   `retry_exhausted` at DEBUG, and the caller logs the final error.
/// - `tta_retry_attempts_total{attempt, status}` counts every attempt.
/// - **A rate limit's `Retry-After` is honoured**: after
///   [`Error::RateLimited`] with a `retry_after`, the next attempt waits at
///   least that long, whatever the backoff says, and gives up at once if
///   that wait would pass the deadline or `max_elapsed`.
/// - An error the policy does not retry is returned unchanged after the
///   attempt that raised it. When attempts run out, or the next one could
///   not start before [`max_elapsed`](RetryPolicyBuilder::max_elapsed) or
///   the context's deadline, the result is [`Error::RetriesExhausted`] with
///   the attempt count and the last error.
///
/// - With a [`RetryBudget`](crate::resilience::RetryBudget) in the policy,
///   each call deposits one request, and each retry needs an extra attempt
///   from the budget; when it has none, the retry gives up with
///   [`Error::RetriesExhausted`], logs `retry_budget_exhausted` at WARN and
///   counts `tta_retry_budget_exhausted_total`.
/// - A streaming primitive's call ends at its first chunk (see
///   [`ChunkStream`](crate::stream::ChunkStream)), so only failures before
///   the first chunk are retried.
///
/// The input is cloned for each attempt.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use tta_core::{from_fn, Error, PrimitiveExt};
/// use tta_core::resilience::{Backoff, Jitter, RetryPolicy};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// static CALLS: AtomicU32 = AtomicU32::new(0);
/// let flaky = from_fn("flaky", |prompt: String, _ctx| async move {
///     if CALLS.fetch_add(1, Ordering::Relaxed) < 2 {
///         Err(Error::transient("503 Service Unavailable"))
///     } else {
///         Ok(format!("answer to {prompt}"))
///     }
/// });
/// let policy = RetryPolicy::builder()
///     .max_attempts(4)
///     .backoff(Backoff::exponential(Duration::from_millis(100)))
///     .jitter(Jitter::Full)
///     .build()?;
/// let robust = flaky.retry(policy);
/// assert_eq!(robust.run("hi".to_owned()).await?, "answer to hi");
/// assert_eq!(CALLS.load(Ordering::Relaxed), 3);
/// # Ok(())
/// # }
/// ```
pub struct Retry<P> {
    inner: P,
    policy: RetryPolicy,
    meta: Meta,
    attempts: CounterFamily,
    budget: BudgetGate,
}

impl<P: Primitive> Retry<P> {
    /// Retries `inner` under `policy`. Same as [`PrimitiveExt::retry`].
    pub fn new(inner: P, policy: RetryPolicy) -> Self {
        let meta = Meta::new(format!("retry({})", inner.name()), Kind::RETRY);
        let series = (1..=LABELLED_ATTEMPTS + 1).flat_map(|attempt| {
            STATUSES.map(|status| {
                vec![
                    Label::new("attempt", attempt_label(attempt)),
                    Label::from_static_parts("status", status),
                ]
            })
        });
        Self {
            inner,
            meta,
            attempts: CounterFamily::new(catalog::RETRY_ATTEMPTS_TOTAL, series),
            budget: BudgetGate::new(policy.budget.clone()),
            policy,
        }
    }

    /// The retried primitive.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// The policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    fn count_attempt(&self, attempt: u32, ok: bool) {
        let row = attempt.clamp(1, LABELLED_ATTEMPTS + 1) - 1;
        let index = row as usize * STATUSES.len() + usize::from(!ok);
        self.attempts.increment(self.meta.name(), index);
    }

    /// Why the attempt after `attempt` must not start, if it must not.
    fn stop_before_next(
        &self,
        attempt: u32,
        wait: Duration,
        started: Instant,
        ctx: &WorkflowContext,
    ) -> Option<&'static str> {
        if attempt >= self.policy.max_attempts {
            return Some("max_attempts");
        }
        if self
            .policy
            .max_elapsed
            .is_some_and(|limit| started.elapsed().saturating_add(wait) >= limit)
        {
            return Some("max_elapsed");
        }
        if ctx.remaining().is_some_and(|remaining| wait >= remaining) {
            return Some("deadline");
        }
        if !self.budget.allow_extra(self.meta.name()) {
            primitive_event!(warn, "retry_budget_exhausted", self.meta, ctx, attempt);
            return Some("budget");
        }
        None
    }
}

fn attempt_label(attempt: u32) -> String {
    if attempt > LABELLED_ATTEMPTS {
        format!("{LABELLED_ATTEMPTS}+")
    } else {
        attempt.to_string()
    }
}

impl<P> Primitive for Retry<P>
where
    P: Primitive,
    P::Input: Clone,
{
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<P::Output> {
        let started = Instant::now();
        self.budget.request(self.meta.name());
        let mut previous_wait = None;
        let mut attempt = 1;
        loop {
            let call = self
                .inner
                .call_at(input.clone(), ctx, Position::Attempt(attempt));
            let error = match Covered::new(call, self.budget.budget()).await {
                Ok(output) => {
                    self.count_attempt(attempt, true);
                    return Ok(output);
                }
                Err(error) => error,
            };
            self.count_attempt(attempt, false);
            if !self.policy.should_retry(&error) {
                return Err(error);
            }
            let backoff = self.policy.backoff.delay(
                attempt,
                previous_wait,
                self.policy.jitter,
                fastrand::f64,
            );
            // The provider knows when it will take the call again.
            let wait = match &error {
                Error::RateLimited {
                    retry_after: Some(retry_after),
                } => backoff.max(*retry_after),
                _ => backoff,
            };
            if let Some(reason) = self.stop_before_next(attempt, wait, started, ctx) {
                // DEBUG: the error travels up, and the caller logs it once.
                primitive_event!(debug, "retry_exhausted", self.meta, ctx,
                    attempts = attempt, reason, error = %error);
                return Err(Error::RetriesExhausted {
                    attempts: attempt,
                    last: Box::new(error),
                });
            }
            // The one WARN for an error this retry swallows.
            primitive_event!(warn, "retry_scheduled", self.meta, ctx,
                attempt, wait_ms = wait.as_millis() as u64, error_kind = error.kind().as_str(), error = %error);
            tokio::time::sleep(wait).await;
            previous_wait = Some(wait);
            attempt += 1;
        }
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

crate::impl_operators!(impl [P,] for Retry<P>);
