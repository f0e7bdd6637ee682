//! Many replicas, one set of limits: TTA.dev's rate limits, cost budgets
//! and cache shared through Redis.
//!
//! With four replicas, a per-process "600 requests a minute" lets 2,400
//! through, and each replica computes the same cached answer again. A
//! [`RedisStore`] makes them one:
//!
//! - **Rate limits**: `p.rate_limit(config).shared(store.rate_limiter("openai", mode))`
//!   admits calls by one schedule (GCRA in a Lua script, atomic on the
//!   server and timed by its clock) across every process naming the same
//!   key; [`OnLimit`](tta_core::resilience::OnLimit) keeps its meaning, and
//!   waiting calls are served in the order they asked.
//! - **Budgets**: [`SharedBudget`] reserves each call's estimated cost
//!   before it runs and settles it to the priced usage after, so replicas
//!   together never overspend.
//! - **Cache**: [`RedisStore::shared_cache`] puts a Redis tier (serde
//!   JSON, with a TTL) behind the process's moka cache, with one upstream
//!   computation per key across all replicas (a `SET NX PX` lease and a
//!   `PUBLISH` wake-up).
//!
//! Every call to Redis is bounded by the store's timeout, connecting
//! included. When Redis is down or slow, each shared primitive follows its
//! [`FailureMode`]: `Open` goes on locally (the process's own limit, an
//! unmetered call, a local computation), `Closed` fails at once with a
//! transient error. Every such decision is counted in
//! `tta_shared_degraded_total`; the tier also records Redis round trips,
//! L2 hits and misses, and leases (see `docs/metrics.md`). When Redis comes
//! back, the shared mode resumes by itself.
//!
//! ```no_run
//! use std::time::Duration;
//! use tta_core::resilience::{CacheConfig, FailureMode, OnLimit, RateLimitConfig};
//! use tta_core::{from_fn, PrimitiveExt};
//! use tta_redis::{RedisStore, SharedTierConfig};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::open("redis://127.0.0.1:6379/")?;
//! let complete = from_fn("complete", |prompt: String, _ctx| async move { Ok(prompt.len()) });
//!
//! // One 600-a-minute limit for every replica.
//! let limited = complete
//!     .rate_limit(RateLimitConfig::per_minute(600.0).on_limit(OnLimit::Wait).build()?)
//!     .shared(store.rate_limiter("openai-rpm", FailureMode::Open));
//!
//! // moka in front of Redis; one computation per prompt across replicas.
//! let cached = store.shared_cache(
//!     limited,
//!     "completions",
//!     |prompt: &String| prompt.clone(),
//!     CacheConfig::builder().max_capacity(10_000).build()?,
//!     SharedTierConfig::ttl(Duration::from_secs(3600)),
//! );
//! cached.run("hello".to_owned()).await?;
//! # Ok(()) }
//! ```

mod budget;
mod cache;
mod degraded;
mod limiter;
mod metrics;
mod store;

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tta_core::llm::Usd;
use tta_core::resilience::{CacheConfig, Cached, SharedRateLimiter};
use tta_core::{Primitive, PrimitiveExt};

pub use budget::SharedBudget;
pub use cache::{SharedTier, SharedTierConfig};
pub use limiter::RedisRateLimiter;
pub use store::{DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisStore, RedisStoreBuilder, StoreError};
pub use tta_core::resilience::FailureMode;

/// How a shared cache names an input: the same string in every replica.
pub type KeyFn<I> = Box<dyn Fn(&I) -> String + Send + Sync>;

/// The two cache tiers [`RedisStore::shared_cache`] builds: the process's
/// moka cache in front of the Redis [`SharedTier`].
pub type SharedCached<P> =
    Cached<SharedTier<P, KeyFn<<P as Primitive>::Input>>, String, KeyFn<<P as Primitive>::Input>>;

impl RedisStore {
    /// A rate limiter shared by every process that names `name` on this
    /// server; give it to [`RateLimit::shared`](tta_core::resilience::RateLimit::shared).
    pub fn rate_limiter(&self, name: &str, mode: FailureMode) -> Arc<dyn SharedRateLimiter> {
        Arc::new(RedisRateLimiter::new(self, name, mode))
    }

    /// `inner`'s calls drawn from the budget ledger `name`, up to `limit`,
    /// each reserving what `estimate` says it may cost; see [`SharedBudget`].
    pub fn budget<P, E>(&self, inner: P, name: &str, limit: Usd, estimate: E) -> SharedBudget<P, E>
    where
        P: Primitive,
        E: Fn(&P::Input) -> Usd + Send + Sync + 'static,
    {
        SharedBudget::new(inner, self, name, limit, estimate)
    }

    /// `inner` behind the Redis tier only, with no cache in the process:
    /// for outputs that must be the same in every replica at every moment,
    /// or to measure the tier. Usually [`shared_cache`](Self::shared_cache).
    pub fn shared_tier<P, K>(
        &self,
        inner: P,
        name: &str,
        key: K,
        config: SharedTierConfig,
    ) -> SharedTier<P, K>
    where
        P: Primitive,
        P::Output: Serialize + DeserializeOwned + Clone + Send + Sync,
        K: Fn(&P::Input) -> String + Send + Sync + 'static,
    {
        SharedTier::new(inner, self, name, key, config)
    }

    /// `inner` behind two cache tiers: the process's moka cache (`local`),
    /// then Redis (`shared`), keyed by `key`, which must give the same
    /// string for the same input in every replica. See [`SharedTier`].
    pub fn shared_cache<P, K>(
        &self,
        inner: P,
        name: &str,
        key: K,
        local: CacheConfig<String, P::Output>,
        shared: SharedTierConfig,
    ) -> SharedCached<P>
    where
        P: Primitive,
        P::Output: Serialize + DeserializeOwned + Clone + Send + Sync,
        K: Fn(&P::Input) -> String + Send + Sync + 'static,
    {
        // One key function for both tiers.
        let key = Arc::new(key);
        let tier_key = Arc::clone(&key);
        let tier_key: KeyFn<P::Input> = Box::new(move |input| tier_key(input));
        let local_key: KeyFn<P::Input> = Box::new(move |input| key(input));
        SharedTier::new(inner, self, name, tier_key, shared).cached_by(local, local_key)
    }
}
