//! The breaker's state machine, free of I/O and of the clock: every method
//! takes the current time, so each transition is tested exactly.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use super::config::{CircuitBreakerConfig, TripOn};

/// Where a circuit breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CircuitState {
    /// Calls pass through; failures are counted.
    Closed,
    /// A limited number of probe calls pass; the rest are rejected.
    HalfOpen,
    /// Every call is rejected until the wait is over.
    Open,
    /// Opened by hand with [`isolate`](super::CircuitBreakerHandle::isolate);
    /// stays open until [`reset`](super::CircuitBreakerHandle::reset).
    Isolated,
}

impl CircuitState {
    /// The `to` label of `tta_circuit_breaker_transitions_total`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::HalfOpen => "half_open",
            CircuitState::Open => "open",
            CircuitState::Isolated => "isolated",
        }
    }

    /// The value of `tta_circuit_breaker_state`: 0 closed, 1 half-open,
    /// 2 open (isolated included, since it rejects calls the same way).
    pub const fn gauge_value(self) -> f64 {
        match self {
            CircuitState::Closed => 0.0,
            CircuitState::HalfOpen => 1.0,
            CircuitState::Open | CircuitState::Isolated => 2.0,
        }
    }

    /// Every state, in label order.
    pub const ALL: [CircuitState; 4] = [
        CircuitState::Closed,
        CircuitState::HalfOpen,
        CircuitState::Open,
        CircuitState::Isolated,
    ];
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

enum Phase {
    Closed(Tally),
    /// `until` is `None` when the wait reaches past what the clock can
    /// represent, such as `open_for(Duration::MAX)`: open until reset.
    Open {
        until: Option<Instant>,
    },
    HalfOpen {
        in_flight: u32,
        successes: u32,
    },
    Isolated,
}

/// Recent outcomes while closed.
#[derive(Default)]
struct Tally {
    consecutive_failures: u32,
    /// `true` for a failure, newest last; only kept for ratio tripping.
    window: VecDeque<bool>,
    failures_in_window: u32,
}

impl Tally {
    fn record(&mut self, failed: bool, trip_on: TripOn) -> bool {
        self.consecutive_failures = if failed {
            self.consecutive_failures + 1
        } else {
            0
        };
        match trip_on {
            TripOn::ConsecutiveFailures(limit) => self.consecutive_failures >= limit,
            TripOn::FailureRatio {
                ratio,
                window,
                min_calls,
            } => {
                self.window.push_back(failed);
                self.failures_in_window += u32::from(failed);
                if self.window.len() > window as usize && self.window.pop_front() == Some(true) {
                    self.failures_in_window -= 1;
                }
                let calls = self.window.len() as u32;
                calls >= min_calls && f64::from(self.failures_in_window) >= ratio * f64::from(calls)
            }
        }
    }
}

/// Proof that a call was admitted, and in which phase. Outcomes of calls
/// admitted before the last transition are ignored: they describe a
/// dependency the breaker has already judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ticket {
    generation: u64,
    probe: bool,
}

/// The state machine.
pub(super) struct Machine {
    trip_on: TripOn,
    open_for: Duration,
    probes: u32,
    phase: Phase,
    generation: u64,
}

impl Machine {
    pub(super) fn new(config: &CircuitBreakerConfig) -> Self {
        Self {
            trip_on: config.trip_on,
            open_for: config.open_for,
            probes: config.half_open_probes,
            phase: Phase::Closed(Tally::default()),
            generation: 0,
        }
    }

    pub(super) fn state(&self) -> CircuitState {
        match self.phase {
            Phase::Closed(_) => CircuitState::Closed,
            Phase::Open { .. } => CircuitState::Open,
            Phase::HalfOpen { .. } => CircuitState::HalfOpen,
            Phase::Isolated => CircuitState::Isolated,
        }
    }

    /// Admits a call or rejects it; also returns the state entered, if any.
    pub(super) fn admit(&mut self, now: Instant) -> (Option<Ticket>, Option<CircuitState>) {
        let mut entered = None;
        if let Phase::Open { until: Some(until) } = self.phase
            && now >= until
        {
            entered = self.enter(Phase::HalfOpen {
                in_flight: 0,
                successes: 0,
            });
        }
        let generation = self.generation;
        let ticket = match &mut self.phase {
            Phase::Closed(_) => Some(Ticket {
                generation,
                probe: false,
            }),
            Phase::HalfOpen { in_flight, .. } if *in_flight < self.probes => {
                *in_flight += 1;
                Some(Ticket {
                    generation,
                    probe: true,
                })
            }
            Phase::HalfOpen { .. } | Phase::Open { .. } | Phase::Isolated => None,
        };
        (ticket, entered)
    }

    /// Records the outcome of an admitted call; returns the state entered, if any.
    pub(super) fn record(
        &mut self,
        ticket: Ticket,
        failed: bool,
        now: Instant,
    ) -> Option<CircuitState> {
        if ticket.generation != self.generation {
            return None;
        }
        let trip_on = self.trip_on;
        let probes = self.probes;
        match &mut self.phase {
            Phase::Closed(tally) => {
                if tally.record(failed, trip_on) {
                    self.open(now)
                } else {
                    None
                }
            }
            Phase::HalfOpen { .. } if failed => self.open(now),
            Phase::HalfOpen {
                in_flight,
                successes,
            } if ticket.probe => {
                *in_flight -= 1;
                *successes += 1;
                if *successes >= probes {
                    self.enter(Phase::Closed(Tally::default()))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Gives back a probe slot whose call was dropped before it finished.
    pub(super) fn release(&mut self, ticket: Ticket) {
        if ticket.probe
            && ticket.generation == self.generation
            && let Phase::HalfOpen { in_flight, .. } = &mut self.phase
        {
            *in_flight = in_flight.saturating_sub(1);
        }
    }

    pub(super) fn isolate(&mut self) -> Option<CircuitState> {
        self.enter(Phase::Isolated)
    }

    pub(super) fn reset(&mut self) -> Option<CircuitState> {
        self.enter(Phase::Closed(Tally::default()))
    }

    fn open(&mut self, now: Instant) -> Option<CircuitState> {
        self.enter(Phase::Open {
            until: now.checked_add(self.open_for),
        })
    }

    /// Moves to `phase`; a new phase invalidates every ticket handed out.
    fn enter(&mut self, phase: Phase) -> Option<CircuitState> {
        let before = self.state();
        self.phase = phase;
        self.generation += 1;
        let after = self.state();
        (before != after).then_some(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn machine(trip_on: TripOn, probes: u32) -> Machine {
        let config = CircuitBreakerConfig::builder()
            .trip_on(trip_on)
            .open_for(10 * SECOND)
            .half_open_probes(probes)
            .build()
            .unwrap();
        Machine::new(&config)
    }

    fn call(machine: &mut Machine, now: Instant, failed: bool) -> Option<CircuitState> {
        let (ticket, _) = machine.admit(now);
        machine.record(ticket.expect("admitted"), failed, now)
    }

    #[test]
    fn consecutive_failures_trip_and_a_success_resets_the_count() {
        let now = Instant::now();
        let mut breaker = machine(TripOn::ConsecutiveFailures(3), 1);
        call(&mut breaker, now, true);
        call(&mut breaker, now, true);
        call(&mut breaker, now, false);
        call(&mut breaker, now, true);
        assert_eq!(call(&mut breaker, now, true), None);
        assert_eq!(call(&mut breaker, now, true), Some(CircuitState::Open));
        assert_eq!(breaker.admit(now).0, None);
    }

    #[test]
    fn an_open_wait_past_the_clock_keeps_the_breaker_open_until_reset() {
        let config = CircuitBreakerConfig::builder()
            .trip_on(TripOn::ConsecutiveFailures(1))
            .open_for(Duration::MAX)
            .build()
            .unwrap();
        let mut breaker = Machine::new(&config);
        let now = Instant::now();
        assert_eq!(call(&mut breaker, now, true), Some(CircuitState::Open));
        assert_eq!(breaker.admit(now + 100 * 365 * 86_400 * SECOND).0, None);
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.reset(), Some(CircuitState::Closed));
        assert!(breaker.admit(now).0.is_some());
    }

    #[test]
    fn ratio_waits_for_min_calls_and_slides_its_window() {
        let now = Instant::now();
        let trip_on = TripOn::FailureRatio {
            ratio: 0.5,
            window: 4,
            min_calls: 4,
        };
        let mut breaker = machine(trip_on, 1);
        // 3 failures of 3 calls: 100 %, but below the minimum throughput.
        for _ in 0..3 {
            assert_eq!(call(&mut breaker, now, true), None);
        }
        let mut breaker = machine(trip_on, 1);
        // Window [ok, ok, ok, fail] = 25 %, then sliding: [ok, ok, fail, ok],
        // [ok, fail, ok, fail] = 50 % trips.
        for failed in [false, false, false, true, false] {
            assert_eq!(call(&mut breaker, now, failed), None);
        }
        assert_eq!(call(&mut breaker, now, true), Some(CircuitState::Open));
    }

    #[test]
    fn open_turns_half_open_after_the_wait_and_admits_limited_probes() {
        let start = Instant::now();
        let mut breaker = machine(TripOn::ConsecutiveFailures(1), 2);
        call(&mut breaker, start, true);
        assert_eq!(breaker.admit(start + 9 * SECOND), (None, None));

        let later = start + 10 * SECOND;
        let (first, entered) = breaker.admit(later);
        assert_eq!(entered, Some(CircuitState::HalfOpen));
        let (second, _) = breaker.admit(later);
        assert_eq!(
            breaker.admit(later),
            (None, None),
            "only two probes at once"
        );

        assert_eq!(breaker.record(first.unwrap(), false, later), None);
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        assert_eq!(
            breaker.record(second.unwrap(), false, later),
            Some(CircuitState::Closed)
        );
    }

    #[test]
    fn a_failed_probe_reopens_and_stale_outcomes_are_ignored() {
        let start = Instant::now();
        let mut breaker = machine(TripOn::ConsecutiveFailures(1), 2);
        call(&mut breaker, start, true);
        let later = start + 10 * SECOND;
        let (first, _) = breaker.admit(later);
        let (second, _) = breaker.admit(later);
        assert_eq!(
            breaker.record(first.unwrap(), true, later),
            Some(CircuitState::Open)
        );
        // The second probe finishes after the breaker reopened: no effect.
        assert_eq!(breaker.record(second.unwrap(), false, later), None);
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[test]
    fn a_dropped_probe_gives_its_slot_back() {
        let start = Instant::now();
        let mut breaker = machine(TripOn::ConsecutiveFailures(1), 1);
        call(&mut breaker, start, true);
        let later = start + 10 * SECOND;
        let (probe, _) = breaker.admit(later);
        assert_eq!(breaker.admit(later).0, None);
        breaker.release(probe.unwrap());
        assert!(breaker.admit(later).0.is_some());
    }

    #[test]
    fn isolation_holds_until_reset() {
        let start = Instant::now();
        let mut breaker = machine(TripOn::ConsecutiveFailures(1), 1);
        assert_eq!(breaker.isolate(), Some(CircuitState::Isolated));
        assert_eq!(breaker.admit(start + 3600 * SECOND).0, None);
        assert_eq!(breaker.reset(), Some(CircuitState::Closed));
        assert!(breaker.admit(start).0.is_some());
    }
}
