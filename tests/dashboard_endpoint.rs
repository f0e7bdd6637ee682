//! The dashboard's routes on a non-loopback bind: the data needs the
//! token (the page and `/metrics` do not), every answer carries a strict
//! Content-Security-Policy, the JSON is well formed, and clients that hang
//! up mid-request or mid-answer cost nothing lasting.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use tta::prelude::*;
use tta_test_support::http::{connect, exchange, split_response};
use tta_test_support::otlp_http;

fn get_with_head(address: SocketAddr, path: &str) -> (String, u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let response = exchange(address, request.as_bytes()).unwrap();
    let head = response
        .split_once("\r\n\r\n")
        .map(|(head, _)| head.to_ascii_lowercase())
        .unwrap_or_default();
    let (status, body) = split_response(&response);
    (head, status, body)
}

#[test]
fn a_non_loopback_dashboard_needs_its_token_and_is_locked_down() {
    let telemetry = tta::telemetry::builder()
        .metrics_address(SocketAddr::from(([0, 0, 0, 0], 0)))
        .log_format(tta::telemetry::LogFormat::Off)
        .dashboard(true)
        .install()
        .unwrap();
    let port = telemetry.metrics_address().unwrap().port();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let url = telemetry.dashboard_url().unwrap().to_owned();
    let token = url
        .split_once("?token=")
        .map(|(_, token)| token.to_owned())
        .unwrap();
    assert_eq!(token.len(), 32, "a generated token: {url}");

    let step = || from_fn("endpoint_step", |n: u32, _ctx| async move { Ok(n + 1) });
    let flow = (step() >> step()).named("endpoint_flow");
    tta::telemetry::register_workflow(&flow);
    otlp_http::runtime().block_on(async {
        for n in 0..20 {
            flow.run(n).await.unwrap();
        }
    });

    // The data needs the token; a wrong one is refused the same way.
    for path in [
        "/api/dashboard",
        "/api/dashboard?token=00000000000000000000000000000000",
        "/api/graphs",
        "/api/graphs/0.mmd",
    ] {
        let (_, status, body) = get_with_head(address, path);
        assert_eq!(status, 401, "{path}: {body}");
        assert!(body.contains("token"), "{body}");
    }

    // The page, its assets and /metrics do not, and all are locked down.
    for path in [
        "/",
        "/assets/app.js",
        "/assets/uPlot.iife.min.js",
        "/metrics",
    ] {
        let (head, status, _) = get_with_head(address, path);
        assert_eq!(status, 200, "{path}");
        if path != "/metrics" {
            assert!(
                head.contains("content-security-policy: default-src 'none'; script-src 'self'"),
                "{path}: {head}"
            );
            assert!(head.contains("x-content-type-options: nosniff"));
            assert!(head.contains("frame-ancestors 'none'"));
        }
    }
    let (_, _, page) = get_with_head(address, "/");
    assert!(!page.contains("<script>"), "no inline script: {page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing from the network"
    );

    // With the token: well-formed JSON with history, runs and graphs.
    let with_token = |path: &str| {
        let separator = if path.contains('?') { '&' } else { '?' };
        get_with_head(address, &format!("{path}{separator}token={token}"))
    };
    let mut snapshot = serde_json::Value::Null;
    for _ in 0..100 {
        let (head, status, body) = with_token("/api/dashboard");
        assert_eq!(status, 200, "{body}");
        assert!(head.contains("content-type: application/json"));
        snapshot = serde_json::from_str(&body).unwrap();
        if snapshot["times"]
            .as_array()
            .is_some_and(|times| !times.is_empty())
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !snapshot["times"].as_array().unwrap().is_empty(),
        "{snapshot}"
    );
    assert!(snapshot["series"].is_object());
    assert!(snapshot["runs"].is_array());
    assert!(snapshot["runs_version"].is_u64());
    assert_eq!(snapshot["capturing"], true, "a viewer turns collection on");
    let version = snapshot["runs_version"].as_u64().unwrap();
    let (_, _, body) = with_token(&format!("/api/dashboard?since=1e12&runs={version}"));
    let unchanged: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(unchanged["times"].as_array().unwrap().is_empty());
    if unchanged["runs_version"] == version {
        assert!(
            unchanged.get("runs").is_none(),
            "runs are sent only when they changed"
        );
    }

    let (_, status, body) = with_token("/api/graphs");
    assert_eq!(status, 200);
    let graphs: serde_json::Value = serde_json::from_str(&body).unwrap();
    let flow = graphs
        .as_array()
        .unwrap()
        .iter()
        .find(|graph| graph["name"] == "endpoint_flow")
        .unwrap();
    assert_eq!(flow["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(flow["nodes"][1]["parent"], 0);
    let (_, status, mermaid) = with_token("/api/graphs/0.mmd");
    assert_eq!(status, 200);
    assert!(mermaid.starts_with("flowchart TD"), "{mermaid}");
    let (_, status, _) = with_token("/api/graphs/999.dot");
    assert_eq!(status, 404);
    let (_, status, _) = with_token("/api/nothing");
    assert_eq!(status, 404);
    let post = format!(
        "POST /api/dashboard?token={token} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(
        split_response(&exchange(address, post.as_bytes()).unwrap()).0,
        405
    );

    // 500 clients that hang up mid-request or right after asking.
    for n in 0..500 {
        let mut stream = connect(address).unwrap();
        let request = format!("GET /api/dashboard?token={token} HTTP/1.1\r\nHost: x\r\n\r\n");
        let cut = if n % 2 == 0 {
            request.len() / 2
        } else {
            request.len()
        };
        let _ = stream.write_all(&request.as_bytes()[..cut]);
        drop(stream);
    }
    let (_, status, body) = with_token("/api/dashboard");
    assert_eq!(status, 200, "still serving: {body}");
    telemetry.shutdown().unwrap();
}
