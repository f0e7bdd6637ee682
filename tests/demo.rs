//! The live demo, run in-process for a few seconds: its `/metrics` serves
//! every metric family of the catalog, and its final status line counts the
//! same executions as the scrape.

#![allow(clippy::unwrap_used)]

#[path = "../examples/common/demo.rs"]
mod demo;

use std::time::Duration;

use tta::catalog;
use tta_test_support::http::{self, parse_exposition};
use tta_test_support::tools;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_exercises_every_metric_family_and_its_status_agrees() {
    let (address, telemetry) = http::install_serving_metrics();
    let options = demo::Options {
        rate: 40.0,
        status_every: Duration::from_secs(1),
    };
    // Long enough for the scheduled outage (1 s to 3.5 s) to trip and the
    // breakers to recover.
    let status = demo::run(&options, tokio::time::sleep(Duration::from_secs(5))).await;
    assert!(status.executions >= 150, "{status}");

    let (code, body) = tokio::task::spawn_blocking(move || http::get(address, "/metrics").unwrap())
        .await
        .unwrap();
    assert_eq!(code, 200);
    let missing: Vec<_> = catalog::ALL
        .iter()
        .map(|metric| metric.name)
        // The demo runs one process, without the Redis tier.
        .filter(|name| !catalog::SHARED_TIER.contains(name))
        .filter(|name| !body.contains(&format!("# TYPE {name} ")))
        .collect();
    assert!(
        missing.is_empty(),
        "families the demo did not emit: {missing:?}"
    );
    // The GenAI metrics are there too, with help and the conventions' buckets,
    // and promtool finds nothing to report in the whole scrape.
    for family in [
        "gen_ai_client_operation_duration_seconds",
        "gen_ai_client_token_usage",
    ] {
        assert!(
            body.contains(&format!("# TYPE {family} histogram")),
            "{family}"
        );
        assert!(body.contains(&format!("# HELP {family} ")), "{family}");
    }
    assert!(body.contains(r#"gen_ai_token_type="input",le="67108864""#));
    tools::promtool_check_metrics(&body);

    let executions: f64 = parse_exposition(&body)
        .iter()
        .filter(|sample| sample.name == catalog::WORKFLOW_EXECUTIONS_TOTAL)
        .map(|sample| sample.value)
        .sum();
    assert_eq!(
        executions as u64, status.executions,
        "status line: {status}"
    );
    let succeeded: f64 = parse_exposition(&body)
        .iter()
        .filter(|sample| {
            sample.name == catalog::WORKFLOW_EXECUTIONS_TOTAL
                && sample.label("status") == Some("success")
        })
        .map(|sample| sample.value)
        .sum();
    assert_eq!(succeeded as u64, status.succeeded);

    // Money reconciles: the cost counter is what the runs' contexts summed.
    let spent: f64 = parse_exposition(&body)
        .iter()
        .filter(|sample| sample.name == catalog::LLM_COST_NANO_USD_TOTAL)
        .map(|sample| sample.value)
        .sum();
    assert!(status.spent > tta::llm::Usd::ZERO, "{status}");
    assert_eq!(spent as u64, status.spent.nanos(), "status line: {status}");
    assert!(status.saved > tta::llm::Usd::ZERO, "{status}");
    tokio::task::spawn_blocking(move || telemetry.shutdown().unwrap())
        .await
        .unwrap();
}
