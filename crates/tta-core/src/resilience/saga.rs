//! [`Saga`]: steps that each know how to undo themselves.

use std::borrow::Cow;

use crate::compose::BoxPrimitive;
use crate::config::ConfigError;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// One step of a saga: the action and the compensation that undoes it.
struct Step<T> {
    action: BoxPrimitive<T, T>,
    compensation: BoxPrimitive<T, ()>,
}

/// A multi-step workflow whose steps each have a compensation. When a step
/// fails, the compensations of the steps that completed run in reverse
/// order, and the saga fails with [`Error::Compensated`].
///
/// The saga threads one value of type `T` through its steps: each action
/// takes the value the previous step produced and returns the next one,
/// typically adding what it booked. A compensation receives the value its
/// own action returned, so it knows what to undo.
///
/// - Actions run as steps (`tta.step.index`, `sequential_step_*` events);
///   compensations as `tta.saga.compensation` spans with
///   `saga_compensation_*` events.
/// - Every compensation runs even if an earlier one failed. Their errors
///   are kept in [`Error::Compensated::compensation_errors`] and each is
///   logged at WARN: none is swallowed.
/// - A compensation that cannot start because the run was cancelled or its
///   deadline passed is reported the same way, as a compensation error.
///
/// ```
/// use tta_core::{from_fn, Error, PrimitiveExt};
/// use tta_core::resilience::Saga;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let reserve_flight = from_fn("reserve_flight", |mut trip: Vec<&'static str>, _ctx| async move {
///     trip.push("flight");
///     Ok(trip)
/// });
/// let cancel_flight = from_fn("cancel_flight", |_trip: Vec<&'static str>, _ctx| async move { Ok(()) });
/// let reserve_hotel = from_fn("reserve_hotel", |_trip: Vec<&'static str>, _ctx| async move {
///     Err::<Vec<&'static str>, _>(Error::msg("no rooms"))
/// });
/// let cancel_hotel = from_fn("cancel_hotel", |_trip: Vec<&'static str>, _ctx| async move { Ok(()) });
///
/// let booking = Saga::builder("book_trip")
///     .step(reserve_flight, cancel_flight)
///     .step(reserve_hotel, cancel_hotel)
///     .build()?;
///
/// match booking.run(Vec::new()).await {
///     Err(Error::Compensated { error, compensation_errors }) => {
///         assert_eq!(error.to_string(), "no rooms");
///         assert!(compensation_errors.is_empty()); // the flight was cancelled
///     }
///     other => panic!("expected a compensated failure, got {other:?}"),
/// }
/// # Ok(())
/// # }
/// ```
pub struct Saga<T> {
    steps: Vec<Step<T>>,
    meta: Meta,
}

/// Builds a [`Saga`]; see [`Saga::builder`].
#[must_use = "call `build()` to get the saga"]
pub struct SagaBuilder<T> {
    name: Cow<'static, str>,
    steps: Vec<Step<T>>,
}

impl<T: Clone + Send + Sync + 'static> Saga<T> {
    /// Starts a saga named `name`.
    pub fn builder(name: impl Into<Cow<'static, str>>) -> SagaBuilder<T> {
        SagaBuilder {
            name: name.into(),
            steps: Vec::new(),
        }
    }

    /// Undoes the completed steps, newest first; returns their errors in
    /// the order the compensations ran.
    async fn compensate(&self, completed: Vec<(usize, T)>, ctx: &WorkflowContext) -> Vec<Error> {
        let mut errors = Vec::new();
        for (index, value) in completed.into_iter().rev() {
            let position = Position::Compensation(u32::try_from(index).unwrap_or(u32::MAX));
            if let Err(error) = self.steps[index]
                .compensation
                .call_at(value, ctx, position)
                .await
            {
                errors.push(error);
            }
        }
        errors
    }
}

impl<T: Clone + Send + Sync + 'static> SagaBuilder<T> {
    /// Adds a step: `action`, undone by `compensation` if a later step fails.
    pub fn step(
        mut self,
        action: impl Primitive<Input = T, Output = T>,
        compensation: impl Primitive<Input = T, Output = ()>,
    ) -> Self {
        self.steps.push(Step {
            action: action.boxed(),
            compensation: compensation.boxed(),
        });
        self
    }

    /// Checks that the saga has at least one step.
    pub fn build(self) -> Result<Saga<T>, ConfigError> {
        if self.steps.is_empty() {
            return Err(ConfigError::new("steps", "a saga needs at least one step"));
        }
        Ok(Saga {
            steps: self.steps,
            meta: Meta::new(self.name, Kind::SAGA),
        })
    }
}

impl<T: Clone + Send + Sync + 'static> Primitive for Saga<T> {
    type Input = T;
    type Output = T;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: T, ctx: &WorkflowContext) -> Result<T> {
        let mut value = input;
        let mut completed = Vec::with_capacity(self.steps.len());
        for (index, step) in self.steps.iter().enumerate() {
            let position = Position::Step(u32::try_from(index).unwrap_or(u32::MAX));
            match step.action.call_at(value, ctx, position).await {
                Ok(next) => {
                    completed.push((index, next.clone()));
                    value = next;
                }
                Err(error) => {
                    let compensation_errors = self.compensate(completed, ctx).await;
                    return Err(Error::Compensated {
                        error: Box::new(error),
                        compensation_errors,
                    });
                }
            }
        }
        Ok(value)
    }

    fn children(&self) -> Vec<Graph> {
        // Actions in order, then the compensations a failure may run.
        let actions = self.steps.iter().map(|step| step.action.graph());
        let compensations = self.steps.iter().map(|step| step.compensation.graph());
        actions.chain(compensations).collect()
    }
}

crate::impl_operators!(impl [T,] for Saga<T> where [T: Clone + Send + Sync + 'static]);
