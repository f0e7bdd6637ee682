//! The log layer: `RUST_LOG`-style filtering and pretty or JSON output.

use std::io::IsTerminal;

use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

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
                .with_target(false)
                .boxed(),
        ),
        LogFormat::Json => Some(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(std::io::stderr)
                .with_current_span(true)
                .with_span_list(false)
                .flatten_event(true)
                .boxed(),
        ),
        LogFormat::Off => None,
    }
}
