//! An OTLP/HTTP trace receiver: decodes the protobuf requests an exporter
//! posts to `/v1/traces`, resource included, which the gRPC fake collector
//! does not expose.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use tta::telemetry::{LogFormat, OtlpProtocol, Telemetry, TelemetryBuilder};

pub struct OtlpHttpReceiver {
    address: SocketAddr,
    requests: Receiver<ExportTraceServiceRequest>,
}

impl OtlpHttpReceiver {
    /// Listens on a free loopback port, serving each connection on a thread.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let (sender, requests) = channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sender = sender.clone();
                std::thread::spawn(move || serve(stream, &sender));
            }
        });
        Self { address, requests }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
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

fn serve(stream: TcpStream, sender: &Sender<ExportTraceServiceRequest>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(request) = ExportTraceServiceRequest::decode(body.as_slice()) {
            let _ = sender.send(request);
        }
        let response =
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
