//! Resilience and performance primitives: what keeps a pipeline of slow,
//! rate-limited and sometimes failing model calls answering.
//!
//! Each one wraps a primitive and is itself a primitive, so they compose
//! with `>>`, `|` and each other, and each has a fluent form on
//! [`PrimitiveExt`](crate::PrimitiveExt):
//!
//! | fluent form | primitive | configuration |
//! |---|---|---|
//! | `p.retry(policy)` | [`Retry`] | [`RetryPolicy`], [`Backoff`], [`Jitter`] |
//! | `p.timeout(limit)` | [`Timeout`] | a [`Duration`](std::time::Duration), [`Timeout::or_else`] |
//! | `p.fallback(alternative)` | [`Fallback`] | [`Fallback::or`] for more |
//! | `p.circuit_breaker(config)` | [`CircuitBreaker`] | [`CircuitBreakerConfig`], [`TripOn`] |
//! | `p.bulkhead(config)` | [`Bulkhead`] | [`BulkheadConfig`] |
//! | `p.rate_limit(config)` | [`RateLimit`] | [`RateLimitConfig`], [`OnLimit`] |
//! | `p.token_limit(config, estimate)` | [`TokenLimit`] | [`TokenLimitConfig`] |
//! | `p.cached(config)`, `p.cached_by(config, key)` | [`Cached`] | [`CacheConfig`] |
//! | — | [`Saga`] | [`Saga::builder`] |
//!
//! Configuration is checked when it is built: an invalid value is a
//! [`ConfigError`](crate::ConfigError) naming the field and what it
//! accepts, never a panic. Every wrapper's telemetry goes through the same
//! instrumentation as every other primitive, plus the catalog's metrics of
//! its own (`tta_retry_attempts_total`, `tta_timeouts_total`, ...).
//!
//! A typical model call, outermost first: a timeout per attempt inside a
//! retry, behind a circuit breaker, falling back to a second provider:
//!
//! ```
//! use std::time::Duration;
//! use tta_core::{from_fn, Error, PrimitiveExt};
//! use tta_core::resilience::{CircuitBreakerConfig, RetryPolicy};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let primary = from_fn("primary_llm", |_: String, _ctx| async move { Err::<String, _>(Error::transient("503")) });
//! let backup = from_fn("backup_llm", |p: String, _ctx| async move { Ok(format!("backup: {p}")) });
//!
//! let call = primary
//!     .timeout(Duration::from_secs(30))
//!     .retry(RetryPolicy::builder().max_attempts(3).build()?)
//!     .circuit_breaker(CircuitBreakerConfig::default())
//!     .fallback(backup);
//! assert_eq!(call.run("hello".to_owned()).await?, "backup: hello");
//! # Ok(())
//! # }
//! ```

mod budget;
mod bulkhead;
mod cache;
mod circuit_breaker;
mod fallback;
mod hedge;
mod rate_limit;
mod retry;
mod saga;
mod shared;
mod timeout;
mod token_limit;

pub(crate) use budget::{BudgetGate, Covered};
pub use budget::{RetryBudget, RetryBudgetBuilder};
pub use bulkhead::{Bulkhead, BulkheadConfig, BulkheadConfigBuilder};
pub use cache::{CacheConfig, CacheConfigBuilder, CacheStats, Cached, InputKey, MAX_EXPIRY};
pub use circuit_breaker::{
    CircuitBreaker, CircuitBreakerConfig, CircuitBreakerConfigBuilder, CircuitBreakerHandle,
    CircuitState, TripOn,
};
pub use fallback::{Fallback, PRIMARY};
pub use hedge::{Hedge, HedgeConfig, HedgeConfigBuilder, HedgeDelay};
pub use rate_limit::{OnLimit, RateLimit, RateLimitConfig, RateLimitConfigBuilder};
pub use retry::{
    Backoff, DEFAULT_CAP, Jitter, MAX_ATTEMPTS_LIMIT, Retry, RetryPolicy, RetryPolicyBuilder,
};
pub use saga::{Saga, SagaBuilder};
pub use shared::{Acquire, Admission, BoxFuture, FailureMode, SharedRateLimiter, Unavailable};
pub use timeout::{NoFallback, OnTimeout, Timeout};
pub use token_limit::{TokenLimit, TokenLimitConfig, TokenLimitConfigBuilder};
