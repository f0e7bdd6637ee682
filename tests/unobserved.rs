//! With nobody listening (no `tracing` subscriber, and nobody said a
//! metrics recorder is installed), an execution inside a run skips its
//! telemetry but keeps every guarantee: cancellation, deadline and budget
//! refusals, the panic guard, usage roll-up, streams.
//!
//! This binary installs no subscriber and no recorder: every test here
//! runs unobserved (`tests/metrics_switch.rs` turns metrics on).

use std::time::Duration;

use futures_util::StreamExt;
use tta::llm::{Usage, measure};
use tta::prelude::*;
use tta::stream::ChunkStream;

fn nobody_listens() {
    assert_eq!(
        tracing::level_filters::LevelFilter::current(),
        tracing::level_filters::LevelFilter::OFF,
        "this binary must install no subscriber"
    );
    assert!(!tta::instrument::metrics_enabled());
}

#[tokio::test]
async fn a_cancelled_run_still_refuses_its_next_step() {
    nobody_listens();
    let first = from_fn("unobserved_cancel_first", |x: u32, ctx| async move {
        ctx.cancel();
        Ok(x + 1)
    });
    let second = from_fn("unobserved_cancel_second", |_: u32, _ctx| async move {
        panic!("a step after a cancellation must not start");
        #[allow(unreachable_code)]
        Ok(0_u32)
    });
    let error = (first >> second).call(1, &WorkflowContext::new()).await;
    assert!(matches!(error, Err(Error::Cancelled)), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn a_run_past_its_deadline_still_refuses_its_next_step() {
    nobody_listens();
    let slow = from_fn("unobserved_deadline_slow", |x: u32, _ctx| async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(x)
    });
    let next = from_fn("unobserved_deadline_next", |_: u32, _ctx| async move {
        panic!("a step past the deadline must not start");
        #[allow(unreachable_code)]
        Ok(0_u32)
    });
    let ctx = WorkflowContext::builder()
        .timeout(Duration::from_secs(1))
        .build();
    let error = (slow >> next).call(1, &ctx).await;
    assert!(matches!(error, Err(Error::Timeout { .. })), "{error:?}");
}

#[tokio::test]
async fn a_panicking_step_is_still_an_error() {
    nobody_listens();
    let step = from_fn("unobserved_panic", |_: u32, _ctx| async move {
        if true {
            panic!("boom");
        }
        Ok(0_u32)
    });
    let error = step.call(1, &WorkflowContext::new()).await;
    assert!(
        matches!(&error, Err(Error::Panicked { message }) if message == "boom"),
        "{error:?}"
    );
}

#[tokio::test]
async fn usage_still_reaches_the_ledger_and_the_measuring_wrapper() {
    nobody_listens();
    let call = || {
        from_fn("unobserved_usage", |x: u32, ctx| async move {
            ctx.record_usage(Usage::openai("openai", "gpt-4o-mini", 1_000, 0, 200, 0))?;
            Ok(x)
        })
    };
    let workflow = call() >> call();
    let ctx = WorkflowContext::new();
    let (result, measured) = measure(workflow.call(1, &ctx)).await;
    assert_eq!(result.ok(), Some(1));
    assert_eq!(measured.input_tokens, 2_000);
    assert_eq!(measured.output_tokens, 400);
    assert_eq!(ctx.usage(), measured);
}

#[tokio::test]
async fn a_stream_still_streams_through_a_chain() {
    nobody_listens();
    let open = from_fn("unobserved_stream", |text: &'static str, _ctx| async move {
        ChunkStream::open(futures_util::stream::iter(text.split(' ').map(Ok))).await
    });
    let workflow = open.retry(RetryPolicy::default());
    let stream = workflow.run("a b c").await.expect("the stream opens");
    let words: Vec<_> = stream.map(|chunk| chunk.expect("a chunk")).collect().await;
    assert_eq!(words, ["a", "b", "c"]);
}
