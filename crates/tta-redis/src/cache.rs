//! [`SharedTier`]: a Redis cache tier behind the process's moka cache, with
//! one computation per key across every replica.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Notify;
use tta_core::resilience::{FailureMode, Unavailable};
use tta_core::{
    Error, Graph, Kind, Meta, Position, Primitive, PrimitiveExt, Result, WorkflowContext,
};

use crate::degraded::without_redis;
use crate::metrics;
use crate::store::RedisStore;

/// Deletes the lease only if it is still ours: a holder that overran its
/// lease must not release the next holder's.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// How often a waiter looks again when no wake-up comes (the wake-up
/// channel is down, or the holder died).
const POLL: Duration = Duration::from_millis(25);

/// How [`SharedTier`] names, keeps and leases entries.
///
/// | setting | default |
/// |---|---|
/// | `ttl` | required: how long an entry lives in Redis |
/// | [`lease`](Self::lease) | 30 s: how long one replica may compute a missing entry before another takes over |
/// | [`failure_mode`](Self::failure_mode) | [`FailureMode::Open`]: compute locally when Redis is unavailable |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedTierConfig {
    ttl: Duration,
    lease: Duration,
    mode: FailureMode,
}

impl SharedTierConfig {
    /// Entries live `ttl` in Redis.
    pub fn ttl(ttl: Duration) -> Self {
        Self {
            ttl,
            lease: Duration::from_secs(30),
            mode: FailureMode::Open,
        }
    }

    /// How long one replica may hold the right to compute a missing entry.
    /// It should exceed the computation's usual time; a holder that dies
    /// blocks the others this long at most.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// What to do when Redis is unavailable.
    pub fn failure_mode(mut self, mode: FailureMode) -> Self {
        self.mode = mode;
        self
    }
}

/// Waiters for entries being computed, woken by the holder's `PUBLISH`.
#[derive(Default)]
pub(crate) struct Wakeups {
    waiting: Mutex<HashMap<String, Arc<Notify>>>,
    listening: tokio::sync::OnceCell<()>,
}

impl Wakeups {
    fn notify_for(&self, channel: &str) -> Arc<Notify> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(waiting.entry(channel.to_owned()).or_default())
    }

    fn forget(&self, channel: &str) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = waiting.get(channel)
            && Arc::strong_count(notify) == 1
        {
            waiting.remove(channel);
        }
    }

    fn wake(&self, channel: &str) {
        let waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(notify) = waiting.get(channel) {
            notify.notify_waiters();
        }
    }

    /// Subscribes once per process to every `done` channel of `store`; a
    /// subscription that fails or drops leaves waiters to their polling.
    async fn listen(self: &Arc<Self>, store: &RedisStore) {
        self.listening
            .get_or_init(|| async {
                let wakeups = Arc::clone(self);
                let pattern = store.key(&["done", "*"]);
                let client = store.client().clone();
                let timeout = store.timeout();
                tokio::spawn(async move {
                    use futures_util::StreamExt;
                    let subscribed = tokio::time::timeout(timeout, async {
                        let mut pubsub = client.get_async_pubsub().await?;
                        pubsub.psubscribe(&pattern).await?;
                        Ok::<_, redis::RedisError>(pubsub)
                    })
                    .await;
                    let Ok(Ok(mut pubsub)) = subscribed else {
                        return;
                    };
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        wakeups.wake(message.get_channel_name());
                    }
                });
            })
            .await;
    }
}

/// A Redis tier for `inner`'s results, shared by every replica.
///
/// Build it with [`RedisStore::shared_cache`], which puts the process's
/// moka cache in front of it: a lookup tries moka, then Redis, and only
/// then runs `inner`. Values are serialised with serde (JSON), so the
/// output type must be `Serialize + DeserializeOwned`. A value that no
/// longer deserialises (its type changed between deploys) counts as a
/// miss and is computed again, never returned wrong.
///
/// On a miss, one replica takes a lease (`SET NX PX`) and computes; the
/// others wait for its `PUBLISH` (or look again every 25 ms) and read its
/// value, so every replica together makes one upstream call per key. A
/// holder that dies blocks the others until its lease ends, no longer;
/// one whose call fails releases the lease at once.
pub struct SharedTier<P, K> {
    inner: P,
    key: K,
    store: RedisStore,
    name: String,
    config: SharedTierConfig,
    release: redis::Script,
    wakeups: Arc<Wakeups>,
    /// Registered on first use, after the recorder is installed, and
    /// again under a new name.
    counters: std::sync::OnceLock<metrics::TierCounters>,
    meta: Meta,
}

impl<P, K> SharedTier<P, K>
where
    P: Primitive,
    P::Output: Serialize + DeserializeOwned + Clone + Send + Sync,
    K: Fn(&P::Input) -> String + Send + Sync + 'static,
{
    pub(crate) fn new(
        inner: P,
        store: &RedisStore,
        name: &str,
        key: K,
        config: SharedTierConfig,
    ) -> Self {
        Self {
            meta: Meta::new(
                format!("shared_tier({})", inner.name()),
                Kind::new("shared_cache"),
            ),
            store: store.clone(),
            name: name.to_owned(),
            config,
            release: redis::Script::new(RELEASE),
            wakeups: store.wakeups(),
            counters: std::sync::OnceLock::new(),
            key,
            inner,
        }
    }

    fn counters(&self) -> &metrics::TierCounters {
        self.counters
            .get_or_init(|| metrics::TierCounters::new(self.meta.name()))
    }

    async fn get(&self, key: &str) -> std::result::Result<Option<P::Output>, Unavailable> {
        let bytes: Option<Vec<u8>> = self
            .store
            .call("cache_get", |mut connection| async move {
                redis::cmd("GET")
                    .arg(key)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(Some(value)),
            Err(error) => {
                self.counters().undecodable.increment(1);
                tracing::warn!(key, %error, "shared_cache_value_undecodable");
                Ok(None)
            }
        }
    }

    async fn put(&self, key: &str, done: &str, value: &P::Output) {
        let Ok(bytes) = serde_json::to_vec(value) else {
            return;
        };
        let ttl = u64::try_from(self.config.ttl.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let stored = self
            .store
            .call("cache_set", |mut connection| async move {
                redis::pipe()
                    .cmd("SET")
                    .arg(key)
                    .arg(bytes)
                    .arg("PX")
                    .arg(ttl)
                    .ignore()
                    .cmd("PUBLISH")
                    .arg(done)
                    .arg(1)
                    .ignore()
                    .query_async::<()>(&mut connection)
                    .await
            })
            .await;
        if let Err(error) = stored {
            tracing::warn!(key, %error, "shared_cache_store_failed");
        }
    }

    async fn take_lease(&self, lease: &str, token: &str) -> std::result::Result<bool, Unavailable> {
        let ms = u64::try_from(self.config.lease.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let taken: Option<String> = self
            .store
            .call("lease", |mut connection| async move {
                redis::cmd("SET")
                    .arg(lease)
                    .arg(token)
                    .arg("NX")
                    .arg("PX")
                    .arg(ms)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Ok(taken.is_some())
    }

    async fn release_lease(&self, lease: &str, token: &str, done: &str) {
        let _ = self
            .store
            .call("lease", |mut connection| async move {
                self.release
                    .key(lease)
                    .arg(token)
                    .invoke_async::<i64>(&mut connection)
                    .await?;
                redis::cmd("PUBLISH")
                    .arg(done)
                    .arg(0)
                    .query_async::<i64>(&mut connection)
                    .await
            })
            .await;
    }

    /// What to do when Redis cannot answer.
    async fn degrade(
        &self,
        input: P::Input,
        ctx: &WorkflowContext,
        error: Unavailable,
    ) -> Result<P::Output> {
        let (name, mode) = (self.meta.name(), self.config.mode);
        without_redis(&self.inner, input, ctx, name, "cache", mode, error).await
    }
}

impl<P, K> Primitive for SharedTier<P, K>
where
    P: Primitive,
    P::Output: Serialize + DeserializeOwned + Clone + Send + Sync,
    K: Fn(&P::Input) -> String + Send + Sync + 'static,
{
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
        self.counters = std::sync::OnceLock::new();
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<P::Output> {
        let id = (self.key)(&input);
        let key = self.store.key(&["cache", &self.name, &id]);
        let lease = self.store.key(&["lease", &self.name, &id]);
        let done = self.store.key(&["done", &self.name, &id]);
        match self.get(&key).await {
            Ok(Some(value)) => {
                self.counters().hit.increment(1);
                return Ok(value);
            }
            Ok(None) => self.counters().absent.increment(1),
            Err(error) => return self.degrade(input, ctx, error).await,
        }
        let token = format!("{:032x}", fastrand::u128(..));
        self.wakeups.listen(&self.store).await;
        let wakeup = self.wakeups.notify_for(&done);
        let mut waited = false;
        let outcome = loop {
            // Registered before the lease is tried, so no wake-up is missed.
            let woken = wakeup.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match self.take_lease(&lease, &token).await {
                Ok(true) => {
                    let counters = self.counters();
                    if waited {
                        &counters.expired
                    } else {
                        &counters.won
                    }
                    .increment(1);
                    let result = self.inner.call_at(input, ctx, Position::Inner).await;
                    match &result {
                        Ok(value) => self.put(&key, &done, value).await,
                        Err(_) => self.release_lease(&lease, &token, &done).await,
                    }
                    break result;
                }
                Ok(false) => {
                    if !waited {
                        self.counters().waited.increment(1);
                        waited = true;
                    }
                    let _ = tokio::time::timeout(POLL, woken).await;
                    match self.get(&key).await {
                        Ok(Some(value)) => break Ok(value),
                        Ok(None) => {}
                        Err(error) => break self.degrade(input, ctx, error).await,
                    }
                    if ctx.is_cancelled() {
                        break Err(Error::Cancelled);
                    }
                }
                Err(error) => break self.degrade(input, ctx, error).await,
            }
        };
        self.wakeups.forget(&done);
        outcome
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}
