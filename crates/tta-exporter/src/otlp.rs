//! OTLP span export: the tracer provider and its exporter, which counts the
//! spans it fails to deliver in `tta_spans_dropped_total`.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, SpanData, SpanExporter};
use tta_core::catalog;

use std::collections::HashMap;

use opentelemetry_otlp::tonic_types::metadata::MetadataMap;
use opentelemetry_otlp::tonic_types::transport::{Certificate, ClientTlsConfig};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tta_http::Transport;

use crate::TelemetryError;
use crate::background::Background;
use crate::otlp_http::OtlpHttpClient;
use crate::sampler::RunSampler;
use crate::settings::OtlpProtocol;
use crate::span_attributes;
use crate::trace_link::{self, RunIds};

/// Wraps the OTLP exporter: a failed export loses its batch, so the batch
/// is counted, and the first failure is logged at WARN (later ones at
/// DEBUG, so an unreachable collector does not flood the logs).
struct Counted<E> {
    inner: E,
    endpoint: String,
    warned: AtomicBool,
}

impl<E> fmt::Debug for Counted<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counted")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl<E: SpanExporter> SpanExporter for Counted<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len() as u64;
        let result = self.inner.export(batch).await;
        if let Err(error) = &result {
            metrics::counter!(catalog::SPANS_DROPPED_TOTAL).increment(spans);
            if self.warned.swap(true, Ordering::Relaxed) {
                tracing::debug!(endpoint = %self.endpoint, spans, %error, "otlp_export_failed");
            } else {
                tracing::warn!(
                    endpoint = %self.endpoint,
                    spans,
                    %error,
                    "otlp_export_failed: spans are dropped and counted in tta_spans_dropped_total until the collector is reachable"
                );
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// The HTTP exporter posts to `/v1/traces` under the collector's address.
/// gRPC metadata from the header list, already validated by the settings.
fn metadata(headers: &[(String, String)]) -> Result<MetadataMap, String> {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        let name =
            http::HeaderName::from_bytes(name.as_bytes()).map_err(|error| error.to_string())?;
        let value = http::HeaderValue::from_str(value).map_err(|error| error.to_string())?;
        map.insert(name, value);
    }
    Ok(MetadataMap::from_headers(map))
}

/// TLS trusting the PEM certificates, or else the platform's roots and
/// Mozilla's.
fn tls_config(roots_pem: Option<&[u8]>) -> ClientTlsConfig {
    match roots_pem {
        Some(pem) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
        None => ClientTlsConfig::new().with_enabled_roots(),
    }
}

/// Every certificate in a PEM bundle; none is an error.
pub(crate) fn parse_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("unreadable PEM: {error}"))?;
    if certificates.is_empty() {
        return Err("no PEM certificate found".to_owned());
    }
    Ok(certificates)
}

/// `{endpoint}/v1/traces` or `/v1/logs`, unless the endpoint names it.
fn signal_url(endpoint: &str, path: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    if base.ends_with(path) {
        base.to_owned()
    } else {
        format!("{base}{path}")
    }
}

/// Where and how spans and logs are exported.
pub(crate) struct Target<'a> {
    pub(crate) endpoint: &'a str,
    pub(crate) protocol: OtlpProtocol,
    pub(crate) headers: &'a [(String, String)],
    /// PEM certificates trusted instead of the platform's roots, when set.
    pub(crate) roots_pem: Option<&'a [u8]>,
}

impl Target<'_> {
    pub(crate) fn error(&self, reason: impl fmt::Display) -> TelemetryError {
        TelemetryError::Otlp {
            endpoint: self.endpoint.to_owned(),
            reason: reason.to_string(),
        }
    }

    /// A gRPC exporter builder aimed here: endpoint, metadata and TLS.
    /// Build it inside the telemetry thread's runtime: tonic's channel
    /// spawns its connection task there, and it outlives every export.
    pub(crate) fn tonic<B: WithExportConfig + WithTonicConfig>(
        &self,
        builder: B,
    ) -> Result<B, TelemetryError> {
        let mut builder = builder
            .with_endpoint(self.endpoint)
            .with_metadata(metadata(self.headers).map_err(|error| self.error(error))?);
        if self.endpoint.starts_with("https://") {
            builder = builder.with_tls_config(tls_config(self.roots_pem));
        }
        Ok(builder)
    }

    /// An HTTP exporter builder aimed at `path` here, over [`tta_http`].
    pub(crate) fn http<B: WithExportConfig + WithHttpConfig>(
        &self,
        builder: B,
        path: &str,
        background: &Background,
    ) -> Result<B, TelemetryError> {
        let roots = self
            .roots_pem
            .map(parse_certificates)
            .transpose()
            .map_err(|error| self.error(error))?;
        let transport = Transport::new(roots.as_deref()).map_err(|error| self.error(error))?;
        Ok(builder
            .with_endpoint(signal_url(self.endpoint, path))
            .with_headers(self.headers.iter().cloned().collect::<HashMap<_, _>>())
            .with_http_client(OtlpHttpClient::new(transport, background.handle().clone())))
    }
}

/// Builds the provider. Nothing connects yet: an unreachable collector
/// shows up as failed exports later, never as an error here.
pub(crate) fn provider(
    background: &Background,
    target: &Target<'_>,
    service_name: Option<&str>,
    sample_ratio: Option<f64>,
) -> Result<SdkTracerProvider, TelemetryError> {
    let built = match target.protocol {
        OtlpProtocol::Grpc => {
            let _runtime = background.handle().enter();
            target
                .tonic(opentelemetry_otlp::SpanExporter::builder().with_tonic())?
                .build()
        }
        OtlpProtocol::HttpProtobuf => target
            .http(
                opentelemetry_otlp::SpanExporter::builder().with_http(),
                "/v1/traces",
                background,
            )?
            .build(),
    };
    let exporter = built.map_err(|error| target.error(error))?;
    let endpoint = target.endpoint;
    let counted = Counted {
        inner: exporter,
        endpoint: endpoint.to_owned(),
        warned: AtomicBool::new(false),
    };
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(counted)
        .with_resource(resource(service_name));
    Ok(provider
        .with_sampler(RunSampler::new(sample_ratio.unwrap_or(1.0)))
        .with_id_generator(RunIds::default())
        .build())
}

/// Makes TTA's runs agree with the exported traces: runs are head-sampled
/// at the exporter's ratio, so an unsampled run costs the OTLP layer
/// nothing, a run's outermost span gets its context's trace ids, and
/// GenAI usage attributes reach the exported spans.
/// The resource every span and log record carries.
pub(crate) fn resource(service_name: Option<&str>) -> Resource {
    let mut resource = Resource::builder();
    if let Some(name) = service_name {
        resource = resource.with_service_name(name.to_owned());
    }
    resource.build()
}

pub(crate) fn follow_runs(sample_ratio: Option<f64>) -> Result<(), TelemetryError> {
    tta_core::sampling::set_sample_ratio(sample_ratio.unwrap_or(1.0)).map_err(|error| {
        TelemetryError::InvalidSetting {
            setting: "trace_sample_ratio",
            reason: error.reason().to_owned(),
        }
    })?;
    if tta_core::instrument::set_trace_linker(trace_link::LINKER).is_err() {
        tracing::debug!("a trace linker was already installed; keeping it");
    }
    if tta_core::instrument::set_attribute_sink(span_attributes::set).is_err() {
        tracing::debug!("an attribute sink was already installed; keeping it");
    }
    Ok(())
}

pub(crate) fn tracer(provider: &SdkTracerProvider) -> SdkTracer {
    provider.tracer("tta")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_endpoints_get_the_signal_path_once() {
        let traces = |endpoint| signal_url(endpoint, "/v1/traces");
        assert_eq!(traces("http://c:4318"), "http://c:4318/v1/traces");
        assert_eq!(traces("http://c:4318/"), "http://c:4318/v1/traces");
        assert_eq!(traces("http://c:4318/v1/traces"), "http://c:4318/v1/traces");
        assert_eq!(
            signal_url("https://g.net/otlp", "/v1/logs"),
            "https://g.net/otlp/v1/logs"
        );
    }
}
