//! `trace_id` and `span_id` on the log lines of sampled runs, so a log line
//! leads to its trace in Jaeger, Tempo or Grafana.
//!
//! The ids are the OpenTelemetry ids of the span the event happened in, as
//! exported; events outside a span, or in a run that was not sampled, get
//! none. It wraps the formatter rather than adding span fields, so that a
//! run pays for the ids only when a line is actually written.

use std::fmt;

use opentelemetry::trace::TraceContextExt;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// How the ids are added to a line of the inner format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// ` trace_id=… span_id=…` before the line's end.
    Text,
    /// `"trace_id":"…","span_id":"…"` as the JSON object's last members.
    Json,
}

pub(crate) struct WithTraceIds<F> {
    inner: F,
    style: Style,
}

impl<F> WithTraceIds<F> {
    pub(crate) fn new(inner: F, style: Style) -> Self {
        Self { inner, style }
    }
}

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some(ids) = sampled_ids() else {
            return self.inner.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let body = line.trim_end_matches('\n');
        let (head, tail) = match self.style {
            Style::Json => match body.strip_suffix('}') {
                Some(head) => (
                    head,
                    format!(",\"trace_id\":\"{}\",\"span_id\":\"{}\"}}", ids.0, ids.1),
                ),
                None => (body, String::new()),
            },
            Style::Text => (body, format!(" trace_id={} span_id={}", ids.0, ids.1)),
        };
        writeln!(writer, "{head}{tail}")
    }
}

/// The hex trace and span ids of the event's span, when its run is sampled.
///
/// The span is the subscriber's current one, not the log layer's: primitive
/// spans are DEBUG, and a log filter such as `warn` hides them from the log
/// layer while the trace layer still records them.
fn sampled_ids() -> Option<(String, String)> {
    let span = tracing::Span::current().id()?;
    let context = tracing::dispatcher::get_default(|dispatch| {
        tracing_opentelemetry::get_otel_context(&span, dispatch)
    })?;
    let otel_span = context.span();
    let span_context = otel_span.span_context();
    (span_context.is_valid() && span_context.is_sampled()).then(|| {
        (
            span_context.trace_id().to_string(),
            span_context.span_id().to_string(),
        )
    })
}
