//! [`CircuitBreaker`]: stop calling a dependency that keeps failing.

mod config;
mod state;

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};

use metrics::Label;
use tokio::time::Instant;

pub use config::{CircuitBreakerConfig, CircuitBreakerConfigBuilder, TripOn};
pub use state::CircuitState;

use state::{Machine, Ticket};

use crate::catalog;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{CounterFamily, Kind, Meta, OwnGauge, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// Rejects calls with [`Error::CircuitOpen`], without running its inner
/// primitive, while that primitive keeps failing.
///
/// - **Closed**: calls pass; failures trip it per [`TripOn`].
/// - **Open**: calls are rejected until [`open_for`](CircuitBreakerConfigBuilder::open_for) has passed.
/// - **Half-open**: up to [`half_open_probes`](CircuitBreakerConfigBuilder::half_open_probes)
///   calls run at once; the rest are rejected. A failed probe reopens it;
///   as many successes as probes close it.
///
/// `tta_circuit_breaker_state` (0 closed, 1 half-open, 2 open) and
/// `tta_circuit_breaker_transitions_total{to}` follow every transition,
/// each logged as `circuit_breaker_state_change`. A [`CircuitBreakerHandle`]
/// reads the state and opens or closes the breaker by hand.
///
/// ```
/// use tta_core::{from_fn, Error, PrimitiveExt};
/// use tta_core::resilience::{CircuitBreakerConfig, CircuitState, TripOn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let down = from_fn("provider", |_: (), _ctx| async move { Err::<(), _>(Error::transient("503")) });
/// let config = CircuitBreakerConfig::builder().trip_on(TripOn::ConsecutiveFailures(2)).build()?;
/// let breaker = down.circuit_breaker(config);
/// let handle = breaker.handle();
///
/// for _ in 0..2 {
///     assert!(breaker.run(()).await.is_err());
/// }
/// assert_eq!(handle.state(), CircuitState::Open);
/// assert!(matches!(breaker.run(()).await, Err(Error::CircuitOpen { .. })));
///
/// handle.reset();
/// assert_eq!(handle.state(), CircuitState::Closed);
/// # Ok(())
/// # }
/// ```
pub struct CircuitBreaker<P> {
    inner: P,
    shared: Arc<Shared>,
    meta: Meta,
}

/// Reads and steers a [`CircuitBreaker`] from elsewhere, such as an admin
/// endpoint or a test. Cheap to clone.
#[derive(Clone)]
pub struct CircuitBreakerHandle {
    shared: Arc<Shared>,
}

struct Shared {
    name: String,
    config: CircuitBreakerConfig,
    machine: Mutex<Machine>,
    state_gauge: OwnGauge,
    transitions: CounterFamily,
    gauge_published: Once,
}

impl Shared {
    fn machine(&self) -> MutexGuard<'_, Machine> {
        // The machine is consistent after every method, so a panic elsewhere
        // while the lock was held leaves nothing half-done.
        self.machine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn admit(&self) -> Result<Ticket> {
        self.gauge_published.call_once(|| {
            self.state_gauge
                .set(&self.name, self.machine().state().gauge_value())
        });
        let (ticket, entered) = self.machine().admit(Instant::now());
        self.publish(entered);
        ticket.ok_or_else(|| Error::CircuitOpen {
            name: self.name.clone(),
        })
    }

    fn publish(&self, entered: Option<CircuitState>) {
        let Some(state) = entered else { return };
        self.state_gauge.set(&self.name, state.gauge_value());
        self.transitions.increment(&self.name, state as usize);
        if matches!(state, CircuitState::Open | CircuitState::Isolated) {
            tracing::warn!(primitive_name = %self.name, to = state.as_str(), "circuit_breaker_state_change");
        } else {
            tracing::info!(primitive_name = %self.name, to = state.as_str(), "circuit_breaker_state_change");
        }
    }
}

/// An admitted call. Dropping it unfinished gives a half-open probe slot back.
struct Pass<'a> {
    shared: &'a Shared,
    ticket: Option<Ticket>,
}

impl Pass<'_> {
    fn finish(mut self, failed: bool) {
        if let Some(ticket) = self.ticket.take() {
            let entered = self.shared.machine().record(ticket, failed, Instant::now());
            self.shared.publish(entered);
        }
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.shared.machine().release(ticket);
        }
    }
}

impl<P: Primitive> CircuitBreaker<P> {
    /// Protects `inner`. Same as [`PrimitiveExt::circuit_breaker`].
    pub fn new(inner: P, config: CircuitBreakerConfig) -> Self {
        let name = format!("circuit_breaker({})", inner.name());
        let transitions =
            CircuitState::ALL.map(|to| vec![Label::from_static_parts("to", to.as_str())]);
        let shared = Shared {
            name: name.clone(),
            machine: Mutex::new(Machine::new(&config)),
            config,
            state_gauge: OwnGauge::new(catalog::CIRCUIT_BREAKER_STATE),
            transitions: CounterFamily::new(
                catalog::CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
                transitions,
            ),
            gauge_published: Once::new(),
        };
        Self {
            inner,
            shared: Arc::new(shared),
            meta: Meta::new(name, Kind::CIRCUIT_BREAKER),
        }
    }

    /// A handle to read and steer this breaker.
    pub fn handle(&self) -> CircuitBreakerHandle {
        CircuitBreakerHandle {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl CircuitBreakerHandle {
    /// The breaker's state now. An open breaker whose wait is over still
    /// reads `Open` until the next call turns it half-open.
    pub fn state(&self) -> CircuitState {
        self.shared.machine().state()
    }

    /// Opens the breaker until [`reset`](Self::reset), whatever calls do:
    /// for taking a dependency out of service by hand.
    pub fn isolate(&self) {
        let entered = self.shared.machine().isolate();
        self.shared.publish(entered);
    }

    /// Closes the breaker and forgets its failure history.
    pub fn reset(&self) {
        let entered = self.shared.machine().reset();
        self.shared.publish(entered);
    }

    /// The breaker's primitive name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }
}

impl std::fmt::Debug for CircuitBreakerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreakerHandle")
            .field("name", &self.shared.name)
            .field("state", &self.state())
            .finish()
    }
}

impl<P: Primitive> Primitive for CircuitBreaker<P> {
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Renames the breaker's own metrics and logs too, unless a
    /// [`handle`](Self::handle) was taken before: it shares the breaker, and
    /// the breaker keeps the name the handle reports.
    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.name = name.to_string();
        }
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<P::Output> {
        let pass = Pass {
            shared: &self.shared,
            ticket: Some(self.shared.admit()?),
        };
        let result = self.inner.call_at(input, ctx, Position::Inner).await;
        let failed = result
            .as_ref()
            .is_err_and(|error| self.shared.config.is_failure(error));
        pass.finish(failed);
        result
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

crate::impl_operators!(impl [P,] for CircuitBreaker<P>);
