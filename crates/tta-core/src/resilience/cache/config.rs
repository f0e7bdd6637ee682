//! [`CacheConfig`]: how much a cache holds and for how long.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::config::ConfigError;

pub(super) type Weigher<K, V> = Arc<dyn Fn(&K, &V) -> u32 + Send + Sync>;

/// The longest TTL or TTI moka accepts; longer ones would panic inside it.
pub const MAX_EXPIRY: Duration = Duration::from_secs(1000 * 365 * 24 * 3600);

/// Capacity and expiry of a [`Cached`](super::Cached) primitive.
///
/// | setting | default |
/// |---|---|
/// | [`max_capacity`](CacheConfigBuilder::max_capacity) | 10 000 entries, or total weight with a weigher |
/// | [`weigher`](CacheConfigBuilder::weigher) | none: every entry weighs 1 |
/// | [`time_to_live`](CacheConfigBuilder::time_to_live) | none |
/// | [`time_to_idle`](CacheConfigBuilder::time_to_idle) | none |
///
/// The cache is always bounded: the Python original's unbounded cache grew
/// until the process died.
///
/// ```
/// use std::time::Duration;
/// use tta_core::resilience::CacheConfig;
///
/// // Up to 50 MB of answers, each kept for at most an hour.
/// let config = CacheConfig::<String, String>::builder()
///     .weigher(|prompt, answer| (prompt.len() + answer.len()).try_into().unwrap_or(u32::MAX))
///     .max_capacity(50_000_000)
///     .time_to_live(Duration::from_secs(3600))
///     .build()?;
/// assert_eq!(config.max_capacity(), 50_000_000);
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
pub struct CacheConfig<K, V> {
    pub(super) max_capacity: u64,
    pub(super) weigher: Option<Weigher<K, V>>,
    pub(super) time_to_live: Option<Duration>,
    pub(super) time_to_idle: Option<Duration>,
}

impl<K, V> CacheConfig<K, V> {
    /// Starts from the defaults in the table above.
    pub fn builder() -> CacheConfigBuilder<K, V> {
        CacheConfigBuilder {
            config: Self::default(),
        }
    }

    /// The most entries, or the most total weight with a weigher.
    pub fn max_capacity(&self) -> u64 {
        self.max_capacity
    }
}

impl<K, V> Default for CacheConfig<K, V> {
    fn default() -> Self {
        Self {
            max_capacity: 10_000,
            weigher: None,
            time_to_live: None,
            time_to_idle: None,
        }
    }
}

impl<K, V> Clone for CacheConfig<K, V> {
    fn clone(&self) -> Self {
        Self {
            max_capacity: self.max_capacity,
            weigher: self.weigher.clone(),
            time_to_live: self.time_to_live,
            time_to_idle: self.time_to_idle,
        }
    }
}

impl<K, V> fmt::Debug for CacheConfig<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheConfig")
            .field("max_capacity", &self.max_capacity)
            .field("weigher", &self.weigher.is_some())
            .field("time_to_live", &self.time_to_live)
            .field("time_to_idle", &self.time_to_idle)
            .finish()
    }
}

/// Builds a [`CacheConfig`]; the defaults are documented there.
#[must_use = "call `build()` to get the configuration"]
pub struct CacheConfigBuilder<K, V> {
    config: CacheConfig<K, V>,
}

impl<K, V> CacheConfigBuilder<K, V> {
    /// The most entries, or the most total weight with a [`weigher`](Self::weigher). At least 1.
    pub fn max_capacity(mut self, capacity: u64) -> Self {
        self.config.max_capacity = capacity;
        self
    }

    /// Weighs each entry, for a capacity in bytes or tokens rather than entries.
    pub fn weigher(mut self, weigher: impl Fn(&K, &V) -> u32 + Send + Sync + 'static) -> Self {
        self.config.weigher = Some(Arc::new(weigher));
        self
    }

    /// Evicts an entry this long after it was stored.
    pub fn time_to_live(mut self, ttl: Duration) -> Self {
        self.config.time_to_live = Some(ttl);
        self
    }

    /// Evicts an entry this long after it was last read or stored.
    pub fn time_to_idle(mut self, tti: Duration) -> Self {
        self.config.time_to_idle = Some(tti);
        self
    }

    /// Checks the settings: an error names the field and the allowed range.
    pub fn build(self) -> Result<CacheConfig<K, V>, ConfigError> {
        let config = self.config;
        if config.max_capacity == 0 {
            return Err(ConfigError::new("max_capacity", "must be at least 1"));
        }
        for (field, expiry) in [
            ("time_to_live", config.time_to_live),
            ("time_to_idle", config.time_to_idle),
        ] {
            if let Some(expiry) = expiry
                && (expiry.is_zero() || expiry > MAX_EXPIRY)
            {
                return Err(ConfigError::new(
                    field,
                    format!("must be greater than zero and at most 1000 years, got {expiry:?}"),
                ));
            }
        }
        Ok(config)
    }
}
