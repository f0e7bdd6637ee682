//! TTA inside an axum service, through tower: a route guarded by a
//! `WorkflowLayer` (a timeout and a circuit breaker, with their spans and
//! metrics), and a handler that runs a workflow. It serves on a free
//! loopback port, sends itself a few requests, prints what came back and
//! the route's metrics, and exits.
//!
//! ```text
//! cargo run --example axum_service
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceBuilder;
use tta::prelude::*;
use tta::tower::WorkflowLayer;

#[primitive]
async fn summarize(text: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    // Stands in for a model call; "slow" takes longer than the route allows.
    let pause = if text.contains("slow") { 500 } else { 20 };
    tokio::time::sleep(Duration::from_millis(pause)).await;
    let words = text.split_whitespace().count();
    Ok(format!("{words} words"))
}

/// The handler runs a workflow like any async code.
async fn handle(body: String) -> Result<String, (StatusCode, String)> {
    Summarize
        .run(body)
        .await
        .map_err(|error| (StatusCode::BAD_GATEWAY, error.to_string()))
}

/// What the guarded route answers when the workflow around it fails.
async fn workflow_failed(error: tta::Error) -> (StatusCode, String) {
    let status = match error.kind() {
        ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorKind::CircuitOpen => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, format!("{error}\n"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = tta::telemetry::builder()
        .metrics_address(SocketAddr::from(([127, 0, 0, 1], 0)))
        .log_filter("off")
        .install()?;

    let breaker = CircuitBreakerConfig::builder().build()?;
    let guard = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(workflow_failed))
        .layer(WorkflowLayer::new("summarize_route", move |route| {
            route
                .timeout(Duration::from_millis(200))
                .circuit_breaker(breaker.clone())
        }));
    let app = Router::new()
        .route("/summarize", post(handle))
        .route_layer(guard);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    for body in ["a short note", "a slow and long report", "three more words"] {
        let response = post_text(address, "/summarize", body).await?;
        let status_line = response.lines().next().unwrap_or_default().to_owned();
        let answer = response
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .trim()
            .to_owned();
        println!("{body:<24} -> {status_line} {answer}");
    }

    let scrape = telemetry.render();
    for line in scrape.lines().filter(|line| {
        line.starts_with("tta_primitive_executions_total") && line.contains("summarize_route")
    }) {
        println!("{line}");
    }
    server.abort();
    telemetry.shutdown()?;
    Ok(())
}

/// One `POST` over a fresh connection; the whole response as text.
async fn post_text(address: SocketAddr, path: &str, body: &str) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .map_err(|_| std::io::Error::other("no response within 10 s"))??;
    Ok(response)
}
