//! Log export over OTLP: every log event that passes the log filter also
//! goes to the collector as an OpenTelemetry log record, with the trace and
//! span ids of the span it happened in, so Loki or Grafana Cloud receive
//! logs without scraping standard error.

use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_sdk::logs::{SdkLogger, SdkLoggerProvider};
use tracing::Subscriber;
use tracing_subscriber::filter::Directive;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

use crate::TelemetryError;
use crate::background::Background;
use crate::otlp::{self, Target};
use crate::settings::OtlpProtocol;

/// The exporter's own dependencies log while exporting; forwarding those
/// records would feed the export with itself.
const EXPORT_PLUMBING: [&str; 6] = [
    "hyper=off",
    "hyper_util=off",
    "h2=off",
    "tonic=off",
    "tower=off",
    "opentelemetry=off",
];

pub(crate) fn provider(
    background: &Background,
    target: &Target<'_>,
    service_name: Option<&str>,
) -> Result<SdkLoggerProvider, TelemetryError> {
    let built = match target.protocol {
        OtlpProtocol::Grpc => {
            let _runtime = background.handle().enter();
            target
                .tonic(opentelemetry_otlp::LogExporter::builder().with_tonic())?
                .build()
        }
        OtlpProtocol::HttpProtobuf => target
            .http(
                opentelemetry_otlp::LogExporter::builder().with_http(),
                "/v1/logs",
                background,
            )?
            .build(),
    };
    let exporter = built.map_err(|error| target.error(error))?;
    Ok(SdkLoggerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(otlp::resource(service_name))
        .build())
}

/// The bridge from `tracing` events to log records, behind `filter` and
/// without the export's own plumbing.
pub(crate) fn layer<S>(
    provider: &SdkLoggerProvider,
    mut filter: EnvFilter,
) -> impl Layer<S> + Send + Sync + use<S>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    for directive in EXPORT_PLUMBING {
        if let Ok(directive) = directive.parse::<Directive>() {
            filter = filter.add_directive(directive);
        }
    }
    OpenTelemetryTracingBridge::<SdkLoggerProvider, SdkLogger>::new(provider).with_filter(filter)
}
