//! Saga: compensations run newest first, failing compensations are kept,
//! and a successful saga compensates nothing.

#![allow(clippy::unwrap_used)] // journal helpers outside #[test] fns panic on purpose

use std::sync::{Arc, Mutex};

use tta::prelude::*;
use tta::resilience::Saga;
use tta_test_support::spans::capture;

type Journal = Arc<Mutex<Vec<String>>>;

/// An action that appends `name` to the trip, or fails when `fails`.
fn book(
    name: &'static str,
    journal: &Journal,
    fails: bool,
) -> impl Primitive<Input = Vec<String>, Output = Vec<String>> {
    let journal = Arc::clone(journal);
    from_fn(name, move |mut trip: Vec<String>, _ctx| {
        let journal = Arc::clone(&journal);
        async move {
            if fails {
                return Err(Error::msg(format!("{name} unavailable")));
            }
            journal.lock().unwrap().push(format!("do {name}"));
            trip.push(name.to_owned());
            Ok(trip)
        }
    })
}

/// A compensation that records what it undid, or fails when `fails`.
fn undo(
    name: &'static str,
    journal: &Journal,
    fails: bool,
) -> impl Primitive<Input = Vec<String>, Output = ()> {
    let journal = Arc::clone(journal);
    from_fn(name, move |trip: Vec<String>, _ctx| {
        let journal = Arc::clone(&journal);
        async move {
            journal
                .lock()
                .unwrap()
                .push(format!("{name} {}", trip.join("+")));
            if fails {
                Err(Error::msg(format!("{name} failed")))
            } else {
                Ok(())
            }
        }
    })
}

/// Flight, hotel and car, each undone by its own compensation.
fn trip(journal: &Journal, car_fails: bool, cancel_hotel_fails: bool) -> Saga<Vec<String>> {
    Saga::builder("s_trip")
        .step(
            book("flight", journal, false),
            undo("cancel_flight", journal, false),
        )
        .step(
            book("hotel", journal, false),
            undo("cancel_hotel", journal, cancel_hotel_fails),
        )
        .step(
            book("car", journal, car_fails),
            undo("cancel_car", journal, false),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn compensations_run_in_reverse_order_with_their_own_step_values() {
    let journal = Journal::default();
    let saga = trip(&journal, true, false);

    let error = saga.run(Vec::new()).await.unwrap_err();

    assert_eq!(
        *journal.lock().unwrap(),
        [
            "do flight",
            "do hotel",
            "cancel_hotel flight+hotel",
            "cancel_flight flight",
        ]
    );
    let Error::Compensated {
        error,
        compensation_errors,
    } = error
    else {
        panic!("expected Compensated")
    };
    assert_eq!(error.to_string(), "car unavailable");
    assert!(compensation_errors.is_empty());
}

#[tokio::test]
async fn a_failing_compensation_is_kept_and_the_others_still_run() {
    let (_guard, captured) = capture();
    let journal = Journal::default();
    let saga = trip(&journal, true, true);

    let Err(Error::Compensated {
        compensation_errors,
        ..
    }) = saga.run(Vec::new()).await
    else {
        panic!("expected Compensated")
    };
    let messages: Vec<_> = compensation_errors
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(messages, ["cancel_hotel failed"]);
    assert!(
        journal
            .lock()
            .unwrap()
            .contains(&"cancel_flight flight".to_owned())
    );

    let failed = captured.events_named("saga_compensation_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].level, tracing::Level::WARN);
    assert_eq!(captured.events_named("saga_compensation_complete").len(), 1);
}

#[tokio::test]
async fn a_successful_saga_compensates_nothing() {
    let journal = Journal::default();
    let saga = trip(&journal, false, false);
    assert_eq!(
        saga.run(Vec::new()).await.unwrap(),
        ["flight", "hotel", "car"]
    );
    assert_eq!(
        *journal.lock().unwrap(),
        ["do flight", "do hotel", "do car"]
    );
}

#[test]
fn a_saga_needs_a_step() {
    let error = Saga::<u8>::builder("s_empty").build().err().unwrap();
    assert_eq!(error.field(), "steps");
}
