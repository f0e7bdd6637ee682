//! TTA's [`AttributeSink`](tta_core::instrument::AttributeSink) for the
//! OTLP layer: attributes a `tracing` span did not declare (the GenAI usage
//! of an LLM call, the ∑ of usage under a composite) go straight onto the
//! OpenTelemetry span.

use opentelemetry::Value;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tta_core::instrument::AttributeValue;

pub(crate) fn set(span: &tracing::Span, key: &'static str, value: AttributeValue<'_>) {
    let value = match value {
        AttributeValue::Str(text) => Value::from(text.to_owned()),
        AttributeValue::I64(number) => Value::from(number),
        AttributeValue::F64(number) => Value::from(number),
        AttributeValue::Bool(flag) => Value::from(flag),
    };
    span.set_attribute(key, value);
}
