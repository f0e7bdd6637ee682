//! The HTTP client stack that TTA.dev's provider client (`tta-openai`) and
//! OTLP exporter (`tta-exporter`) share: hyper, with rustls over *ring*.
//!
//! Not reqwest with its TLS: that would need a process-wide crypto provider
//! installed before *any* reqwest client in the process is built, and
//! clients elsewhere in a user's program would panic without one. This
//! stack gives the provider to its own clients alone, and needs no C build.
//!
//! Not public API beyond these crates: it may change in any release.

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use tta_core::ConfigError;

/// What came back: status, headers and the whole body.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// A body still arriving, in the order its bytes come.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, Failure>> + Send>>;

/// What came back so far: status, headers, and the body as it arrives.
/// Dropping it closes the connection if the body has not been read to
/// its end.
pub struct Streaming {
    /// The status code.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: BodyStream,
}

impl std::fmt::Debug for Streaming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streaming")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Streaming {
    /// Reads the rest of the body into an [`Answer`].
    pub async fn into_answer(mut self) -> Result<Answer, Failure> {
        let mut body = Vec::new();
        while let Some(bytes) = self.body.next().await {
            body.extend_from_slice(&bytes?);
        }
        Ok(Answer {
            status: self.status,
            headers: self.headers,
            body: Bytes::from(body),
        })
    }
}

/// Why no whole answer came back.
#[derive(Debug)]
pub enum Failure {
    /// The request could not be sent or the connection failed.
    Send(String),
    /// The answer's body was cut off or unreadable.
    Body(String),
}

/// A pooled HTTP/1.1 and HTTP/2 client, HTTPS or plain HTTP.
#[derive(Clone)]
pub struct Transport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").finish_non_exhaustive()
    }
}

impl Transport {
    /// HTTPS trusting `roots`, or else the platform's root certificates, or
    /// Mozilla's where the platform has none; plain HTTP for local servers.
    pub fn new(roots: Option<&[CertificateDer<'static>]>) -> Result<Self, ConfigError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls_error = |error: rustls::Error| ConfigError::new("tls", error.to_string());
        let builder = match roots {
            Some(roots) => {
                let mut store = RootCertStore::empty();
                for root in roots {
                    store.add(root.clone()).map_err(tls_error)?;
                }
                let config = ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(tls_error)?
                    .with_root_certificates(store)
                    .with_no_client_auth();
                HttpsConnectorBuilder::new().with_tls_config(config)
            }
            None => match HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(Arc::clone(&provider))
            {
                Ok(builder) => builder,
                Err(_) => HttpsConnectorBuilder::new()
                    .with_provider_and_webpki_roots(provider)
                    .map_err(tls_error)?,
            },
        };
        let connector = builder
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// POSTs `body` to `uri` and reads the whole answer.
    pub async fn post(
        &self,
        uri: &Uri,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Answer, Failure> {
        self.send(Method::POST, uri, headers, body).await
    }

    /// Sends `body` to `uri` with `method` and reads the whole answer.
    pub async fn send(
        &self,
        method: Method,
        uri: &Uri,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Answer, Failure> {
        let answer = self.open(method, uri, headers, body).await?;
        let (status, headers) = (answer.status, answer.headers);
        let body = answer
            .body
            .collect()
            .await
            .map_err(|error| Failure::Body(chain(&error)))?
            .to_bytes();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// POSTs `body` to `uri` and returns as soon as the status and headers
    /// have arrived, with the body to read as it comes: for server-sent
    /// events.
    pub async fn post_streaming(
        &self,
        uri: &Uri,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Streaming, Failure> {
        let answer = self.open(Method::POST, uri, headers, body).await?;
        let body = answer
            .body
            .into_data_stream()
            .map(|bytes| bytes.map_err(|error| Failure::Body(chain(&error))));
        Ok(Streaming {
            status: answer.status,
            headers: answer.headers,
            body: Box::pin(body),
        })
    }

    async fn open(
        &self,
        method: Method,
        uri: &Uri,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Head, Failure> {
        let mut request = Request::builder()
            .method(method)
            .uri(uri.clone())
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| Failure::Send(error.to_string()))?;
        *request.headers_mut() = headers;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|error| Failure::Send(chain(&error)))?;
        let (parts, body) = response.into_parts();
        Ok(Head {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// A response whose body has not been read.
struct Head {
    status: StatusCode,
    headers: HeaderMap,
    body: hyper::body::Incoming,
}

/// An error and its sources, joined: hyper's top-level messages are terse.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}
