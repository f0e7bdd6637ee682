//! The OTLP/HTTP exporter's client: [`tta_http::Transport`] (hyper with
//! rustls over *ring*), driven on the telemetry thread.
//!
//! The SDK's batch processor calls the exporter from a thread of its own,
//! outside any tokio runtime, while hyper needs one: each request is handed
//! to the telemetry thread's runtime and awaited from wherever the export
//! runs.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use opentelemetry_http::{HttpClient, HttpError};
use tokio::runtime::Handle;
use tta_http::{Failure, Transport};

/// How long one export may take, connection and response included: the
/// specification's default for `OTEL_EXPORTER_OTLP_TIMEOUT`.
pub(crate) const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct OtlpHttpClient {
    transport: Transport,
    runtime: Handle,
}

impl OtlpHttpClient {
    pub(crate) fn new(transport: Transport, runtime: Handle) -> Self {
        Self { transport, runtime }
    }
}

impl fmt::Debug for OtlpHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpHttpClient").finish_non_exhaustive()
    }
}

impl HttpClient for OtlpHttpClient {
    // The trait is declared with `async_trait`; this is its expansion, so
    // that the crate needs no proc macro for one method.
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let transport = self.transport.clone();
        let exchange = self.runtime.spawn(async move {
            let (parts, body) = request.into_parts();
            let posted = transport.post(&parts.uri, parts.headers, body.to_vec());
            match tokio::time::timeout(EXPORT_TIMEOUT, posted).await {
                Err(_) => Err(format!("no answer within {EXPORT_TIMEOUT:?}")),
                Ok(Err(Failure::Send(reason) | Failure::Body(reason))) => Err(reason),
                Ok(Ok(answer)) => {
                    let mut response = Response::new(answer.body);
                    *response.status_mut() = answer.status;
                    *response.headers_mut() = answer.headers;
                    Ok(response)
                }
            }
        });
        Box::pin(async move {
            match exchange.await {
                Ok(result) => result.map_err(HttpError::from),
                // The telemetry thread stopped under the export.
                Err(error) => Err(HttpError::from(error.to_string())),
            }
        })
    }
}
