//! [`TokenLimit`]: tokens per minute, as model providers limit them.

mod config;
mod ledger;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

pub use config::{TokenLimitConfig, TokenLimitConfigBuilder};

use ledger::{Ledger, Reserved};

use crate::config::ConfigError;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::frame::measure;
use crate::instrument::{Kind, Meta, Position, primitive_event};
use crate::primitive::{Primitive, PrimitiveExt};
use crate::resilience::OnLimit;
use crate::resilience::rate_limit::patience;
use crate::resilience::shared::{self, Acquire, SharedRateLimiter};

/// Keeps a model's tokens per window (TPM) under its limit: reserves an
/// estimate before each call and bills what the call really used after it.
///
/// - **Before the call**, `estimate(input)` tokens are reserved: a caller's
///   hint, or the request's `max_tokens` plus its prompt's length. A call
///   waits, in arrival order, until the window has room (woken as soon as a
///   refund makes some), at most until the context's deadline or
///   `max_wait`; or, with [`OnLimit::Reject`], fails at once with
///   [`Error::RateLimited`] and the time until there is room.
/// - **After the call**, the reservation is set to the input plus output
///   tokens the call reported ([`WorkflowContext::record_usage`]), giving
///   back what the estimate over-reserved. A call that failed without
///   reporting gives everything back; one that succeeded without reporting
///   keeps its estimate.
/// - **No window of the configured length ever bills more than the limit**,
///   as long as estimates are not below the real usage (a larger real usage
///   is billed, and logged as `token_limit_underestimated`).
/// - A waiting call that is dropped gives its reservation back.
///
/// Why not `governor`? Its GCRA cannot take tokens back, so every estimate
/// would stay billed in full, and it bounds a window to the limit plus a
/// burst, not to the limit, which is what a provider's TPM counts.
///
/// ```
/// use std::time::Duration;
/// use tta_core::llm::Usage;
/// use tta_core::resilience::TokenLimitConfig;
/// use tta_core::{from_fn, PrimitiveExt, WorkflowContext};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let complete = from_fn("complete", |prompt: String, ctx: WorkflowContext| async move {
///     ctx.record_usage(Usage::openai("openai", "gpt-4o-mini", 3_000, 0, 1_000, 0))?;
///     Ok(prompt)
/// });
/// // Reserve 6,000 tokens a call; each really uses 4,000.
/// let limited = complete.token_limit(TokenLimitConfig::per_minute(10_000).build()?, |_: &String| 6_000);
///
/// let start = tokio::time::Instant::now();
/// limited.run("a".to_owned()).await?;
/// limited.run("b".to_owned()).await?; // 4,000 billed + 6,000 reserved: fits
/// limited.run("c".to_owned()).await?; // 8,000 billed: waits for the first to leave the window
/// assert_eq!(start.elapsed(), Duration::from_secs(60));
/// # Ok(())
/// # }
/// ```
pub struct TokenLimit<P, F> {
    inner: P,
    estimate: F,
    config: TokenLimitConfig,
    state: Mutex<State>,
    /// Wakes waiting calls when room may have appeared: a refund, a
    /// cancelled wait, or a new head of the queue.
    changed: Notify,
    /// The limit shared with other processes, if any.
    shared: Option<Arc<dyn SharedRateLimiter>>,
    meta: Meta,
}

/// The ledger and the queue of calls waiting for room, in arrival order.
#[derive(Debug)]
struct State {
    ledger: Ledger,
    queue: VecDeque<u64>,
    next_ticket: u64,
}

/// What a call may do now.
enum Turn {
    Go(Reserved),
    /// Wait until this time, or until something changes.
    Wait(Instant),
}

impl<P, F> TokenLimit<P, F>
where
    P: Primitive,
    F: Fn(&P::Input) -> u64 + Send + Sync + 'static,
{
    /// Limits `inner`'s tokens; same as [`PrimitiveExt::token_limit`].
    pub fn new(inner: P, config: TokenLimitConfig, estimate: F) -> Self {
        Self {
            meta: Meta::new(format!("token_limit({})", inner.name()), Kind::RATE_LIMIT),
            state: Mutex::new(State {
                ledger: Ledger::new(config.tokens, config.window),
                queue: VecDeque::new(),
                next_ticket: 0,
            }),
            changed: Notify::new(),
            shared: None,
            config,
            estimate,
            inner,
        }
    }

    /// Shares the token limit with every process that uses the same
    /// `limiter` (the `tta-redis` crate's, or your own). The shared limit
    /// is a rate of `tokens / window` with bursts of a whole window's
    /// tokens, and each call is charged its estimate: unlike the local
    /// ledger, a shared one cannot refund what the call did not use, so
    /// keep estimates close. When the limiter is
    /// [`Unavailable`](super::Unavailable), `FailureMode::Open` falls back
    /// to this process's own ledger and `Closed` fails the call with a
    /// transient error.
    pub fn shared(mut self, limiter: Arc<dyn SharedRateLimiter>) -> Self {
        self.shared = Some(limiter);
        self
    }

    /// Asks the shared limiter: `Ok(true)` admitted by it, `Ok(false)` to
    /// be decided locally (it is unavailable and fails open).
    async fn admit_shared(
        &self,
        shared: &dyn SharedRateLimiter,
        tokens: u64,
        ctx: &WorkflowContext,
    ) -> Result<bool> {
        if tokens > self.config.tokens {
            return Err(self.too_large(tokens));
        }
        let saturate = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        let request = Acquire {
            rate_per_second: self.config.tokens as f64 / self.config.window.as_secs_f64(),
            burst: saturate(self.config.tokens),
            cost: saturate(tokens),
            patience: patience(self.config.on_limit, self.config.max_wait, ctx),
        };
        shared::admit(shared, request, self.meta.name()).await
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn too_large(&self, tokens: u64) -> Error {
        Error::user(ConfigError::new(
            "estimate",
            format!(
                "{tokens} tokens is more than the {} a window of {:?} allows",
                self.config.tokens, self.config.window
            ),
        ))
    }

    /// Reserves `tokens` now, or waits for room in arrival order.
    async fn admit(&self, tokens: u64, ctx: &WorkflowContext) -> Result<Reserved> {
        let now = Instant::now();
        if self.config.on_limit == OnLimit::Reject {
            return self.with_state(|state| {
                let at = state
                    .ledger
                    .earliest(tokens, now)
                    .ok_or_else(|| self.too_large(tokens))?;
                if at > now || !state.queue.is_empty() {
                    return Err(Error::RateLimited {
                        retry_after: Some(
                            at.saturating_duration_since(now)
                                .max(Duration::from_millis(1)),
                        ),
                    });
                }
                Ok(state.ledger.reserve(tokens, now))
            });
        }
        let give_up = now.checked_add(patience(OnLimit::Wait, self.config.max_wait, ctx));
        let ticket = self.with_state(|state| {
            let ticket = state.next_ticket;
            state.next_ticket += 1;
            state.queue.push_back(ticket);
            ticket
        });
        let mut place = InQueue {
            limiter: self,
            ticket,
        };
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before looking, so a change made after the look wakes us.
            changed.as_mut().enable();
            let now = Instant::now();
            let turn = self.with_state(|state| -> Result<Turn> {
                if state.queue.front() != Some(&ticket) {
                    // Behind another caller: its admission will wake us.
                    return Ok(Turn::Wait(now + self.config.window));
                }
                let at = state
                    .ledger
                    .earliest(tokens, now)
                    .ok_or_else(|| self.too_large(tokens))?;
                if at > now {
                    return Ok(Turn::Wait(at));
                }
                state.queue.pop_front();
                Ok(Turn::Go(state.ledger.reserve(tokens, now)))
            })?;
            let until = match turn {
                Turn::Go(reserved) => {
                    place.ticket = u64::MAX;
                    // The next caller in line is now at the head.
                    self.changed.notify_waiters();
                    return Ok(reserved);
                }
                Turn::Wait(until) => until,
            };
            if give_up.is_some_and(|give_up| until >= give_up && now >= give_up) {
                return Err(Error::RateLimited {
                    retry_after: Some(until.saturating_duration_since(now)),
                });
            }
            let wake = give_up.map_or(until, |give_up| until.min(give_up));
            tokio::select! {
                () = &mut changed => {}
                () = tokio::time::sleep_until(wake) => {}
            }
        }
    }
}

/// A call's place in the queue; given up if the call stops waiting.
struct InQueue<'a, P, F> {
    limiter: &'a TokenLimit<P, F>,
    /// `u64::MAX` once admitted.
    ticket: u64,
}

impl<P, F> Drop for InQueue<'_, P, F> {
    fn drop(&mut self) {
        if self.ticket == u64::MAX {
            return;
        }
        let ticket = self.ticket;
        self.limiter
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .queue
            .retain(|waiting| *waiting != ticket);
        self.limiter.changed.notify_waiters();
    }
}

impl<P, F> Primitive for TokenLimit<P, F>
where
    P: Primitive,
    F: Fn(&P::Input) -> u64 + Send + Sync + 'static,
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
        let estimate = (self.estimate)(&input);
        if let Some(shared) = &self.shared
            && self.admit_shared(shared.as_ref(), estimate, ctx).await?
        {
            return self.inner.call_at(input, ctx, Position::Inner).await;
        }
        let reserved = self.admit(estimate, ctx).await?;
        let (outcome, usage) = measure(self.inner.call_at(input, ctx, Position::Inner)).await;
        let billed = match (&outcome, usage.is_empty()) {
            (_, false) => usage.total_tokens(),
            (Err(_), true) => 0,
            (Ok(_), true) => estimate,
        };
        if billed > estimate {
            primitive_event!(
                warn,
                "token_limit_underestimated",
                self.meta,
                ctx,
                estimate,
                billed
            );
        }
        self.with_state(|state| state.ledger.settle(reserved, billed));
        if billed < estimate {
            self.changed.notify_waiters();
        }
        outcome
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

crate::impl_operators!(impl [P, F,] for TokenLimit<P, F>);
