//! The dashboard in a real browser: Debian's Chromium, headless, with every
//! host name but 127.0.0.1 made unresolvable, loads the page while the
//! demo's load runs, and its DOM must show data in every panel, at least
//! one run's span waterfall and the workflow graphs. A primitive named
//! `<script>alert(1)</script>` shows up as text, never as markup. The
//! screenshot is kept at `target/dashboard.png`.

#![allow(clippy::unwrap_used)]

#[path = "../examples/common/demo.rs"]
mod demo;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tta::prelude::*;
use tta_test_support::http;
use tta_test_support::tools;

const XSS: &str = "<script>alert(1)</script>";
/// Every panel the page draws; each must have data points.
const PANELS: [&str; 13] = [
    "workflow_rate",
    "success_failure",
    "latency",
    "active",
    "by_primitive",
    "cache_hit_rate",
    "retry_attempts",
    "first_chunk",
    "latency_distribution",
    "breakers",
    "tokens_by_model",
    "cost_by_model",
    "cache_saved",
];

/// Runs headless Chromium on `url` with the network closed but for
/// loopback; kills it after a minute.
fn chromium(binary: &Path, profile: &Path, extra: &[&str], url: &str) -> Output {
    let child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--virtual-time-budget=8000",
            "--window-size=1400,2600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes to the end on a thread of its own (a DOM is bigger
    // than a pipe's buffer), and give up after a minute.
    let pid = child.id();
    let (sender, output) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match output.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("chromium did not finish within 60 s");
        }
    }
}

/// The value of `attribute` on the element whose `key` attribute is `value`.
fn attribute_after<'a>(dom: &'a str, marker: &str, attribute: &str) -> Option<&'a str> {
    let from = dom.find(marker)?;
    let element_end = from + dom[from..].find('>')?;
    let element = &dom[from..element_end];
    let start = element.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let length = element[start..].find('"')?;
    Some(&element[start..start + length])
}

#[test]
fn the_dashboard_shows_every_panel_runs_and_graphs_in_a_real_browser() {
    let Some(binary) = tools::find("chromium", "chromium") else {
        return;
    };
    let telemetry = tta::telemetry::builder()
        .metrics_address(SocketAddr::from(([127, 0, 0, 1], 0)))
        .log_format(tta::telemetry::LogFormat::Off)
        .dashboard(true)
        .dashboard_runs(40)
        .install()
        .unwrap();
    let address = telemetry.metrics_address().unwrap();
    let url = telemetry.dashboard_url().unwrap().to_owned();

    // The demo's load, and a primitive whose name is markup.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let load = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let hostile = from_fn(XSS, |n: u64, _ctx| async move { Ok(n) });
            tta::telemetry::register_workflow(&hostile);
            let options = demo::Options {
                rate: 40.0,
                status_every: Duration::from_secs(3600),
            };
            let markup = async {
                for n in 0..10_000 {
                    let _ = hostile.run(n).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            };
            tokio::select! {
                _ = demo::run(&options, async { let _ = stopped.await; }) => {}
                () = markup => {}
            }
        });
    });

    // Open the page's data once, so runs are collected, and wait (at most
    // 60 s) until every panel has had something to show.
    let ready = |snapshot: &serde_json::Value| {
        let series = snapshot["series"].as_object().map_or(0, |s| s.len());
        let has = |prefix: &str| {
            snapshot["series"]
                .as_object()
                .is_some_and(|s| s.keys().any(|key| key.starts_with(prefix)))
        };
        series > 0
            && snapshot["times"].as_array().is_some_and(|t| t.len() >= 4)
            && [
                "retry/",
                "tokens_per_s/",
                "usd_per_min/",
                "breaker/",
                "cache/hit_rate",
            ]
            .iter()
            .all(|prefix| has(prefix))
            && snapshot["runs"]
                .as_array()
                .is_some_and(|runs| runs.len() >= 3)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = http::get(address, "/api/dashboard").unwrap();
        assert_eq!(status, 200, "{body}");
        if ready(&serde_json::from_str(&body).unwrap()) {
            break;
        }
        assert!(Instant::now() < deadline, "no data within 60 s: {body}");
        std::thread::sleep(Duration::from_millis(250));
    }

    let profile = std::env::temp_dir().join(format!("tta-dashboard-{}", std::process::id()));
    let output = chromium(&binary, &profile, &["--dump-dom"], &url);
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && dom.contains("id=\"panels\""),
        "chromium: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    let empty: Vec<&str> = PANELS
        .iter()
        .copied()
        .filter(|panel| {
            let points = attribute_after(&dom, &format!("data-panel=\"{panel}\""), "data-points");
            points.and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) == 0
        })
        .collect();
    assert!(empty.is_empty(), "panels without data: {empty:?}\n{dom}");
    assert!(dom.contains("<canvas"), "uPlot drew the charts");

    let runs: u64 = attribute_after(&dom, "id=\"runs\"", "data-runs")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(runs >= 1, "a run waterfall: {dom}");
    let deepest = dom
        .match_indices("data-spans=\"")
        .filter_map(|(at, _)| dom[at + 12..].split('"').next()?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    assert!(deepest >= 2, "a span tree, not a lone span");

    let graphs: u64 = attribute_after(&dom, "id=\"graphs\"", "data-graphs")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        graphs >= 6,
        "the demo's five workflows and the hostile one: {graphs}"
    );
    assert!(dom.contains("data-node=\"llm_pipeline\""));
    assert!(dom.contains("data-node=\"book_trip\""));

    // The hostile name is text: escaped in the DOM, never an element.
    // (Attribute values, such as `data-node`, hold it verbatim, as HTML
    // serialises them; outside them it must not appear.)
    let markup = without_attribute_values(&dom);
    assert!(
        markup.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the name is shown"
    );
    assert!(!markup.contains(XSS), "the name never became markup");
    assert_eq!(markup.matches("<script").count(), 2, "only our two scripts");

    let screenshot = screenshot_path();
    let _ = std::fs::remove_file(&screenshot);
    let output = chromium(
        &binary,
        &profile,
        &[&format!("--screenshot={}", screenshot.display())],
        &url,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let size = std::fs::metadata(&screenshot).map_or(0, |m| m.len());
    assert!(size > 20_000, "a screenshot with content: {size} bytes");
    let _ = std::fs::remove_dir_all(&profile);

    let _ = stop.send(());
    load.join().unwrap();
    telemetry.shutdown().unwrap();
}

/// The DOM with every attribute value emptied (a serialised value holds
/// no `"`).
fn without_attribute_values(dom: &str) -> String {
    let mut out = String::with_capacity(dom.len());
    let mut rest = dom;
    while let Some(at) = rest.find("=\"") {
        out.push_str(&rest[..at + 2]);
        rest = &rest[at + 2..];
        let end = rest.find('"').unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `target/dashboard.png`, beside the build's other outputs.
fn screenshot_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("dashboard.png")
}
