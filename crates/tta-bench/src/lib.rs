//! TTA.dev's overhead benchmarks, each beside its closest peer in the same
//! run.
//!
//! Every group starts with `bare`, the same work as a plain `async fn` on
//! the same current-thread runtime, and holds the peer a user would write
//! instead: tower's timeout, tower-resilience's retry, circuit breaker,
//! bulkhead, rate limiter and cache, a hand-written `#[instrument]`. What
//! each adds over its own baseline is the figure `docs/benchmarks.md`
//! compares.
//!
//! The bench binaries in `benches/` install one telemetry state each and
//! run [`groups::all`].

pub mod groups;
pub mod peers;
pub mod steps;

/// The runtime every bench runs on: current-thread, with timers.
///
/// # Panics
///
/// If tokio cannot build a runtime, which a bench cannot do without.
#[must_use]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}
