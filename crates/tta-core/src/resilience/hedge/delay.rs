//! When a [`Hedge`](super::Hedge) starts its second attempt: after a fixed
//! delay, or after a percentile of the recent times to answer.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Answers kept for the adaptive delay.
const WINDOW: usize = 256;
/// Answers needed before the percentile replaces the initial delay.
const MIN_SAMPLES: usize = 20;
/// The percentile is computed again after this many new answers: sorting
/// on every call would cost more than the rest of the hedge.
const RECOMPUTE_EVERY: u32 = 16;

/// How long a [`Hedge`](super::Hedge) waits before its second attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HedgeDelay {
    /// Always this long.
    Fixed(Duration),
    /// The `percentile` (0 < p < 1) of the last 256 times to answer, never
    /// below `min`; `initial` until 20 answers have been seen.
    Adaptive {
        /// Which percentile of recent times to answer: 0.95 hedges about
        /// one call in twenty.
        percentile: f64,
        /// The delay before enough answers have been seen.
        initial: Duration,
        /// The shortest delay, whatever the percentile says.
        min: Duration,
    },
}

/// The recent times to answer, and the delay they give.
pub(super) struct Tracker {
    delay: HedgeDelay,
    state: Mutex<Recent>,
}

struct Recent {
    samples: Vec<Duration>,
    next: usize,
    since_recompute: u32,
    current: Duration,
}

impl Tracker {
    pub(super) fn new(delay: HedgeDelay) -> Self {
        let current = match delay {
            HedgeDelay::Fixed(delay) => delay,
            HedgeDelay::Adaptive { initial, .. } => initial,
        };
        Self {
            delay,
            state: Mutex::new(Recent {
                samples: Vec::new(),
                next: 0,
                since_recompute: 0,
                current,
            }),
        }
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        // Every change leaves the samples valid: a poisoned lock is sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long to wait before hedging the next call.
    pub(super) fn delay(&self) -> Duration {
        match self.delay {
            HedgeDelay::Fixed(delay) => delay,
            HedgeDelay::Adaptive { .. } => self.recent().current,
        }
    }

    /// Records how long a call took to answer.
    pub(super) fn observe(&self, elapsed: Duration) {
        let HedgeDelay::Adaptive {
            percentile, min, ..
        } = self.delay
        else {
            return;
        };
        let mut recent = self.recent();
        if recent.samples.len() < WINDOW {
            recent.samples.push(elapsed);
        } else {
            let next = recent.next;
            recent.samples[next] = elapsed;
        }
        recent.next = (recent.next + 1) % WINDOW;
        recent.since_recompute += 1;
        let enough = recent.samples.len() >= MIN_SAMPLES;
        if enough
            && (recent.since_recompute >= RECOMPUTE_EVERY || recent.samples.len() == MIN_SAMPLES)
        {
            recent.since_recompute = 0;
            let mut sorted = recent.samples.clone();
            let last = sorted.len() - 1;
            let rank = ((last as f64 * percentile).round() as usize).min(last);
            let (_, at, _) = sorted.select_nth_unstable(rank);
            recent.current = (*at).max(min);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adaptive_delay_follows_the_percentile_once_enough_answers_are_seen() {
        let tracker = Tracker::new(HedgeDelay::Adaptive {
            percentile: 0.95,
            initial: Duration::from_secs(1),
            min: Duration::from_millis(5),
        });
        for _ in 0..19 {
            tracker.observe(Duration::from_millis(50));
        }
        assert_eq!(
            tracker.delay(),
            Duration::from_secs(1),
            "too few answers yet"
        );
        tracker.observe(Duration::from_millis(50));
        assert_eq!(tracker.delay(), Duration::from_millis(50));
        for i in 0..WINDOW as u64 {
            tracker.observe(Duration::from_millis(i + 1));
        }
        let delay = tracker.delay();
        assert!(
            (Duration::from_millis(240)..=Duration::from_millis(245)).contains(&delay),
            "the 95th of 1..=256 ms, got {delay:?}"
        );
        for _ in 0..WINDOW {
            tracker.observe(Duration::from_micros(10));
        }
        assert_eq!(tracker.delay(), Duration::from_millis(5), "never below min");
    }

    #[test]
    fn a_fixed_delay_ignores_answers() {
        let tracker = Tracker::new(HedgeDelay::Fixed(Duration::from_millis(300)));
        for _ in 0..100 {
            tracker.observe(Duration::from_millis(1));
        }
        assert_eq!(tracker.delay(), Duration::from_millis(300));
    }
}
