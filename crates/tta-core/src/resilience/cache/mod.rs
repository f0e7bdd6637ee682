//! [`Cached`]: answer repeated inputs from a bounded moka cache.

mod config;
mod stats;

use std::borrow::Cow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

pub use config::{CacheConfig, CacheConfigBuilder, MAX_EXPIRY};
pub use stats::CacheStats;

use stats::{Lookup, Telemetry};

use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::frame::measure;
use crate::instrument::{Kind, Meta, Position, fields, primitive_event, record_on_own_span};
use crate::llm::UsageTotals;
use crate::primitive::{Primitive, PrimitiveExt};

/// The key function of a cache keyed by its input.
pub type InputKey<I> = fn(&I) -> I;

/// Answers an input it has seen from memory, and otherwise runs its inner
/// primitive and keeps the output.
///
/// - Backed by moka's async cache: bounded by capacity or weight, with
///   optional time to live and time to idle ([`CacheConfig`]).
/// - **Concurrent misses on one key run the inner primitive once**; the
///   other callers wait for that result and are counted as coalesced.
/// - **Errors are never cached.** A caller that waited on a failed run gets
///   a copy of its error with the same kind, transience and message.
///   Outputs such as `None` or an empty list are values, and are cached.
/// - **Savings are counted in money, tokens and time.** Each entry remembers
///   what computing it cost: the model calls reported inside it
///   ([`WorkflowContext::record_usage`]) and how long it ran. Every hit and
///   every coalesced wait credits that to `tta_cache_saved_tokens_total`,
///   `tta_cache_saved_cost_nano_usd_total` and
///   `tta_cache_saved_seconds` (a histogram: one sample per hit), and to
///   [`CacheStats`].
/// - Metrics: `tta_cache_hits_total`, `tta_cache_misses_total`,
///   `tta_cache_coalesced_total`, `tta_cache_total`, `tta_cache_hit_rate`,
///   `tta_cache_entries` and `tta_cache_evictions_total{cause}`. The span
///   records `tta.cache.hit`; `cache_hit`, `cache_miss` and `cache_store`
///   are logged at DEBUG with the key as a hash, never the key itself.
/// - [`stats`](Self::stats) returns the same numbers to code.
///
/// ```
/// use tta_core::{from_fn, PrimitiveExt};
/// use tta_core::resilience::CacheConfig;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let embed = from_fn("embed", |text: String, _ctx| async move { Ok(text.len() as f32) });
/// // Key on the normalised prompt, so " Hi" and "hi" share an entry.
/// let cached = embed.cached_by(CacheConfig::builder().max_capacity(1_000).build()?, |text: &String| {
///     text.trim().to_lowercase()
/// });
///
/// cached.run("hi".to_owned()).await?;
/// cached.run(" Hi".to_owned()).await?;
/// let stats = cached.stats();
/// assert_eq!((stats.hits, stats.misses), (1, 1));
/// # Ok(())
/// # }
/// ```
pub struct Cached<P: Primitive, K, F> {
    inner: P,
    key: F,
    /// Hashed with foldhash, randomly seeded like the standard SipHash but
    /// several times faster on the short keys caches see.
    cache: moka::future::Cache<K, Entry<P::Output>, foldhash::fast::RandomState>,
    telemetry: Arc<Telemetry>,
    meta: Meta,
}

impl<P, K, F> Cached<P, K, F>
where
    P: Primitive,
    P::Output: Clone + Sync,
    K: Hash + Eq + Send + Sync + 'static,
    F: Fn(&P::Input) -> K + Send + Sync + 'static,
{
    /// Caches `inner`'s outputs under `key(input)`. Same as
    /// [`PrimitiveExt::cached_by`].
    pub fn new(inner: P, config: CacheConfig<K, P::Output>, key: F) -> Self {
        let name = format!("cache({})", inner.name());
        let telemetry = Arc::new(Telemetry::new());
        let listener = Arc::clone(&telemetry);
        let mut builder = moka::future::Cache::builder()
            .max_capacity(config.max_capacity)
            .eviction_listener(move |_key, _value, cause| listener.evicted(cause));
        if let Some(weigher) = config.weigher {
            builder = builder
                .weigher(move |key: &K, entry: &Entry<P::Output>| weigher(key, &entry.value));
        }
        if let Some(ttl) = config.time_to_live {
            builder = builder.time_to_live(ttl);
        }
        if let Some(tti) = config.time_to_idle {
            builder = builder.time_to_idle(tti);
        }
        Self {
            inner,
            key,
            cache: builder.build_with_hasher(foldhash::fast::RandomState::default()),
            telemetry,
            meta: Meta::new(name, Kind::CACHE),
        }
    }

    /// The cache's counters since it was built.
    pub fn stats(&self) -> CacheStats {
        self.telemetry.snapshot()
    }

    /// Applies pending expiries and evictions now, which reports them to
    /// the eviction counters and `tta_cache_entries`. moka does this as the
    /// cache is used; call it before reading [`stats`](Self::stats) in a
    /// test that waits for an expiry.
    pub async fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks().await;
    }

    /// Drops every entry; they count as `explicit` evictions.
    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
    }

    /// The cached primitive.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    fn lookup_done(&self, ctx: &WorkflowContext, lookup: Lookup) {
        self.telemetry.record(lookup);
        record_on_own_span(ctx, fields::CACHE_HIT, lookup == Lookup::Hit);
    }
}

/// A cached output and what computing it cost.
#[derive(Clone)]
struct Entry<V> {
    value: V,
    usage: UsageTotals,
    computed_in: Duration,
}

/// A key as it appears in logs: a hash, because keys are often prompts that
/// may hold personal data.
struct KeyHash(u64);

impl KeyHash {
    fn of(key: &impl Hash) -> Self {
        // Fixed keys, so one key hashes the same way in every log line.
        Self(std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().hash_one(key))
    }
}

impl fmt::Display for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl<P, K, F> Primitive for Cached<P, K, F>
where
    P: Primitive,
    P::Output: Clone + Sync,
    K: Hash + Eq + Send + Sync + 'static,
    F: Fn(&P::Input) -> K + Send + Sync + 'static,
{
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<P::Output> {
        self.telemetry.bind_name(self.meta.name());
        let key = (self.key)(&input);
        if let Some(entry) = self.cache.get(&key).await {
            self.lookup_done(ctx, Lookup::Hit);
            self.telemetry.saved(&entry.usage, entry.computed_in);
            primitive_event!(debug, "cache_hit", self.meta, ctx, key_hash = %KeyHash::of(&key));
            return Ok(entry.value);
        }
        let key_hash = KeyHash::of(&key);
        // moka runs the init future of one caller per key and makes the
        // others wait for it; `ran` tells this caller which one it was. The
        // owner keeps its original error; waiters get a replica.
        let mut ran = false;
        let mut original_error = None;
        let init = async {
            ran = true;
            primitive_event!(debug, "cache_miss", self.meta, ctx, key_hash = %key_hash);
            let started = Instant::now();
            let (outcome, usage) = measure(self.inner.call_at(input, ctx, Position::Inner)).await;
            match outcome {
                Ok(value) => Ok(Entry {
                    value,
                    usage,
                    computed_in: started.elapsed(),
                }),
                Err(error) => {
                    let replica = error.replicate();
                    original_error = Some(error);
                    Err(replica)
                }
            }
        };
        let outcome = self.cache.entry(key).or_try_insert_with(init).await;
        self.lookup_done(ctx, if ran { Lookup::Miss } else { Lookup::Coalesced });
        match outcome {
            Ok(entry) => {
                if entry.is_fresh() {
                    primitive_event!(debug, "cache_store", self.meta, ctx, key_hash = %key_hash);
                    self.telemetry.stored();
                }
                let entry = entry.into_value();
                if !ran {
                    self.telemetry.saved(&entry.usage, entry.computed_in);
                }
                Ok(entry.value)
            }
            Err(shared) => Err(original_error.unwrap_or_else(|| shared.replicate())),
        }
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}

crate::impl_operators!(impl [P, K, F,] for Cached<P, K, F> where [P: Primitive]);
