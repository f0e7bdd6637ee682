//! An OTLP/HTTP trace receiver: decodes the protobuf requests an exporter
//! posts to `/v1/traces`, resource included, which the gRPC fake collector
//! does not expose.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use tta::telemetry::{LogFormat, OtlpProtocol, Telemetry, TelemetryBuilder};

pub struct OtlpHttpReceiver {
    address: SocketAddr,
    tls: bool,
    requests: Receiver<ExportTraceServiceRequest>,
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
        let (sender, requests) = channel();
        let headers = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&headers);
        let secure = tls.is_some();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (sender, seen, tls) = (sender.clone(), Arc::clone(&seen), tls.clone());
                std::thread::spawn(move || {
                    stream
                        .set_read_timeout(Some(Duration::from_secs(10)))
                        .unwrap();
                    match tls {
                        None => serve(stream, &sender, &seen),
                        Some(config) => {
                            let Ok(connection) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            serve(rustls::StreamOwned::new(connection, stream), &sender, &seen);
                        }
                    }
                });
            }
        });
        Self {
            address,
            tls: secure,
            requests,
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

/// A current-thread runtime with time and I/O, for tests that own `main`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn serve(
    stream: impl Read + Write,
    sender: &Sender<ExportTraceServiceRequest>,
    seen: &Mutex<Vec<(String, String)>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0;
        let mut headers = Vec::new();
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
        *seen.lock().unwrap() = headers;
        if let Ok(request) = ExportTraceServiceRequest::decode(body.as_slice()) {
            let _ = sender.send(request);
        }
        let response =
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if reader.get_mut().write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
