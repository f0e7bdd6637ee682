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
//! call [`run_all_groups`].

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

/// Runs every group of [`groups::all`] with criterion's command-line
/// options, then prints criterion's summary: the body of each
/// telemetry state's bench binary, once its state is installed.
pub fn run_all_groups() {
    let mut criterion = criterion::Criterion::default().configure_from_args();
    groups::all(&mut criterion);
    criterion.final_summary();
}
