//! Streamed calls as a real OTLP receiver sees them: the model call's span
//! and every span around it end after the last chunk was read, nest as the
//! composition does, and carry the GenAI streaming attributes and the
//! usage reported with the last chunk.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::stream;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use tta::instrument::GenAiCall;
use tta::llm::Usage;
use tta::prelude::*;
use tta::stream::StreamExt;
use tta_test_support::otlp_http::{self, OtlpHttpReceiver, attribute};

fn named<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<_> = spans.iter().filter(|span| span.name == name).collect();
    assert_eq!(found.len(), 1, "one span named {name:?}");
    found[0]
}

fn now_nanos() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    )
    .unwrap()
}

#[test]
fn a_streamed_calls_spans_end_after_its_last_chunk_and_carry_its_usage() {
    let receiver = OtlpHttpReceiver::start();
    let telemetry = receiver.install(|builder| builder);
    let runtime = otlp_http::runtime();
    let model = from_fn("streamed_model", |_: (), ctx: WorkflowContext| async move {
        let words = stream::iter(["a", "b", "c"]).then(|word| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok(word)
        });
        let usage = stream::once(async move {
            ctx.record_usage(Usage::openai("openai", "gpt-4o-mini", 100, 0, 3, 0))?;
            Ok(None)
        });
        let chunks = words
            .map(|word: tta::Result<&str>| word.map(Some))
            .chain(usage);
        ChunkStream::open(chunks.filter_map(|chunk| async move { chunk.transpose() })).await
    })
    .with_gen_ai(GenAiCall::chat("openai", "gpt-4o-mini"));
    let workflow = model
        .retry(RetryPolicy::default())
        .named("streamed_workflow");
    let (opened, last_chunk, ended) = runtime.block_on(async {
        let mut answer = workflow.run(()).await.unwrap();
        let opened = now_nanos();
        let mut words = Vec::new();
        let mut last_chunk = 0;
        while let Some(word) = answer.next().await {
            words.push(word.unwrap());
            last_chunk = now_nanos();
        }
        assert_eq!(words, ["a", "b", "c"]);
        (opened, last_chunk, now_nanos())
    });
    telemetry.flush().unwrap();
    let spans = receiver.spans(Duration::from_secs(10));

    let call = named(&spans, "chat gpt-4o-mini");
    let run = named(&spans, "streamed_workflow");
    assert_eq!(
        call.parent_span_id, run.span_id,
        "the call nests under the run"
    );
    for span in [call, run] {
        assert!(span.start_time_unix_nano <= opened);
        // It ends in the poll that finds the stream's end: after the last
        // chunk was read, before that poll returned.
        assert!(
            span.end_time_unix_nano >= last_chunk,
            "{} ended before its last chunk",
            span.name
        );
        assert!(span.end_time_unix_nano <= ended);
    }
    assert_eq!(
        attribute(call, "gen_ai.request.stream"),
        Some(&Value::BoolValue(true))
    );
    // No attributes that would say nothing about the step: every primitive
    // span opens at the same line, on any thread.
    for span in &spans {
        let noise: Vec<_> = span
            .attributes
            .iter()
            .map(|kv| kv.key.as_str())
            .filter(|key| {
                key.starts_with("code.")
                    || key.starts_with("thread.")
                    || ["busy_ns", "idle_ns", "target"].contains(key)
            })
            .collect();
        assert!(noise.is_empty(), "{}: {noise:?}", span.name);
    }
    let Some(Value::DoubleValue(first_chunk)) =
        attribute(call, "gen_ai.response.time_to_first_chunk")
    else {
        panic!("no time to first chunk on {:?}", call.attributes);
    };
    assert!(*first_chunk > 0.0);
    assert_eq!(
        attribute(call, "gen_ai.usage.input_tokens"),
        Some(&Value::IntValue(100))
    );
    assert_eq!(
        attribute(call, "gen_ai.usage.output_tokens"),
        Some(&Value::IntValue(3))
    );
    assert_eq!(
        attribute(run, "tta.usage.output_tokens"),
        Some(&Value::IntValue(3)),
        "the ∑ reaches the run"
    );
}
