//! The log layer: `RUST_LOG`-style filtering and pretty or JSON output,
//! with the trace and span ids of sampled runs.

use std::io::IsTerminal;

use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

use tracing_subscriber::fmt::format::{self as line, JsonFields};

use crate::log_trace_ids::{Style, WithTraceIds};
use crate::settings::LogFormat;

/// Parses a filter such as `info,tta=debug`.
pub(crate) fn filter(directives: &str) -> Result<EnvFilter, String> {
    EnvFilter::builder().parse(directives).map_err(|error| {
        format!("not a valid filter ({error}); for example `info` or `warn,tta=debug`")
    })
}

/// Checks a filter without installing it.
pub(crate) fn validate_filter(directives: &str) -> Result<(), String> {
    filter(directives).map(drop)
}

/// The formatter writing to standard error, or nothing for [`LogFormat::Off`].
pub(crate) fn output<S>(format: LogFormat) -> Option<Box<dyn Layer<S> + Send + Sync>>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    match format {
        LogFormat::Pretty => Some(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .event_format(WithTraceIds::new(
                    line::format().with_target(false),
                    Style::Text,
                ))
                .boxed(),
        ),
        LogFormat::Json => Some(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .fmt_fields(JsonFields::new())
                .event_format(WithTraceIds::new(
                    line::format()
                        .json()
                        .with_current_span(true)
                        .with_span_list(false)
                        .flatten_event(true),
                    Style::Json,
                ))
                .boxed(),
        ),
        LogFormat::Off => None,
    }
}
