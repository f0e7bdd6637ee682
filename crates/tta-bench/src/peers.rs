//! The peers: what a user would write instead of each primitive, built as
//! lean as their crates allow (no optional metrics or tracing features).

use std::fmt;
use std::hint::black_box;
use std::time::{Duration, Instant};

use futures_util::future::{Ready, ready};
use metrics::{Counter, Histogram};
use tower::ServiceExt;
use tower::service_fn;
use tower::util::{Oneshot, ServiceFn};
use tower_resilience::bulkhead::BulkheadLayer;
use tower_resilience::cache::CacheLayer;
use tower_resilience::circuitbreaker::CircuitBreakerLayer;
use tower_resilience::ratelimiter::RateLimiterLayer;
use tower_resilience::retry::RetryLayer;

/// The error of the peers' service; it never fails.
#[derive(Debug, Clone)]
pub struct PeerError;

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("peer error")
    }
}

impl std::error::Error for PeerError {}

/// The step's work as a tower service.
pub type BareService = ServiceFn<fn(u64) -> Ready<Result<u64, PeerError>>>;

fn answer(x: u64) -> Ready<Result<u64, PeerError>> {
    ready(Ok(black_box(x) + 1))
}

/// The bare service: the baseline of every tower peer.
#[must_use]
pub fn service() -> BareService {
    service_fn(answer as fn(u64) -> Ready<Result<u64, PeerError>>)
}

/// Calls a clone of `service` once, as a shared tower service is called.
pub fn oneshot<S: tower::Service<u64> + Clone>(service: &S, x: u64) -> Oneshot<S, u64> {
    service.clone().oneshot(x)
}

/// Builds a peer around the bare service.
fn layered<L: tower::Layer<BareService>>(layer: &L) -> L::Service {
    layer.layer(service())
}

/// tower's timeout, with the primitive's 60 s.
#[must_use]
pub fn timeout() -> tower::timeout::Timeout<BareService> {
    layered(&tower::timeout::TimeoutLayer::new(Duration::from_secs(60)))
}

/// tower-resilience's retry, three attempts, succeeding on the first.
#[must_use]
pub fn retry() -> impl tower::Service<u64, Response = u64, Error: fmt::Debug> + Clone {
    layered(
        &RetryLayer::<u64, u64, PeerError>::builder()
            .max_attempts(3)
            .build(),
    )
}

/// tower-resilience's circuit breaker, closed.
///
/// # Panics
///
/// If its default configuration is refused.
#[must_use]
pub fn circuit_breaker() -> impl tower::Service<u64, Response = u64, Error: fmt::Debug> + Clone {
    layered(
        &CircuitBreakerLayer::builder()
            .build()
            .expect("the default configuration is valid"),
    )
}

/// tower-resilience's bulkhead, with room to spare.
///
/// # Panics
///
/// If its configuration is refused.
#[must_use]
pub fn bulkhead() -> impl tower::Service<u64, Response = u64, Error: fmt::Debug> + Clone {
    layered(
        &BulkheadLayer::builder()
            .max_concurrent_calls(64)
            .build()
            .expect("a valid bulkhead"),
    )
}

/// tower-resilience's rate limiter, with a limit no bench reaches.
///
/// # Panics
///
/// If its configuration is refused.
#[must_use]
pub fn rate_limit() -> impl tower::Service<u64, Response = u64, Error: fmt::Debug> + Clone {
    layered(
        &RateLimiterLayer::builder()
            .limit_for_period(usize::MAX / 2)
            .refresh_period(Duration::from_secs(1))
            .build()
            .expect("a valid rate limiter"),
    )
}

/// tower-resilience's cache, keyed by the request.
///
/// # Panics
///
/// If its configuration is refused.
#[must_use]
pub fn cache() -> impl tower::Service<u64, Response = u64, Error: fmt::Debug> + Clone {
    layered(
        &CacheLayer::builder()
            .max_size(1_000)
            .key_extractor(|x: &u64| *x)
            .build()
            .expect("a valid cache"),
    )
}

/// The step's work with `#[instrument]` on it, as a user would write it.
#[tracing::instrument(level = "debug")]
pub async fn instrumented(x: u64) -> tta::Result<u64> {
    Ok(black_box(x) + 1)
}

/// The hand-written equivalent of one execution's core: the
/// `#[instrument]` span, two clock reads, a call counter and a duration
/// histogram, registered once.
pub struct HandWritten {
    calls: Counter,
    duration: Histogram,
}

impl Default for HandWritten {
    fn default() -> Self {
        Self {
            calls: metrics::counter!("bench_peer_calls_total", "step" => "peer"),
            duration: metrics::histogram!("bench_peer_duration_seconds", "step" => "peer"),
        }
    }
}

impl HandWritten {
    /// One instrumented, timed and counted call.
    ///
    /// # Errors
    ///
    /// Never: the step always answers.
    pub async fn call(&self, x: u64) -> tta::Result<u64> {
        let start = Instant::now();
        let result = instrumented(x).await;
        self.duration.record(start.elapsed());
        self.calls.increment(1);
        result
    }
}
