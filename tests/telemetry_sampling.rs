//! Head sampling end to end: with a trace ratio configured, a run's spans
//! reach the collector exactly when its context was sampled (the ratio is
//! applied once, not again by the SDK), and every run is still counted.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tta::prelude::*;
use tta_test_support::http::{parse_exposition, value};
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

const RUNS: usize = 200;

#[test]
fn only_sampled_runs_are_exported_and_every_run_is_counted() {
    let receiver = OtlpHttpReceiver::start();
    let telemetry = receiver.install(|builder| builder.trace_sample_ratio(0.5));
    assert_eq!(tta::sampling::sample_ratio(), 0.5);

    let runtime = otlp_http::runtime();
    let sampled = runtime.block_on(async {
        let embed = from_fn(
            "sampling_embed",
            |text: String, _ctx| async move { Ok(text) },
        );
        let rank = from_fn("sampling_rank", |text: String, _ctx| async move {
            Ok(text.len())
        });
        let workflow = embed >> rank;
        let mut sampled = 0;
        for _ in 0..RUNS {
            let ctx = WorkflowContext::new();
            sampled += usize::from(ctx.is_sampled());
            workflow.run_with("query".to_owned(), ctx).await.unwrap();
        }
        // One run asks for its trace whatever the ratio.
        let forced = WorkflowContext::builder().sampled(true).build();
        workflow.run_with("debug".to_owned(), forced).await.unwrap();
        sampled + 1
    });
    // About half, and certainly neither none nor all (odds below 2⁻¹⁹⁰).
    assert!((2..=RUNS).contains(&sampled), "{sampled} runs sampled");

    let scrape = telemetry.render();
    telemetry.shutdown().unwrap();
    let spans = receiver.spans(Duration::from_secs(10));
    let roots = spans
        .iter()
        .filter(|span| span.parent_span_id.is_empty())
        .count();
    assert_eq!(roots, sampled, "one root span per sampled run");
    assert_eq!(spans.len(), 3 * sampled, "the run and its two steps");

    let samples = parse_exposition(&scrape);
    let runs = [
        ("workflow_name", "sampling_embed >> sampling_rank"),
        ("status", "success"),
    ];
    assert_eq!(
        value(&samples, "tta_workflow_executions_total", &runs),
        Some((RUNS + 1) as f64),
        "unsampled runs are counted too"
    );
}
