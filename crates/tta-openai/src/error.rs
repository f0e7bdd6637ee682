//! [`ProviderError`]: why a provider did not answer, and which
//! [`tta_core::Error`] it becomes.

use std::time::{Duration, SystemTime};

use http::header::RETRY_AFTER;
use http::{HeaderMap, StatusCode};
use tta_core::Error;

use crate::wire::ErrorBody;

/// The longest provider message kept in an error: enough to act on, short
/// enough for a log line.
const MESSAGE_LIMIT: usize = 300;

/// A failed chat completion, as the provider or the network reported it.
///
/// It reaches callers inside a [`tta_core::Error`] of the right kind:
///
/// | what happened | `tta_core::Error` | retried by default |
/// |---|---|---|
/// | HTTP 429 | `RateLimited { retry_after }` from `retry-after-ms` or `retry-after` | yes |
/// | HTTP 5xx, 408, connection refused or reset | `User` (transient) with this error | yes |
/// | no answer within the request timeout | `Timeout` | yes |
/// | other HTTP 4xx (bad key, unknown model, context too long) | `User` (permanent) with the provider's message | no |
/// | a body that is not a chat completion (garbage, truncated, negative counts) | `User` (transient) with this error | yes |
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The provider answered with an error status.
    #[error("{provider} answered HTTP {status}: {message}")]
    Status {
        /// The provider's name.
        provider: String,
        /// The HTTP status.
        status: u16,
        /// The provider's own message, shortened.
        message: String,
    },
    /// The request did not reach the provider or its answer was cut off.
    #[error("cannot reach {provider} at {url}: {reason}")]
    Connect {
        /// The provider's name.
        provider: String,
        /// The endpoint.
        url: String,
        /// What the transport said.
        reason: String,
    },
    /// The provider answered 2xx with a body that is not a chat completion.
    #[error(
        "{provider} answered with a body that is not a chat completion ({bytes} bytes): {reason}"
    )]
    InvalidResponse {
        /// The provider's name.
        provider: String,
        /// The body's size; its content is not kept, as it may hold personal data.
        bytes: usize,
        /// Why it could not be read.
        reason: String,
    },
}

/// Turns a non-success answer into the error of its kind.
pub(crate) fn from_status(
    provider: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Error::RateLimited {
            retry_after: retry_after(headers),
        };
    }
    let error = ProviderError::Status {
        provider: provider.to_owned(),
        status: status.as_u16(),
        message: provider_message(body),
    };
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        Error::transient(error)
    } else {
        Error::user(error)
    }
}

/// The provider's `error.message`, or the start of the body.
fn provider_message(body: &[u8]) -> String {
    let message = serde_json::from_slice::<ErrorBody>(body)
        .map(|parsed| parsed.error.message)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned());
    let message = message.trim();
    if message.is_empty() {
        return "(no message)".to_owned();
    }
    match message.char_indices().nth(MESSAGE_LIMIT) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

/// OpenAI's `retry-after-ms`, else the standard `retry-after` in seconds or
/// as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(millis) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(millis / 1e3).ok();
    }
    let value = header(RETRY_AFTER.as_str())?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        // Negative, NaN or past `Duration::MAX`: no usable hint.
        return Duration::try_from_secs_f64(seconds).ok();
    }
    httpdate::parse_http_date(value)
        .ok()?
        .duration_since(SystemTime::now())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn retry_after_prefers_milliseconds_then_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&headers), None);
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(retry_after(&headers), None, "a date in the past is no wait");
    }

    #[test]
    fn a_retry_hint_past_duration_max_or_not_a_number_is_ignored() {
        for garbage in ["1e30", "NaN", "inf", "-0.5"] {
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", HeaderValue::from_static(garbage));
            assert_eq!(retry_after(&headers), None, "retry-after: {garbage}");
            let mut headers = HeaderMap::new();
            headers.insert("retry-after-ms", HeaderValue::from_static(garbage));
            assert_eq!(retry_after(&headers), None, "retry-after-ms: {garbage}");
        }
    }

    #[test]
    fn provider_messages_are_read_and_shortened() {
        assert_eq!(
            provider_message(br#"{"error": {"message": "Invalid API key", "type": "auth"}}"#),
            "Invalid API key"
        );
        assert_eq!(provider_message(b"  "), "(no message)");
        let long = "x".repeat(1_000);
        assert_eq!(
            provider_message(long.as_bytes()).chars().count(),
            MESSAGE_LIMIT + 1
        );
    }
}
