//! Service-to-service tracing with axum and reqwest: a service continues
//! the caller's trace from the incoming `traceparent` and `tracestate`, and
//! each request it makes downstream carries a parent id of its own, naming
//! a client span, so the downstream service's spans nest under the call.
//!
//! By default it starts on a free loopback port, calls itself as an
//! upstream would, prints the headers each downstream call carried, and
//! exits. With `--serve ADDR` it is the test service of the W3C Trace
//! Context test suite (`w3c/trace-context`, `test/`): `POST /test` takes a
//! JSON list of `{"url", "arguments"}` and posts each `arguments` to its
//! `url`.
//!
//! ```text
//! cargo run --example trace_context_service
//! cargo run --example trace_context_service -- --serve 127.0.0.1:5000
//! ```
//!
//! Set `OTEL_EXPORTER_OTLP_ENDPOINT` to see the spans in Jaeger or Tempo.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Json, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use tta::prelude::*;

/// One request the test service is asked to make.
struct Callback {
    url: String,
    arguments: Value,
}

/// Makes each callback in turn, each as an outgoing call of its own.
struct CallDownstream {
    client: reqwest::Client,
}

#[primitive(name = "call_downstream")]
impl CallDownstream {
    async fn execute(
        &self,
        callbacks: Vec<Callback>,
        ctx: &WorkflowContext,
    ) -> Result<usize, reqwest::Error> {
        for callback in &callbacks {
            // A client span under this step, and headers that name it.
            let call = ctx.outgoing_call(format!("POST {}", callback.url));
            let mut request = self
                .client
                .post(&callback.url)
                .header("content-type", "application/json")
                .body(callback.arguments.to_string())
                .build()?;
            call.inject(request.headers_mut());
            call.run(self.client.execute(request)).await?;
        }
        Ok(callbacks.len())
    }
}

#[derive(Clone)]
struct Service {
    client: reqwest::Client,
    /// What the `/downstream` route received, for the self-contained run.
    received: Arc<Mutex<Vec<HeaderMap>>>,
}

/// The W3C test service's endpoint.
async fn test(
    State(service): State<Service>,
    headers: HeaderMap,
    Json(body): Json<Vec<Value>>,
) -> StatusCode {
    let callbacks = body
        .into_iter()
        .filter_map(|item| {
            Some(Callback {
                url: item.get("url")?.as_str()?.to_owned(),
                arguments: item.get("arguments").cloned().unwrap_or(json!([])),
            })
        })
        .collect();
    let ctx = WorkflowContext::from_headers(&headers);
    let step = CallDownstream {
        client: service.client,
    };
    match step.run_with(callbacks, ctx).await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

/// Stands in for the next service: keeps the headers it was called with.
async fn downstream(State(service): State<Service>, headers: HeaderMap) -> StatusCode {
    if let Ok(mut received) = service.received.lock() {
        received.push(headers);
    }
    StatusCode::OK
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve = match args.as_slice() {
        [] => None,
        [flag, address] if flag == "--serve" => Some(address.parse::<SocketAddr>()?),
        _ => return Err("usage: trace_context_service [--serve ADDR]".into()),
    };
    let telemetry = tta::telemetry::builder()
        .metrics_address(SocketAddr::from(([127, 0, 0, 1], 0)))
        .log_filter("off")
        .install()?;

    let service = Service {
        client: reqwest::Client::new(),
        received: Arc::default(),
    };
    let app = Router::new()
        .route("/test", post(test))
        .route("/downstream", post(downstream))
        .with_state(service.clone());
    let listener =
        tokio::net::TcpListener::bind(serve.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))))
            .await?;
    let address = listener.local_addr()?;

    if serve.is_some() {
        println!("test service on http://{address}/test; Ctrl-C to stop");
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tta::telemetry::stop_signal().await;
            })
            .await?;
        telemetry.shutdown()?;
        return Ok(());
    }

    tokio::spawn(async move { axum::serve(listener, app).await });
    let upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";
    let downstream = json!({ "url": format!("http://{address}/downstream"), "arguments": [] });
    let status = service
        .client
        .post(format!("http://{address}/test"))
        .header("traceparent", upstream)
        .header("tracestate", "rojo=00f067aa0ba902b7")
        .header("content-type", "application/json")
        .body(json!([downstream, downstream, downstream]).to_string())
        .send()
        .await?
        .status();

    println!("called with  traceparent: {upstream}");
    println!("             tracestate:  rojo=00f067aa0ba902b7");
    println!("the service answered {status}; its three downstream calls carried:");
    let received = service
        .received
        .lock()
        .map_err(|_| "the downstream route panicked")?
        .clone();
    for headers in &received {
        let get = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
        };
        println!(
            "  traceparent: {}  tracestate: {}",
            get("traceparent"),
            get("tracestate")
        );
    }
    println!("same trace id, a new parent id for each call, the random flag and tracestate kept");
    telemetry.shutdown()?;
    Ok(())
}
