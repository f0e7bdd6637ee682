//! The circuit breaker through the primitive: rejection without calling the
//! inner primitive, recovery on the paused clock, the probe limit, the
//! handle, the predicate and the metrics.

#![allow(clippy::unwrap_used)] // configuration helpers outside #[test] fns panic on purpose

use std::time::Duration;

use futures_util::future::join_all;
use tta::catalog::{CIRCUIT_BREAKER_STATE, CIRCUIT_BREAKER_TRANSITIONS_TOTAL};
use tta::prelude::*;
use tta::resilience::{CircuitBreakerConfig, CircuitState, TripOn};
use tta::testing::Mock;
use tta_test_support::metrics::{counter, gauge, install};

const SECOND: Duration = Duration::from_secs(1);

fn config(failures: u32, probes: u32) -> CircuitBreakerConfig {
    CircuitBreakerConfig::builder()
        .trip_on(TripOn::ConsecutiveFailures(failures))
        .open_for(10 * SECOND)
        .half_open_probes(probes)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn it_trips_rejects_without_calling_and_recovers() {
    install();
    let provider = Mock::<(), ()>::new("cb_provider")
        .then_fail(Error::transient("503"))
        .then_fail(Error::transient("503"))
        .then_return(());
    let breaker = provider.clone().circuit_breaker(config(2, 1));
    let handle = breaker.handle();
    let name = ("primitive_name", "circuit_breaker(cb_provider)");

    breaker.run(()).await.unwrap_err();
    assert_eq!(handle.state(), CircuitState::Closed);
    assert_eq!(gauge(CIRCUIT_BREAKER_STATE, &[name]), Some(0.0));
    breaker.run(()).await.unwrap_err();
    assert_eq!(handle.state(), CircuitState::Open);
    assert_eq!(gauge(CIRCUIT_BREAKER_STATE, &[name]), Some(2.0));

    let rejected = breaker.run(()).await.unwrap_err();
    assert!(
        matches!(&rejected, Error::CircuitOpen { name } if name == "circuit_breaker(cb_provider)")
    );
    assert_eq!(
        provider.call_count(),
        2,
        "an open breaker does not call the inner primitive"
    );

    tokio::time::advance(10 * SECOND).await;
    breaker.run(()).await.unwrap();
    assert_eq!(handle.state(), CircuitState::Closed);
    assert_eq!(gauge(CIRCUIT_BREAKER_STATE, &[name]), Some(0.0));

    let to = |state| counter(CIRCUIT_BREAKER_TRANSITIONS_TOTAL, &[name, ("to", state)]);
    assert_eq!((to("open"), to("half_open"), to("closed")), (1, 1, 1));
}

/// Fails on 0; otherwise takes a second and succeeds.
fn slow_unless_zero(name: &'static str) -> impl Primitive<Input = i64, Output = i64> {
    from_fn(name, |x: i64, _ctx| async move {
        if x == 0 {
            return Err(Error::transient("down"));
        }
        tokio::time::sleep(SECOND).await;
        Ok(x)
    })
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_only_the_configured_probes() {
    let breaker = slow_unless_zero("cb_probes").circuit_breaker(config(1, 2));
    breaker.run(0).await.unwrap_err();
    tokio::time::advance(10 * SECOND).await;

    // Three concurrent calls while half-open with two probes: two run, the
    // third is rejected at once without calling the inner primitive.
    let results = join_all((1..=3).map(|x| breaker.run(x))).await;
    let rejected = results
        .iter()
        .filter(|result| matches!(result, Err(Error::CircuitOpen { .. })))
        .count();
    let succeeded = results.iter().filter(|result| result.is_ok()).count();
    assert_eq!((succeeded, rejected), (2, 1), "{results:?}");
    assert_eq!(
        breaker.handle().state(),
        CircuitState::Closed,
        "two successful probes close it"
    );
}

#[tokio::test(start_paused = true)]
async fn isolation_rejects_until_reset() {
    let breaker = slow_unless_zero("cb_isolated").circuit_breaker(config(5, 1));
    let handle = breaker.handle();
    handle.isolate();
    assert_eq!(handle.state(), CircuitState::Isolated);
    tokio::time::advance(3600 * SECOND).await;
    assert!(matches!(
        breaker.run(1).await,
        Err(Error::CircuitOpen { .. })
    ));
    handle.reset();
    assert_eq!(breaker.run(1).await.unwrap(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_failure_predicate_decides_what_counts() {
    let only_timeouts = CircuitBreakerConfig::builder()
        .trip_on(TripOn::ConsecutiveFailures(1))
        .failure_if(|error| matches!(error, Error::Timeout { .. }))
        .build()
        .unwrap();
    let provider = Mock::<(), ()>::new("cb_predicate")
        .then_fail(Error::msg("bad request"))
        .then_fail(Error::Timeout { after: SECOND });
    let breaker = provider.circuit_breaker(only_timeouts);
    breaker.run(()).await.unwrap_err();
    assert_eq!(breaker.handle().state(), CircuitState::Closed);
    breaker.run(()).await.unwrap_err();
    assert_eq!(breaker.handle().state(), CircuitState::Open);
}

#[tokio::test(start_paused = true)]
async fn a_ratio_breaker_needs_its_minimum_throughput() {
    let ratio = CircuitBreakerConfig::builder()
        .trip_on(TripOn::FailureRatio {
            ratio: 0.5,
            window: 10,
            min_calls: 6,
        })
        .build()
        .unwrap();
    let mut script = Mock::<(), ()>::new("cb_ratio");
    for _ in 0..5 {
        script = script.then_fail(Error::transient("503"));
    }
    let breaker = script.then_return(()).circuit_breaker(ratio);
    for _ in 0..5 {
        breaker.run(()).await.unwrap_err();
    }
    assert_eq!(
        breaker.handle().state(),
        CircuitState::Closed,
        "5 calls < min_calls"
    );
    breaker.run(()).await.unwrap();
    assert_eq!(
        breaker.handle().state(),
        CircuitState::Open,
        "5 of 6 failed"
    );
}

#[test]
fn invalid_configuration_names_the_field() {
    let error = CircuitBreakerConfig::builder()
        .trip_on(TripOn::FailureRatio {
            ratio: 1.5,
            window: 10,
            min_calls: 5,
        })
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "trip_on.ratio");
    let error = CircuitBreakerConfig::builder()
        .trip_on(TripOn::FailureRatio {
            ratio: 0.5,
            window: 10,
            min_calls: 11,
        })
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "trip_on.min_calls");
    let error = CircuitBreakerConfig::builder()
        .open_for(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "open_for");
}
