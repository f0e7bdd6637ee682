//! Opt-in capture of prompt and response content on spans, scrubbed and capped.
//!
//! Prompts and responses may hold personal data and secrets, so TTA never
//! records them unless asked: `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`
//! set to `true` (or `SPAN_ONLY`, `SPAN_AND_EVENT`), or
//! [`set_content_capture`]. Even then, every text is scrubbed of bearer
//! tokens, API keys, JWTs, cloud access keys and `password=`-style pairs
//! ([`scrub`]), and cut to [`MAX_CONTENT_BYTES`].

use std::borrow::Cow;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU8, Ordering};

use regex::Regex;
use tracing::Span;

use super::semconv::attributes as attr;
use crate::context::WorkflowContext;
use crate::instrument::attributes;

/// The most bytes of one captured text; longer texts are cut at a
/// character boundary and end with `…[truncated]`.
pub const MAX_CONTENT_BYTES: usize = 8 * 1024;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

const UNSET: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;

static CAPTURE: AtomicU8 = AtomicU8::new(UNSET);

/// Whether content is captured: set by [`set_content_capture`], or read once
/// from `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`. Off by default.
pub fn content_capture() -> bool {
    match CAPTURE.load(Ordering::Relaxed) {
        OFF => false,
        ON => true,
        _ => {
            let value = std::env::var("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT").ok();
            let enabled = asks_for_spans(value.as_deref());
            set_content_capture(enabled);
            enabled
        }
    }
}

/// Whether a `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` value asks
/// for content on spans: `true`, `1`, `SPAN_ONLY` or `SPAN_AND_EVENT`.
fn asks_for_spans(value: Option<&str>) -> bool {
    value.is_some_and(|value| {
        matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "true" | "1" | "span_only" | "span_and_event"
        )
    })
}

/// Turns content capture on or off for the whole process.
pub fn set_content_capture(enabled: bool) {
    CAPTURE.store(if enabled { ON } else { OFF }, Ordering::Relaxed);
}

/// The secrets [`scrub`] removes, most specific first.
const PATTERNS: [&str; 8] = [
    // JSON Web Tokens: three base64url parts, the first two JSON objects.
    r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    // Bearer and Basic credentials in headers or text.
    r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}",
    // Provider keys: OpenAI, Anthropic, Groq, Stripe-style, GitHub, Slack, Google.
    r"\b(?:sk|pk|rk|gsk|xai)[-_][A-Za-z0-9_-]{16,}",
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    r"\bAIza[0-9A-Za-z_-]{35}",
    // AWS access key ids.
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    // `api_key=...`, `"password": "..."`, `secret: ...`.
    r#"(?i)\b(?:api[_-]?key|secret|password|passwd|token|auth)\b["']?\s*[:=]\s*["']?[^\s"',;]{4,}"#,
];

/// The compiled [`PATTERNS`]; a test checks that every one compiles.
static SECRETS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    PATTERNS
        .into_iter()
        .filter_map(|pattern| Regex::new(pattern).ok())
        .collect()
});

/// `text` with every bearer or basic credential, provider API key (OpenAI,
/// Anthropic, Groq, GitHub, Slack, Google), JWT, AWS access key id and
/// `password=`-style pair replaced by [`REDACTED`].
///
/// ```
/// use tta_core::llm::capture::scrub;
///
/// let scrubbed = scrub("call with Authorization: Bearer abcdefghijklmnop and api_key=12345678");
/// assert_eq!(scrubbed, "call with Authorization: [REDACTED] and [REDACTED]");
/// ```
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut scrubbed = Cow::Borrowed(text);
    for secret in SECRETS.iter() {
        if let Cow::Owned(replaced) = secret.replace_all(&scrubbed, REDACTED) {
            scrubbed = Cow::Owned(replaced);
        }
    }
    scrubbed
}

/// `text` cut to [`MAX_CONTENT_BYTES`] at a character boundary.
fn capped(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_CONTENT_BYTES {
        return Cow::Borrowed(text);
    }
    let cut = (0..=MAX_CONTENT_BYTES)
        .rev()
        .find(|&index| text.is_char_boundary(index))
        .unwrap_or(0);
    Cow::Owned(format!("{}…[truncated]", &text[..cut]))
}

/// Records a call's input and output messages (`gen_ai.input.messages`,
/// `gen_ai.output.messages`) on the current span, scrubbed and capped, if
/// content capture is on and the run is sampled. Does nothing otherwise.
pub fn record_content(ctx: &WorkflowContext, input: &str, output: &str) {
    if !ctx.is_sampled() || !content_capture() || !attributes::have_sink() {
        return;
    }
    let span = Span::current();
    for (key, text) in [
        (attr::INPUT_MESSAGES, input),
        (attr::OUTPUT_MESSAGES, output),
    ] {
        let scrubbed = scrub(text);
        attributes::set(&span, key, &*capped(&scrubbed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_values_turn_capture_on() {
        for on in ["true", "TRUE", "1", "SPAN_ONLY", " span_and_event "] {
            assert!(asks_for_spans(Some(on)), "{on}");
        }
        for off in [
            None,
            Some("false"),
            Some("NO_CONTENT"),
            Some("EVENT_ONLY"),
            Some("yes please"),
        ] {
            assert!(!asks_for_spans(off), "{off:?}");
        }
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(SECRETS.len(), PATTERNS.len());
    }

    #[test]
    fn obvious_secrets_are_scrubbed() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        let cases = [
            (format!("token {jwt} here"), "token [REDACTED] here"),
            (
                "key sk-proj-abcdefghijklmnopqrstuv1234".to_owned(),
                "key [REDACTED]",
            ),
            (
                "groq gsk_abcdefghijklmnopqrstuvwx".to_owned(),
                "groq [REDACTED]",
            ),
            (
                "aws AKIAIOSFODNN7EXAMPLE done".to_owned(),
                "aws [REDACTED] done",
            ),
            (
                r#"{"password": "hunter2!"}"#.to_owned(),
                r#"{"[REDACTED]"}"#,
            ),
            (
                "Authorization: Basic dXNlcjpwYXNzd29yZA==".to_owned(),
                "Authorization: [REDACTED]",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(scrub(&text), expected, "{text}");
        }
        assert!(matches!(scrub("nothing secret here"), Cow::Borrowed(_)));
    }

    #[test]
    fn long_texts_are_capped_at_a_character_boundary() {
        let text = "é".repeat(MAX_CONTENT_BYTES);
        let capped = capped(&text);
        assert!(capped.len() <= MAX_CONTENT_BYTES + "…[truncated]".len());
        assert!(capped.ends_with("…[truncated]"));
        assert_eq!(super::capped("short"), "short");
    }
}
