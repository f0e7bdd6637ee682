//! [`TokenLimitConfig`]: how many tokens a window allows.

use std::time::Duration;

use crate::config::ConfigError;
use crate::resilience::OnLimit;

/// The limit of a [`TokenLimit`](super::TokenLimit): at most `tokens` in
/// any window of `window`, as providers quote tokens per minute (TPM).
///
/// | setting | default |
/// |---|---|
/// | tokens | required: [`per_minute`](Self::per_minute) or [`per_window`](Self::per_window) |
/// | window | 60 s |
/// | [`on_limit`](TokenLimitConfigBuilder::on_limit) | [`OnLimit::Wait`] |
/// | [`max_wait`](TokenLimitConfigBuilder::max_wait) | none: only the context's deadline bounds the wait |
///
/// ```
/// use tta_core::resilience::TokenLimitConfig;
///
/// let config = TokenLimitConfig::per_minute(200_000).build()?;
/// assert_eq!(config.tokens(), 200_000);
/// assert_eq!(TokenLimitConfig::per_minute(0).build().unwrap_err().field(), "tokens");
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenLimitConfig {
    pub(super) tokens: u64,
    pub(super) window: Duration,
    pub(super) on_limit: OnLimit,
    pub(super) max_wait: Option<Duration>,
}

impl TokenLimitConfig {
    /// At most `tokens` in any 60 seconds.
    pub fn per_minute(tokens: u64) -> TokenLimitConfigBuilder {
        Self::per_window(tokens, Duration::from_secs(60))
    }

    /// At most `tokens` in any `window`.
    pub fn per_window(tokens: u64, window: Duration) -> TokenLimitConfigBuilder {
        TokenLimitConfigBuilder {
            config: Self {
                tokens,
                window,
                on_limit: OnLimit::default(),
                max_wait: None,
            },
        }
    }

    /// The tokens a window allows.
    pub fn tokens(&self) -> u64 {
        self.tokens
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// Builds a [`TokenLimitConfig`]; the defaults are documented there.
#[derive(Debug, Clone)]
#[must_use = "call `build()` to get the configuration"]
pub struct TokenLimitConfigBuilder {
    config: TokenLimitConfig,
}

impl TokenLimitConfigBuilder {
    /// Wait for room, or reject.
    pub fn on_limit(mut self, on_limit: OnLimit) -> Self {
        self.config.on_limit = on_limit;
        self
    }

    /// The longest a call waits for room in [`OnLimit::Wait`] mode.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.config.max_wait = Some(max_wait);
        self
    }

    /// Checks the settings: at least one token, and a window longer than
    /// zero and at most 366 days.
    pub fn build(self) -> Result<TokenLimitConfig, ConfigError> {
        let config = self.config;
        if config.tokens == 0 {
            return Err(ConfigError::new("tokens", "must be at least 1"));
        }
        if config.window.is_zero() {
            return Err(ConfigError::new("window", "must be longer than zero"));
        }
        // Every reservation expires at `now + window`; a longer window could
        // overflow the clock, and no provider quotes one.
        if config.window > MAX_WINDOW {
            return Err(ConfigError::new("window", "must be at most 366 days"));
        }
        Ok(config)
    }
}

/// The longest window [`TokenLimitConfigBuilder::build`] accepts.
const MAX_WINDOW: Duration = Duration::from_secs(366 * 24 * 60 * 60);
