//! The one error type every primitive returns.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::llm::Budget;

#[cfg(feature = "anyhow")]
mod anyhow_source;

/// A boxed error from user code, with its source chain intact.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Shorthand for `Result<T, tta::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a primitive execution failed.
///
/// The set of variants is closed: dashboards and alert rules key on
/// [`Error::kind`], so a new kind is a breaking change on purpose.
///
/// Errors raised by your own code become [`Error::User`] through
/// [`Error::user`] (permanent) or [`Error::transient`] (worth retrying).
/// The original error stays reachable through [`std::error::Error::source`].
///
/// ```
/// use tta_core::{Error, ErrorKind};
///
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "peer reset");
/// let err = Error::transient(io);
/// assert_eq!(err.kind(), ErrorKind::User);
/// assert!(err.is_transient());
/// assert_eq!(err.to_string(), "peer reset");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The execution did not finish within its time limit or the context's deadline.
    #[error("timed out after {after:?}")]
    Timeout {
        /// How long the execution was allowed to run.
        after: Duration,
    },
    /// A circuit breaker rejected the call without running it.
    #[error("circuit `{name}` is open")]
    CircuitOpen {
        /// The breaker's primitive name.
        name: String,
    },
    /// A retry gave up; `last` is the final attempt's error.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// How many attempts ran.
        attempts: u32,
        /// The error of the last attempt.
        #[source]
        last: Box<Error>,
    },
    /// Every alternative failed; the errors are in the order the alternatives ran.
    #[error("all {} alternatives failed{}", errors.len(), AllFailedSummary(errors))]
    AllFailed {
        /// One error per alternative, in order.
        errors: Vec<Error>,
    },
    /// A router had no route for the key and no default route.
    #[error("no route for key `{key}`")]
    NoRoute {
        /// The key the router computed.
        key: String,
    },
    /// The workflow's cancellation token fired, or the execution was dropped.
    #[error("cancelled")]
    Cancelled,
    /// User code panicked; the panic was caught and turned into this error.
    #[error("panicked: {message}")]
    Panicked {
        /// The panic payload, when it was a string.
        message: String,
    },
    /// A rate limiter had no token for the call.
    #[error("rate limited")]
    RateLimited {
        /// When a token is expected to be available, if known.
        retry_after: Option<Duration>,
    },
    /// A bulkhead had no free slot and no room in its queue.
    #[error("bulkhead `{name}` is full")]
    BulkheadFull {
        /// The bulkhead's primitive name.
        name: String,
    },
    /// A saga failed and ran its compensations.
    #[error("compensated after: {error}")]
    Compensated {
        /// The error that triggered the compensations.
        #[source]
        error: Box<Error>,
        /// Errors raised by compensations themselves, in the order they ran.
        compensation_errors: Vec<Error>,
    },
    /// The run's cost or token budget was spent before this execution
    /// started; see [`WorkflowContextBuilder::cost_budget`](crate::WorkflowContextBuilder::cost_budget).
    #[error("budget of {limit} spent ({spent} used)")]
    BudgetExceeded {
        /// The budget.
        limit: Budget,
        /// What the run had used when the execution was refused.
        spent: Budget,
    },
    /// An error from user code.
    #[error("{source}")]
    User {
        /// The user's error.
        source: BoxError,
        /// Whether retrying may help. See [`Error::transient`].
        transient: bool,
    },
}

/// The closed set of error kinds: the `error_kind` metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// [`Error::Timeout`]
    Timeout,
    /// [`Error::CircuitOpen`]
    CircuitOpen,
    /// [`Error::RetriesExhausted`]
    RetriesExhausted,
    /// [`Error::AllFailed`]
    AllFailed,
    /// [`Error::NoRoute`]
    NoRoute,
    /// [`Error::Cancelled`]
    Cancelled,
    /// [`Error::Panicked`]
    Panicked,
    /// [`Error::RateLimited`]
    RateLimited,
    /// [`Error::BulkheadFull`]
    BulkheadFull,
    /// [`Error::Compensated`]
    Compensated,
    /// [`Error::BudgetExceeded`]
    BudgetExceeded,
    /// [`Error::User`]
    User,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::Timeout,
        ErrorKind::CircuitOpen,
        ErrorKind::RetriesExhausted,
        ErrorKind::AllFailed,
        ErrorKind::NoRoute,
        ErrorKind::Cancelled,
        ErrorKind::Panicked,
        ErrorKind::RateLimited,
        ErrorKind::BulkheadFull,
        ErrorKind::Compensated,
        ErrorKind::BudgetExceeded,
        ErrorKind::User,
    ];

    /// The metric label value, in `snake_case`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::RetriesExhausted => "retries_exhausted",
            ErrorKind::AllFailed => "all_failed",
            ErrorKind::NoRoute => "no_route",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Panicked => "panicked",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::BulkheadFull => "bulkhead_full",
            ErrorKind::Compensated => "compensated",
            ErrorKind::BudgetExceeded => "budget_exceeded",
            ErrorKind::User => "user",
        }
    }

    /// Position in [`ErrorKind::ALL`]; used to index per-kind metric handles.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// Wraps a permanent error from user code. Retries skip it by default.
    pub fn user(source: impl Into<BoxError>) -> Self {
        Error::User {
            source: source.into(),
            transient: false,
        }
    }

    /// Wraps an error from user code that is worth retrying, such as a
    /// model provider's "429 Too Many Requests" or "503 Service Unavailable".
    pub fn transient(source: impl Into<BoxError>) -> Self {
        Error::User {
            source: source.into(),
            transient: true,
        }
    }

    /// A permanent user error from a message.
    ///
    /// ```
    /// let err = tta_core::Error::msg("the document is empty");
    /// assert_eq!(err.to_string(), "the document is empty");
    /// ```
    pub fn msg(message: impl fmt::Display) -> Self {
        Error::user(message.to_string())
    }

    /// The kind of this error: the `error_kind` metric label.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::CircuitOpen { .. } => ErrorKind::CircuitOpen,
            Error::RetriesExhausted { .. } => ErrorKind::RetriesExhausted,
            Error::AllFailed { .. } => ErrorKind::AllFailed,
            Error::NoRoute { .. } => ErrorKind::NoRoute,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Panicked { .. } => ErrorKind::Panicked,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::BulkheadFull { .. } => ErrorKind::BulkheadFull,
            Error::Compensated { .. } => ErrorKind::Compensated,
            Error::BudgetExceeded { .. } => ErrorKind::BudgetExceeded,
            Error::User { .. } => ErrorKind::User,
        }
    }

    /// Whether retrying may succeed. This is the default retry predicate.
    ///
    /// Timeouts, rate limiting, a full bulkhead and user errors built with
    /// [`Error::transient`] are transient. An open circuit, a missing route,
    /// cancellation, a panic, a spent budget and permanent user errors are
    /// not: retrying them only adds load, or spends money.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::RateLimited { .. } | Error::BulkheadFull { .. } => true,
            Error::User { transient, .. } => *transient,
            Error::CircuitOpen { .. }
            | Error::RetriesExhausted { .. }
            | Error::AllFailed { .. }
            | Error::NoRoute { .. }
            | Error::Cancelled
            | Error::Panicked { .. }
            | Error::Compensated { .. }
            | Error::BudgetExceeded { .. } => false,
        }
    }

    /// The user error inside, downcast to `E`, if this is an [`Error::User`] of that type.
    ///
    /// ```
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("quota exceeded")]
    /// struct Quota;
    ///
    /// let err = tta_core::Error::user(Quota);
    /// assert!(err.downcast_ref::<Quota>().is_some());
    /// ```
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        match self {
            Error::User { source, .. } => {
                #[cfg(feature = "anyhow")]
                if let Some(anyhow) = source.downcast_ref::<anyhow_source::AnyhowSource>() {
                    return anyhow.find::<E>();
                }
                source.downcast_ref::<E>()
            }
            _ => None,
        }
    }

    /// A copy of this error for callers that shared one failed execution,
    /// such as the callers a cache coalesced onto one miss.
    ///
    /// The kind, transience, structure and messages are kept; a user error's
    /// source becomes its message, because a boxed error cannot be cloned.
    /// The caller that ran the execution keeps the original.
    pub(crate) fn replicate(&self) -> Self {
        match self {
            Error::Timeout { after } => Error::Timeout { after: *after },
            Error::CircuitOpen { name } => Error::CircuitOpen { name: name.clone() },
            Error::RetriesExhausted { attempts, last } => Error::RetriesExhausted {
                attempts: *attempts,
                last: Box::new(last.replicate()),
            },
            Error::AllFailed { errors } => Error::AllFailed {
                errors: errors.iter().map(Error::replicate).collect(),
            },
            Error::NoRoute { key } => Error::NoRoute { key: key.clone() },
            Error::Cancelled => Error::Cancelled,
            Error::Panicked { message } => Error::Panicked {
                message: message.clone(),
            },
            Error::RateLimited { retry_after } => Error::RateLimited {
                retry_after: *retry_after,
            },
            Error::BulkheadFull { name } => Error::BulkheadFull { name: name.clone() },
            Error::Compensated {
                error,
                compensation_errors,
            } => Error::Compensated {
                error: Box::new(error.replicate()),
                compensation_errors: compensation_errors.iter().map(Error::replicate).collect(),
            },
            Error::BudgetExceeded { limit, spent } => Error::BudgetExceeded {
                limit: *limit,
                spent: *spent,
            },
            Error::User { source, transient } => Error::User {
                source: source.to_string().into(),
                transient: *transient,
            },
        }
    }

    /// Turns a caught panic payload into [`Error::Panicked`].
    pub(crate) fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let message = if let Some(text) = payload.downcast_ref::<&'static str>() {
            (*text).to_owned()
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.clone()
        } else {
            "a panic with a non-string payload".to_owned()
        };
        Error::Panicked { message }
    }
}

/// A permanent [`Error::User`], unless the box holds an [`Error`]: then that
/// error, with its kind.
impl From<BoxError> for Error {
    fn from(source: BoxError) -> Self {
        match source.downcast::<Error>() {
            Ok(error) => *error,
            Err(source) => Error::user(source),
        }
    }
}

/// The error types a `#[primitive]` may return besides [`Error`] and types
/// with `Into<Error>`: anything that converts into a
/// `Box<dyn std::error::Error + Send + Sync>`.
///
/// That is every `std::error::Error + Send + Sync + 'static` (a `thiserror`
/// enum, `std::io::Error`), `String`, `&'static str`,
/// `Box<dyn Error + Send + Sync>`, and `anyhow::Error`. The error becomes a
/// permanent [`Error::User`] with its message and source chain; a boxed
/// [`Error`] comes back out as itself, so its kind survives. With the
/// `anyhow` feature, an `anyhow::Error` converts through
/// `From<anyhow::Error> for Error` instead, which also keeps
/// [`Error::downcast_ref`] working on it.
///
/// ```
/// use tta_core::PrimitiveError;
///
/// let err = "the document is empty".into_error();
/// assert_eq!(err.to_string(), "the document is empty");
/// assert!(!err.is_transient());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error type of a primitive",
    label = "this error type is not accepted",
    note = "a primitive returns `tta::Result<T>`, or `Result<T, E>` where `E` is `tta::Error`, a type with `Into<tta::Error>`, any `std::error::Error + Send + Sync + 'static`, `String`, `&'static str`, `Box<dyn Error + Send + Sync>` or `anyhow::Error`",
    note = "a `Box<dyn Error>` must also be `Send + Sync`: write `Box<dyn Error + Send + Sync>`"
)]
pub trait PrimitiveError {
    /// Converts the error into a permanent [`Error::User`].
    fn into_error(self) -> Error;
}

/// How `#[primitive]` converts an error that has no `Into<Error>`: through
/// [`PrimitiveError`]. Generated code uses it; you never need to name it.
#[derive(Debug, Clone, Copy)]
pub struct ErrorConversion;

impl ErrorConversion {
    /// [`PrimitiveError::into_error`].
    pub fn convert<E: PrimitiveError>(self, error: E) -> Error {
        error.into_error()
    }
}

#[diagnostic::do_not_recommend]
impl<E: Into<BoxError>> PrimitiveError for E {
    fn into_error(self) -> Error {
        Error::from(self.into())
    }
}

/// Renders `: first; second` after the count of an [`Error::AllFailed`].
struct AllFailedSummary<'a>(&'a [Error]);

impl fmt::Display for AllFailedSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            let separator = if index == 0 { ": " } else { "; " };
            write!(f, "{separator}[{index}] {error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_distinct_and_indexed_in_order() {
        for (index, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), index);
        }
        let labels: std::collections::HashSet<_> =
            ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(labels.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn user_errors_keep_their_source_chain() {
        let io = std::io::Error::other("disk on fire");
        let err = Error::user(io);
        let source = StdError::source(&err).expect("source kept");
        assert_eq!(source.to_string(), "disk on fire");
        assert!(err.downcast_ref::<std::io::Error>().is_some());
    }

    #[test]
    fn transience_follows_the_documented_table() {
        assert!(
            Error::Timeout {
                after: Duration::from_secs(1)
            }
            .is_transient()
        );
        assert!(Error::RateLimited { retry_after: None }.is_transient());
        assert!(Error::transient("503").is_transient());
        assert!(!Error::user("bad input").is_transient());
        assert!(!Error::CircuitOpen { name: "cb".into() }.is_transient());
        assert!(!Error::NoRoute { key: "x".into() }.is_transient());
        assert!(!Error::Cancelled.is_transient());
    }

    #[test]
    fn all_failed_lists_every_error_in_order() {
        let err = Error::AllFailed {
            errors: vec![Error::msg("first"), Error::Cancelled],
        };
        assert_eq!(
            err.to_string(),
            "all 2 alternatives failed: [0] first; [1] cancelled"
        );
    }

    #[test]
    fn replicas_keep_kind_transience_and_message() {
        let original = Error::RetriesExhausted {
            attempts: 3,
            last: Box::new(Error::transient("503 from provider")),
        };
        let replica = original.replicate();
        assert_eq!(replica.kind(), ErrorKind::RetriesExhausted);
        assert_eq!(replica.to_string(), original.to_string());
        let Error::RetriesExhausted { last, .. } = replica else {
            unreachable!("replicate keeps the variant")
        };
        assert!(last.is_transient());
    }

    #[test]
    fn panic_payloads_become_messages() {
        let boxed: Box<dyn std::any::Any + Send> = Box::new("boom");
        assert_eq!(Error::from_panic(&*boxed).to_string(), "panicked: boom");
        let boxed: Box<dyn std::any::Any + Send> = Box::new(String::from("bang"));
        assert_eq!(Error::from_panic(&*boxed).to_string(), "panicked: bang");
        let boxed: Box<dyn std::any::Any + Send> = Box::new(42_u8);
        assert_eq!(
            Error::kind(&Error::from_panic(&*boxed)),
            ErrorKind::Panicked
        );
    }
}
