//! The HTTP endpoint on `:9464`: `/metrics` in the Prometheus text format.
//!
//! Our own small hyper server rather than the recorder's built-in listener,
//! so that the address it reports is the one it bound (port 0 included)
//! and so that it can serve more than one page. It holds up to abuse:
//! a request head is bounded in size and in time, so garbage, huge headers
//! and slow clients cost one connection each and never stall a scrape.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::TelemetryError;
use crate::background::Background;
use crate::dashboard::Dashboard;

/// How long a client may take to send a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head read; a bigger one is answered with 431.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Connections served at once; further ones wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 256;
/// The Prometheus text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A bound endpoint, not yet serving.
pub(crate) struct Endpoint {
    listener: std::net::TcpListener,
    address: SocketAddr,
}

impl Endpoint {
    /// Binds `address` on the caller's thread, before anything global is
    /// installed, so a taken port fails `install()` and leaves nothing behind.
    pub(crate) fn bind(address: SocketAddr) -> Result<Self, TelemetryError> {
        let bind_error = |error: std::io::Error| TelemetryError::Bind {
            address,
            reason: error.to_string(),
        };
        let listener = std::net::TcpListener::bind(address).map_err(bind_error)?;
        listener.set_nonblocking(true).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        Ok(Self { listener, address })
    }

    /// The address actually bound: with port 0, the one the system chose.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves `metrics` on the telemetry thread until it stops.
    pub(crate) fn serve(
        self,
        background: &Background,
        metrics: PrometheusHandle,
        dashboard: Option<Arc<Dashboard>>,
    ) -> Result<(), TelemetryError> {
        let listener = {
            let _runtime = background.handle().enter();
            TcpListener::from_std(self.listener).map_err(|error| TelemetryError::Bind {
                address: self.address,
                reason: error.to_string(),
            })?
        };
        background
            .handle()
            .spawn(accept(listener, metrics, dashboard));
        Ok(())
    }
}

/// `metrics` is a handle on the shared recorder: cheap to clone per connection.
async fn accept(
    listener: TcpListener,
    metrics: PrometheusHandle,
    dashboard: Option<Arc<Dashboard>>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: pause, then go on.
                tracing::warn!(%error, "metrics_endpoint_accept_failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let metrics = metrics.clone();
        let dashboard = dashboard.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let response = respond(&request, &metrics, dashboard.as_deref());
                async move { Ok::<_, Infallible>(response) }
            });
            // A client that sends garbage or goes away ends its own
            // connection; there is nothing to report.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .max_buf_size(MAX_HEAD_BYTES)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(slot);
        });
    }
}

fn respond(
    request: &Request<Incoming>,
    metrics: &PrometheusHandle,
    dashboard: Option<&Dashboard>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    if path != "/metrics" {
        let page = dashboard
            .and_then(|dashboard| dashboard.respond(request.method(), path, request.uri().query()));
        return page.unwrap_or_else(|| {
            plain(
                StatusCode::NOT_FOUND,
                "not found: the metrics are at /metrics\n",
            )
        });
    }
    let head = match *request.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
            response
                .headers_mut()
                .insert(ALLOW, http::HeaderValue::from_static("GET, HEAD"));
            return response;
        }
    };
    let body = if head {
        Bytes::new()
    } else {
        Bytes::from(metrics.render())
    };
    let mut response = Response::new(Full::new(body));
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static(PROMETHEUS_TEXT),
    );
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
