//! An OTLP/HTTP trace receiver: decodes the protobuf requests an exporter
//! posts to `/v1/traces`, resource included, which the gRPC fake collector
//! does not expose.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span};
use prost::Message;
use tta::telemetry::{LogFormat, OtlpProtocol, Telemetry, TelemetryBuilder};

pub struct OtlpHttpReceiver {
    address: SocketAddr,
    tls: bool,
    requests: Receiver<ExportTraceServiceRequest>,
    logs: Receiver<ExportLogsServiceRequest>,
    headers: Arc<Mutex<Vec<(String, String)>>>,
}

/// Where the connection threads deliver what they decode.
#[derive(Clone)]
struct Sinks {
    traces: Sender<ExportTraceServiceRequest>,
    logs: Sender<ExportLogsServiceRequest>,
    headers: Arc<Mutex<Vec<(String, String)>>>,
}

impl OtlpHttpReceiver {
    /// Listens on a free loopback port, serving each connection on a thread.
    pub fn start() -> Self {
        Self::listen(None)
    }

    /// The same over HTTPS, with this certificate chain and key (PEM), for
    /// the host name `localhost`.
    pub fn start_tls(certificate_pem: &str, key_pem: &str) -> Self {
        Self::listen(Some(crate::tls::server_config(certificate_pem, key_pem)))
    }

    fn listen(tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let (traces, requests) = channel();
        let (logs_sender, logs) = channel();
        let headers = Arc::new(Mutex::new(Vec::new()));
        let sinks = Sinks {
            traces,
            logs: logs_sender,
            headers: Arc::clone(&headers),
        };
        let secure = tls.is_some();
        crate::tls::serve_each(listener, tls, Duration::from_secs(10), move |connection| {
            serve(connection, &sinks);
        });
        Self {
            address,
            tls: secure,
            requests,
            logs,
            headers,
        }
    }

    /// The headers of the last request, names in lower case.
    pub fn last_headers(&self) -> Vec<(String, String)> {
        self.headers.lock().unwrap().clone()
    }

    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` over TLS.
    pub fn endpoint(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.address.port())
        } else {
            format!("http://{}", self.address)
        }
    }

    /// Every request received within `wait`, waiting for at least one.
    pub fn received(&self, wait: Duration) -> Vec<ExportTraceServiceRequest> {
        let mut all: Vec<_> = self.requests.recv_timeout(wait).into_iter().collect();
        all.extend(self.requests.try_iter());
        all
    }

    /// Every log record received within `wait` at `/v1/logs`.
    pub fn log_records(&self, wait: Duration) -> Vec<LogRecord> {
        let mut all: Vec<_> = self.logs.recv_timeout(wait).into_iter().collect();
        all.extend(self.logs.try_iter());
        all.into_iter()
            .flat_map(|request| request.resource_logs)
            .flat_map(|logs| logs.scope_logs)
            .flat_map(|scope| scope.log_records)
            .collect()
    }

    /// Every span received within `wait`, across resources and scopes.
    pub fn spans(&self, wait: Duration) -> Vec<Span> {
        self.received(wait)
            .into_iter()
            .flat_map(|request| request.resource_spans)
            .flat_map(|spans| spans.scope_spans)
            .flat_map(|scope| scope.spans)
            .collect()
    }

    /// Installs telemetry that exports spans here, with no metrics endpoint
    /// and no log output; `configure` adds to it.
    pub fn install(
        &self,
        configure: impl FnOnce(TelemetryBuilder) -> TelemetryBuilder,
    ) -> Telemetry {
        let builder = tta::telemetry::builder()
            .without_metrics_endpoint()
            .log_format(LogFormat::Off)
            .otlp(self.endpoint(), OtlpProtocol::HttpProtobuf);
        configure(builder).install().unwrap()
    }
}

/// The `service.name` of the process that sent `spans`, if it said.
pub fn service_name(spans: &ResourceSpans) -> Option<&str> {
    spans
        .resource
        .iter()
        .flat_map(|resource| &resource.attributes)
        .find(|attribute| attribute.key == "service.name")
        .and_then(
            |attribute| match attribute.value.as_ref()?.value.as_ref()? {
                Value::StringValue(name) => Some(name.as_str()),
                _ => None,
            },
        )
}

/// The value of `span`'s attribute `key`, if it has one.
pub fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|value| value.value.as_ref())
}

/// A current-thread runtime with time and I/O, for tests that own `main`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn serve(stream: impl Read + Write, sinks: &Sinks) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0;
        let mut headers = Vec::new();
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
                if name == "content-length" {
                    length = value.parse().unwrap_or(0);
                }
                headers.push((name, value));
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        *sinks.headers.lock().unwrap() = headers;
        if request_line.contains(" /v1/logs ") {
            if let Ok(request) = ExportLogsServiceRequest::decode(body.as_slice()) {
                let _ = sinks.logs.send(request);
            }
        } else if let Ok(request) = ExportTraceServiceRequest::decode(body.as_slice()) {
            let _ = sinks.traces.send(request);
        }
        let response =
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if reader.get_mut().write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
