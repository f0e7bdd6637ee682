//! Errors for configuration that is rejected when a primitive is built.

use std::borrow::Cow;

/// A configuration value was rejected while building a primitive.
///
/// It names the offending field and says what is allowed, so the message can
/// be shown to whoever wrote the configuration.
///
/// ```
/// let err = tta_core::ConfigError::new("routes", "at least one route is required");
/// assert_eq!(err.to_string(), "invalid `routes`: at least one route is required");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {reason}")]
pub struct ConfigError {
    field: Cow<'static, str>,
    reason: String,
}

impl ConfigError {
    /// A rejected `field`, and why.
    pub fn new(field: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The configuration field that was rejected.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong with it and what would be accepted.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}
