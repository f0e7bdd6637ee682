//! Span attributes whose names are not known when the span opens.
//!
//! A `tracing` span records only the fields declared when it opened, and at
//! most 32 of them, most of which the standard primitive fields and the
//! user's `fields(..)` already take. The GenAI attributes of an LLM call
//! (tokens, cost, models, finish reasons) and the ∑ of usage on enclosing
//! spans would not fit, so they go through an [`AttributeSink`] that the
//! layer exporting spans installs: the `tta` exporter sets them on the
//! OpenTelemetry span directly. Without a sink they are skipped, and the
//! same numbers still reach logs (`llm_usage`) and metrics.

use std::sync::OnceLock;

use tracing::Span;

/// The value of one attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttributeValue<'a> {
    /// Text.
    Str(&'a str),
    /// An integer.
    I64(i64),
    /// A float.
    F64(f64),
    /// A flag.
    Bool(bool),
}

impl From<bool> for AttributeValue<'_> {
    fn from(value: bool) -> Self {
        AttributeValue::Bool(value)
    }
}

impl From<u64> for AttributeValue<'_> {
    fn from(value: u64) -> Self {
        AttributeValue::I64(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl<'a> From<&'a str> for AttributeValue<'a> {
    fn from(value: &'a str) -> Self {
        AttributeValue::Str(value)
    }
}

impl From<f64> for AttributeValue<'_> {
    fn from(value: f64) -> Self {
        AttributeValue::F64(value)
    }
}

/// Sets one attribute on a span's exported form.
pub type AttributeSink = fn(&Span, &'static str, AttributeValue<'_>);

static SINK: OnceLock<AttributeSink> = OnceLock::new();

/// Installs the process's [`AttributeSink`]. There is one per process: a
/// second call returns its sink unused.
pub fn set_attribute_sink(sink: AttributeSink) -> Result<(), AttributeSink> {
    SINK.set(sink)
}

/// Whether a sink is installed: without one, callers skip looking up the
/// current span, which costs more than everything else they would do.
pub(crate) fn have_sink() -> bool {
    SINK.get().is_some()
}

/// Sets `key` on `span` through the installed sink, if any.
pub(crate) fn set<'a>(span: &Span, key: &'static str, value: impl Into<AttributeValue<'a>>) {
    if let Some(sink) = SINK.get() {
        sink(span, key, value.into());
    }
}
