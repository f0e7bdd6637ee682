//! [`RedisStore`]: one Redis server, reached through one multiplexed
//! connection per process, with every call bounded in time.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;
use tta_core::resilience::Unavailable;

use crate::cache::Wakeups;
use crate::metrics;

/// How long one Redis call may take, connecting included, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);
/// The prefix of every key and channel, by default.
pub const DEFAULT_PREFIX: &str = "tta:";
/// After a failed connection, calls fail at once for this long instead of
/// each waiting for its own timeout.
const RECONNECT_PAUSE: Duration = Duration::from_millis(250);

/// Why a store could not be set up or reached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL does not parse.
    #[error("invalid Redis URL `{url}`: {reason}")]
    Url {
        /// The URL, with any password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting is out of range.
    #[error("invalid Redis store setting `{setting}`: {reason}")]
    Setting {
        /// Which setting.
        setting: &'static str,
        /// Why.
        reason: String,
    },
    /// The server did not answer, or refused us (a wrong password).
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// A Redis server shared by the replicas of a service.
///
/// Cheap to clone: clones share one connection. The connection is made on
/// first use and remade after a failure, by redis-rs's `ConnectionManager`:
/// one multiplexed connection carries every concurrent call of the process,
/// which is how redis-rs recommends async use (a pool of connections buys
/// nothing for short commands and costs a connection per task).
///
/// Every call is bounded by the store's [`timeout`](RedisStoreBuilder::timeout),
/// connecting included, so a hung or unreachable server never hangs a
/// workflow: the shared primitive then follows its
/// [`FailureMode`](tta_core::resilience::FailureMode).
///
/// ```no_run
/// # async fn demo() -> Result<(), tta_redis::StoreError> {
/// let store = tta_redis::RedisStore::builder("redis://127.0.0.1:6379/")
///     .timeout(std::time::Duration::from_millis(100))
///     .prefix("summarizer:")
///     .build()?;
/// store.ping().await?; // fails clearly on a wrong address or password
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    url: String,
    prefix: String,
    timeout: Duration,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    /// Until when calls fail without trying, after a failed connection.
    paused_until: Mutex<Option<Instant>>,
    /// Whether the last call failed: logs once per outage, not per call.
    down: AtomicBool,
    /// Shared-cache waiters, woken by one subscription per process.
    wakeups: Arc<Wakeups>,
}

/// Builds a [`RedisStore`].
///
/// | setting | default |
/// |---|---|
/// | [`timeout`](Self::timeout) | 250 ms per call, connecting included |
/// | [`prefix`](Self::prefix) | `tta:` before every key and channel |
#[derive(Debug)]
#[must_use = "call `build()` to get the store"]
pub struct RedisStoreBuilder {
    url: String,
    timeout: Duration,
    prefix: String,
}

impl RedisStoreBuilder {
    /// How long one call may take, connecting included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Put before every key and channel, to share one server between
    /// services or tests.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Checks the URL and settings; makes no connection.
    pub fn build(self) -> Result<RedisStore, StoreError> {
        let shown = hide_password(&self.url);
        let client = redis::Client::open(self.url.as_str()).map_err(|error| StoreError::Url {
            url: shown.clone(),
            reason: error.to_string(),
        })?;
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(60) {
            return Err(StoreError::Setting {
                setting: "timeout",
                reason: format!(
                    "expected more than 0 and at most 60 s, got {:?}",
                    self.timeout
                ),
            });
        }
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                url: shown,
                prefix: self.prefix,
                timeout: self.timeout,
                connection: tokio::sync::Mutex::new(None),
                paused_until: Mutex::new(None),
                down: AtomicBool::new(false),
                wakeups: Arc::default(),
            }),
        })
    }
}

impl RedisStore {
    /// A store with the default settings; see [`builder`](Self::builder).
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::builder(url).build()
    }

    /// Starts building a store for the server at `url`
    /// (`redis://[:password@]host:port[/db]`).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            timeout: DEFAULT_TIMEOUT,
            prefix: DEFAULT_PREFIX.to_owned(),
        }
    }

    /// The server's URL, password hidden.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The time bound of one call.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Asks the server for `PONG`: a wrong address, a wrong password or a
    /// server that does not answer in time is a clear error.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let pong: String = self
            .call("ping", |mut connection| async move {
                redis::cmd("PING").query_async(&mut connection).await
            })
            .await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(StoreError::Unavailable(Unavailable {
                what: "store",
                reason: format!("PING answered `{pong}`"),
            }))
        }
    }

    pub(crate) fn key(&self, parts: &[&str]) -> String {
        let mut key = self.inner.prefix.clone();
        key.push_str(&parts.join(":"));
        key
    }

    /// Runs one command, bounded by the timeout, and records its round trip.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        command: &'static str,
        f: F,
    ) -> Result<T, Unavailable>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let started = Instant::now();
        let result = tokio::time::timeout(self.inner.timeout, async {
            let connection = self.connection().await?;
            f(connection).await.map_err(|error| describe(&error))
        })
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {:?}", self.inner.timeout)));
        metrics::round_trip(command, started.elapsed(), result.is_ok());
        match result {
            Ok(value) => {
                if self.inner.down.swap(false, Ordering::Relaxed) {
                    tracing::info!(url = %self.inner.url, "redis_available");
                }
                Ok(value)
            }
            Err(reason) => {
                if !self.inner.down.swap(true, Ordering::Relaxed) {
                    tracing::warn!(url = %self.inner.url, %reason, "redis_unavailable");
                }
                Err(Unavailable {
                    what: "store",
                    reason,
                })
            }
        }
    }

    /// The shared connection, made on first use and after a failure.
    async fn connection(&self) -> Result<ConnectionManager, String> {
        let paused = *self.paused();
        if paused.is_some_and(|until| Instant::now() < until) {
            return Err("reconnecting after a failed connection".to_owned());
        }
        let mut slot = self.inner.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.inner.timeout))
            .set_response_timeout(Some(self.inner.timeout))
            .set_number_of_retries(1);
        match ConnectionManager::new_with_config(self.inner.client.clone(), config).await {
            Ok(connection) => {
                *slot = Some(connection.clone());
                *self.paused() = None;
                Ok(connection)
            }
            Err(error) => {
                *self.paused() = Some(Instant::now() + RECONNECT_PAUSE);
                Err(describe(&error))
            }
        }
    }

    fn paused(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.inner
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn client(&self) -> &redis::Client {
        &self.inner.client
    }

    pub(crate) fn wakeups(&self) -> Arc<Wakeups> {
        Arc::clone(&self.inner.wakeups)
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.inner.url)
            .field("prefix", &self.inner.prefix)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// A redis-rs error in one line, naming authentication failures plainly.
fn describe(error: &redis::RedisError) -> String {
    let text = error.to_string();
    if text.contains("WRONGPASS") || text.contains("NOAUTH") || text.contains("invalid password") {
        format!("authentication failed: {text}")
    } else {
        text
    }
}

/// `redis://user:secret@host` as `redis://user:***@host`.
fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            hide_password("redis://:s3cret@h:6379/0"),
            "redis://:***@h:6379/0"
        );
        assert_eq!(hide_password("redis://app:s3cret@h"), "redis://app:***@h");
        assert_eq!(hide_password("redis://h:6379"), "redis://h:6379");
    }

    #[test]
    fn bad_urls_and_settings_are_clear_errors() {
        let error = RedisStore::open("not a url").unwrap_err();
        assert!(matches!(error, StoreError::Url { .. }), "{error}");
        assert!(error.to_string().contains("not a url"));
        let error = RedisStore::open("redis://:hunter2@[::1").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        let error = RedisStore::builder("redis://127.0.0.1/")
            .timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(matches!(
            error,
            StoreError::Setting {
                setting: "timeout",
                ..
            }
        ));
    }
}
