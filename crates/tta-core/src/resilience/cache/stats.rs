//! The cache's counters: kept as atomics for [`CacheStats`] and exported
//! as the catalog's `tta_cache_*` metrics.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use metrics::Label;
use moka::notification::RemovalCause;

use crate::catalog;
use crate::instrument::{CounterFamily, OwnCounter, OwnGauge, OwnHistogram};
use crate::llm::{UsageTotals, Usd};

/// A snapshot of a cache's counters since it was built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that ran the inner primitive.
    pub misses: u64,
    /// Lookups that waited for another caller's run of the inner primitive.
    pub coalesced: u64,
    /// Every lookup: `hits + misses + coalesced`.
    pub lookups: u64,
    /// `hits / lookups`, or 0 before the first lookup.
    pub hit_rate: f64,
    /// Entries held: counted when stored, uncounted when moka reports their
    /// removal (an expired entry leaves at moka's next housekeeping).
    pub entries: u64,
    /// Entries removed by expiry, capacity or invalidation.
    pub evictions: u64,
    /// Tokens that hits and coalesced waits did not spend again.
    pub saved_tokens: u64,
    /// Money that hits and coalesced waits did not spend again.
    pub saved_cost: Usd,
    /// Computation time that hits and coalesced waits did not run again.
    pub saved_time: Duration,
}

/// The `cause` label values of `tta_cache_evictions_total`, in the order of
/// [`cause_index`].
const CAUSES: [&str; 4] = ["expired", "size", "explicit", "replaced"];

fn cause_index(cause: RemovalCause) -> usize {
    match cause {
        RemovalCause::Expired => 0,
        RemovalCause::Size => 1,
        RemovalCause::Explicit => 2,
        RemovalCause::Replaced => 3,
    }
}

/// What a lookup turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lookup {
    Hit,
    Miss,
    Coalesced,
}

pub(super) struct Telemetry {
    /// The `primitive_name` label: the cache's name when it first runs, so
    /// that a name given by `named` after it was built is the one used.
    name: OnceLock<String>,
    /// Signed: a removal may be reported before its store is counted.
    entry_count: AtomicI64,
    hits: AtomicU64,
    misses: AtomicU64,
    coalesced: AtomicU64,
    evictions: AtomicU64,
    saved_tokens: AtomicU64,
    saved_nanos: AtomicU64,
    saved_micros: AtomicU64,
    saved_tokens_counter: OwnCounter,
    saved_cost_counter: OwnCounter,
    saved_time_histogram: OwnHistogram,
    hit_counter: OwnCounter,
    miss_counter: OwnCounter,
    coalesced_counter: OwnCounter,
    lookup_counter: OwnCounter,
    hit_rate: OwnGauge,
    entries: OwnGauge,
    eviction_counters: CounterFamily,
}

impl Telemetry {
    pub(super) fn new() -> Self {
        let causes = CAUSES.map(|cause| vec![Label::from_static_parts("cause", cause)]);
        Self {
            name: OnceLock::new(),
            entry_count: AtomicI64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            coalesced: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            saved_tokens: AtomicU64::new(0),
            saved_nanos: AtomicU64::new(0),
            saved_micros: AtomicU64::new(0),
            saved_tokens_counter: OwnCounter::new(catalog::CACHE_SAVED_TOKENS_TOTAL),
            saved_cost_counter: OwnCounter::new(catalog::CACHE_SAVED_COST_NANO_USD_TOTAL),
            saved_time_histogram: OwnHistogram::new(catalog::CACHE_SAVED_SECONDS),
            hit_counter: OwnCounter::new(catalog::CACHE_HITS_TOTAL),
            miss_counter: OwnCounter::new(catalog::CACHE_MISSES_TOTAL),
            coalesced_counter: OwnCounter::new(catalog::CACHE_COALESCED_TOTAL),
            lookup_counter: OwnCounter::new(catalog::CACHE_TOTAL),
            hit_rate: OwnGauge::new(catalog::CACHE_HIT_RATE),
            entries: OwnGauge::new(catalog::CACHE_ENTRIES),
            eviction_counters: CounterFamily::new(catalog::CACHE_EVICTIONS_TOTAL, causes),
        }
    }

    /// Fixes the label to `name` on the first run; later calls cost one load.
    pub(super) fn bind_name(&self, name: &str) {
        self.name.get_or_init(|| name.to_owned());
    }

    fn name(&self) -> &str {
        self.name.get().map_or("", String::as_str)
    }

    pub(super) fn record(&self, lookup: Lookup) {
        let (tally, counter) = match lookup {
            Lookup::Hit => (&self.hits, &self.hit_counter),
            Lookup::Miss => (&self.misses, &self.miss_counter),
            Lookup::Coalesced => (&self.coalesced, &self.coalesced_counter),
        };
        tally.fetch_add(1, Ordering::Relaxed);
        counter.increment(self.name());
        self.lookup_counter.increment(self.name());
        self.hit_rate.set(self.name(), self.snapshot().hit_rate);
    }

    /// Credits what a cached computation cost to a lookup that reused it.
    pub(super) fn saved(&self, usage: &UsageTotals, computed_in: Duration) {
        for (tally, counter, amount) in [
            (
                &self.saved_tokens,
                &self.saved_tokens_counter,
                usage.total_tokens(),
            ),
            (
                &self.saved_nanos,
                &self.saved_cost_counter,
                usage.cost.nanos(),
            ),
        ] {
            tally.fetch_add(amount, Ordering::Relaxed);
            counter.increment_by(self.name(), amount);
        }
        let micros = u64::try_from(computed_in.as_micros()).unwrap_or(u64::MAX);
        self.saved_micros.fetch_add(micros, Ordering::Relaxed);
        self.saved_time_histogram
            .record(self.name(), computed_in.as_secs_f64());
    }

    pub(super) fn evicted(&self, cause: RemovalCause) {
        self.evictions.fetch_add(1, Ordering::Relaxed);
        self.eviction_counters
            .increment(self.name(), cause_index(cause));
        // A replaced value leaves its key in the cache.
        if cause != RemovalCause::Replaced {
            let left = self.entry_count.fetch_sub(1, Ordering::Relaxed) - 1;
            self.entries.set(self.name(), left.max(0) as f64);
        }
    }

    /// Counts a stored entry, so `tta_cache_entries` is right at the next
    /// scrape rather than after moka's lazy count catches up.
    pub(super) fn stored(&self) {
        let held = self.entry_count.fetch_add(1, Ordering::Relaxed) + 1;
        self.entries.set(self.name(), held.max(0) as f64);
    }

    pub(super) fn snapshot(&self) -> CacheStats {
        let entries = u64::try_from(self.entry_count.load(Ordering::Relaxed)).unwrap_or(0);
        let hits = self.hits.load(Ordering::Relaxed);
        let misses = self.misses.load(Ordering::Relaxed);
        let coalesced = self.coalesced.load(Ordering::Relaxed);
        let lookups = hits + misses + coalesced;
        CacheStats {
            hits,
            misses,
            coalesced,
            lookups,
            hit_rate: if lookups == 0 {
                0.0
            } else {
                hits as f64 / lookups as f64
            },
            entries,
            evictions: self.evictions.load(Ordering::Relaxed),
            saved_tokens: self.saved_tokens.load(Ordering::Relaxed),
            saved_cost: Usd::from_nanos(self.saved_nanos.load(Ordering::Relaxed)),
            saved_time: Duration::from_micros(self.saved_micros.load(Ordering::Relaxed)),
        }
    }
}
