//! The sliding-window ledger behind [`TokenLimit`](super::TokenLimit): a
//! pure state machine that takes the time as an argument.
//!
//! Every admitted call is an entry: the time it was admitted and the tokens
//! billed to it. Entries are added at the current time only, so they are in
//! time order, and only when the window ending now has room. Checking the
//! window that *ends* at each entry is enough: any window holds the entries
//! of the trailing window of its last entry, or fewer. Lowering an entry (a
//! refund) only ever makes room, so reconciling with the real usage keeps
//! the guarantee.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
struct Entry {
    id: u64,
    at: Instant,
    tokens: u64,
}

/// A reservation in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reserved {
    id: u64,
}

#[derive(Debug)]
pub(super) struct Ledger {
    limit: u64,
    window: Duration,
    entries: VecDeque<Entry>,
    next_id: u64,
}

impl Ledger {
    pub(super) fn new(limit: u64, window: Duration) -> Self {
        Self {
            limit,
            window,
            entries: VecDeque::new(),
            next_id: 0,
        }
    }

    /// The earliest time from `now` when the window ending then has room
    /// for `tokens`, if nothing is refunded before; `None` if `tokens` is
    /// more than a whole window allows.
    pub(super) fn earliest(&mut self, tokens: u64, now: Instant) -> Option<Instant> {
        if tokens > self.limit {
            return None;
        }
        self.forget_before(now);
        let mut at = now;
        let mut billed: u64 = self
            .entries
            .iter()
            .filter(|entry| entry.at + self.window > at)
            .map(|entry| entry.tokens)
            .sum();
        // Let the oldest entries of the window expire, one by one, until it
        // has room.
        for entry in &self.entries {
            if billed + tokens <= self.limit {
                break;
            }
            if entry.at + self.window > at {
                at = entry.at + self.window;
                billed -= entry.tokens;
            }
        }
        Some(at)
    }

    /// Bills `tokens` at `at`: the current time, when
    /// [`earliest`](Self::earliest) says it has room.
    pub(super) fn reserve(&mut self, tokens: u64, at: Instant) -> Reserved {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push_back(Entry { id, at, tokens });
        Reserved { id }
    }

    /// Sets what the reservation really used.
    pub(super) fn settle(&mut self, reserved: Reserved, tokens: u64) {
        if let Some(entry) = self.find(reserved.id) {
            entry.tokens = tokens;
        }
    }

    fn find(&mut self, id: u64) -> Option<&mut Entry> {
        let index = self
            .entries
            .binary_search_by_key(&id, |entry| entry.id)
            .ok()?;
        self.entries.get_mut(index)
    }

    /// Drops entries that no window from `now` on can hold.
    fn forget_before(&mut self, now: Instant) {
        while self
            .entries
            .front()
            .is_some_and(|entry| entry.at + self.window <= now)
        {
            self.entries.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn fills_the_window_then_waits_for_the_oldest_to_expire() {
        let start = Instant::now();
        let mut ledger = Ledger::new(100, MINUTE);
        for _ in 0..4 {
            let at = ledger.earliest(25, start).expect("fits");
            assert_eq!(at, start);
            ledger.reserve(25, at);
        }
        // Full: the next 25 fit when the first 25 leave the window.
        assert_eq!(ledger.earliest(25, start), Some(start + MINUTE));
        // 60 need three entries to leave.
        assert_eq!(ledger.earliest(60, start), Some(start + MINUTE));
        assert_eq!(ledger.earliest(101, start), None);
    }

    #[test]
    fn a_refund_makes_room_at_once() {
        let start = Instant::now();
        let mut ledger = Ledger::new(100, MINUTE);
        let first = ledger.reserve(80, start);
        assert_eq!(ledger.earliest(50, start), Some(start + MINUTE));
        ledger.settle(first, 30);
        assert_eq!(ledger.earliest(50, start), Some(start));
        ledger.settle(first, 0);
        assert_eq!(ledger.earliest(100, start), Some(start));
    }
}
