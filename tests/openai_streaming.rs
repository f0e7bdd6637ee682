//! The streaming chat client against a real HTTP server on loopback that
//! sends OpenAI's server-sent events, with scripted delays, stalls,
//! disconnects and garbage: text arrives chunk by chunk, usage and cost
//! match the plain call, failures before the first chunk are retried, and
//! a dropped stream closes its connection.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tta::catalog;
use tta::llm::semconv;
use tta::openai::{ChatCompletion, ChatConfig, ChatRequest, ChatStream};
use tta::prelude::*;
use tta::stream::StreamExt;
use tta_test_support::metrics;
use tta_test_support::openai_mock::{MockProvider, Reply, Sse, sse_answer, usage};
use tta_test_support::spans;

fn config(mock: &MockProvider, name: &str) -> ChatConfig {
    ChatConfig::builder("gpt-4o-mini")
        .base_url(mock.base_url())
        .api_key("sk-test-key-0123456789abcdef")
        .name(name)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn read_all(mut stream: ChunkStream<tta::openai::ChatChunk>) -> (String, Option<Error>) {
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => text.push_str(&chunk.content),
            Err(error) => return (text, Some(error)),
        }
    }
    (text, None)
}

#[tokio::test]
async fn text_arrives_chunk_by_chunk_and_costs_what_the_plain_call_costs() {
    metrics::install();
    let mock = MockProvider::start();
    let words = ["The ", "capital ", "is ", "Paris."];
    mock.script([
        Reply::Stream(sse_answer(&words, Some(usage(1_200, 1_024, 30)))),
        Reply::answer("The capital is Paris.", 1_200, 1_024, 30),
    ]);
    let plain = ChatCompletion::new(config(&mock, "openai_stream_cost")).unwrap();
    let streaming = plain.streaming();

    let streamed_ctx = WorkflowContext::new();
    let mut stream = streaming
        .run_with(
            ChatRequest::user("Capital of France?"),
            streamed_ctx.clone(),
        )
        .await
        .unwrap();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        chunks.push(chunk.unwrap());
    }
    let texts: Vec<_> = chunks.iter().map(|chunk| chunk.content.as_str()).collect();
    assert_eq!(texts, ["The ", "capital ", "is ", "Paris.", ""]);
    assert_eq!(
        chunks.last().unwrap().finish_reason.as_deref(),
        Some("stop")
    );

    let plain_ctx = WorkflowContext::new();
    plain
        .run_with(ChatRequest::user("Capital of France?"), plain_ctx.clone())
        .await
        .unwrap();
    assert_eq!(
        streamed_ctx.usage(),
        plain_ctx.usage(),
        "same tokens and cost"
    );
    assert_eq!(streamed_ctx.usage().cache_read_tokens, 1_024);

    let sent = &mock.received()[0];
    assert_eq!(sent.body["stream"], true);
    assert_eq!(sent.body["stream_options"]["include_usage"], true);
    assert_eq!(sent.header("accept"), Some("text/event-stream"));
    assert!(sent.header("traceparent").is_some());
    assert_eq!(mock.received()[1].body["stream"], false);

    let name = [("primitive_name", "openai_stream_cost")];
    assert_eq!(metrics::counter(catalog::STREAM_CHUNKS_TOTAL, &name), 5);
    assert_eq!(
        metrics::histogram(catalog::STREAM_TIME_TO_FIRST_CHUNK_SECONDS, &name).len(),
        1
    );
    let gen_ai = [
        ("gen_ai_request_model", "gpt-4o-mini"),
        ("gen_ai_provider_name", "openai"),
    ];
    assert!(!metrics::histogram(semconv::metrics::TIME_TO_FIRST_CHUNK, &gen_ai).is_empty());
    assert!(!metrics::histogram(semconv::metrics::TIME_PER_OUTPUT_CHUNK, &gen_ai).is_empty());
}

#[tokio::test]
async fn without_a_usage_chunk_usage_is_estimated_and_marked() {
    metrics::install();
    let (_guard, captured) = spans::capture();
    let mock = MockProvider::start();
    mock.script([Reply::Stream(sse_answer(&["abcd", "efgh", "ij"], None))]);
    let chat = ChatStream::new(config(&mock, "openai_stream_estimate")).unwrap();
    let ctx = WorkflowContext::new();
    let request = ChatRequest::user("123456789");
    let stream = chat.run_with(request.clone(), ctx.clone()).await.unwrap();
    let (text, error) = read_all(stream).await;
    assert_eq!((text.as_str(), error.is_none()), ("abcdefghij", true));
    let usage = ctx.usage();
    assert_eq!(usage.output_tokens, 3, "10 characters, 4 a token");
    assert_eq!(usage.input_tokens, request.estimated_prompt_tokens());
    let reported = captured.events_named("llm_usage");
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].field("estimated"), Some("true"));
}

#[tokio::test]
async fn garbage_and_error_events_before_the_first_chunk_fail_the_call_and_are_retried() {
    metrics::install();
    let mock = MockProvider::start();
    mock.script([
        Reply::Stream(vec![Sse::Data("{not json".to_owned())]),
        Reply::Stream(vec![Sse::Data(
            r#"{"error": {"message": "overloaded"}}"#.to_owned(),
        )]),
        Reply::Stream(sse_answer(&["ok"], Some(usage(5, 0, 1)))),
    ]);
    let chat = ChatStream::new(config(&mock, "openai_stream_garbage")).unwrap();
    let policy = RetryPolicy::builder()
        .max_attempts(3)
        .backoff(Backoff::constant(Duration::from_millis(1)))
        .build()
        .unwrap();
    let (_guard, captured) = spans::capture();
    let stream = chat
        .retry(policy)
        .run(ChatRequest::user("hi"))
        .await
        .unwrap();
    let (text, error) = read_all(stream).await;
    assert_eq!((text.as_str(), error.is_none()), ("ok", true));
    let retried: Vec<String> = captured
        .events_named("retry_scheduled")
        .iter()
        .map(|event| event.field("error").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(retried.len(), 2);
    assert!(
        retried[0].contains("an event is not a chunk"),
        "{retried:?}"
    );
    assert!(retried[1].contains("overloaded"), "{retried:?}");
    let failed_early = [
        ("primitive_name", "openai_stream_garbage"),
        ("outcome", "failed_before_first_chunk"),
    ];
    assert_eq!(
        metrics::counter(catalog::STREAM_OUTCOMES_TOTAL, &failed_early),
        2
    );
}

#[tokio::test]
async fn a_disconnect_mid_stream_is_the_streams_last_item_and_is_not_retried() {
    metrics::install();
    let mock = MockProvider::start();
    let mut steps = sse_answer(&["Hel", "lo"], None);
    steps.truncate(3);
    steps.push(Sse::Disconnect);
    mock.script([Reply::Stream(steps)]);
    let chat = ChatStream::new(config(&mock, "openai_stream_disconnect")).unwrap();
    let stream = chat
        .retry(RetryPolicy::default())
        .run(ChatRequest::user("hi"))
        .await
        .unwrap();
    let (text, error) = read_all(stream).await;
    assert_eq!(text, "Hello");
    let error = error.expect("the disconnect is reported");
    assert!(error.is_transient());
    assert!(error.to_string().contains("cut off"), "{error}");
    assert_eq!(
        mock.received().len(),
        1,
        "nothing is retried after the first chunk"
    );
    let mid = [
        ("primitive_name", "openai_stream_disconnect"),
        ("outcome", "failed_mid_stream"),
    ];
    assert_eq!(metrics::counter(catalog::STREAM_OUTCOMES_TOTAL, &mid), 1);
}

#[tokio::test]
async fn a_stall_before_the_first_chunk_hits_the_first_chunk_limit_then_the_retry_answers() {
    metrics::install();
    let mock = MockProvider::start();
    mock.script([
        Reply::Stream(vec![Sse::Stall]),
        Reply::Stream(sse_answer(
            &["late ", "but ", "whole"],
            Some(usage(5, 0, 3)),
        )),
    ]);
    let chat = ChatStream::new(config(&mock, "openai_stream_stall")).unwrap();
    let limits = StreamTimeouts::builder()
        .first_chunk(Duration::from_millis(300))
        .build()
        .unwrap();
    let policy = RetryPolicy::builder()
        .backoff(Backoff::constant(Duration::from_millis(1)))
        .build()
        .unwrap();
    let stream = chat
        .stream_timeouts(limits)
        .retry(policy)
        .run(ChatRequest::user("hi"))
        .await
        .unwrap();
    let (text, error) = read_all(stream).await;
    assert_eq!((text.as_str(), error.is_none()), ("late but whole", true));
    let timeouts = [("primitive_name", "stream_timeouts(openai_stream_stall)")];
    assert_eq!(metrics::counter(catalog::TIMEOUTS_TOTAL, &timeouts), 1);
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    metrics::install();
    let mock = MockProvider::start();
    let mut steps = sse_answer(&["one ", "two "], None);
    steps.truncate(3);
    steps.push(Sse::Stall);
    mock.script([Reply::Stream(steps)]);
    let chat = ChatStream::new(config(&mock, "openai_stream_drop")).unwrap();
    let mut stream = chat.run(ChatRequest::user("hi")).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap().content, "one ");
    drop(stream);
    for _ in 0..500 {
        if mock.streams_closed_by_client() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        mock.streams_closed_by_client(),
        1,
        "the server saw the connection close"
    );
    let cancelled = [
        ("primitive_name", "openai_stream_drop"),
        ("outcome", "cancelled"),
    ];
    assert_eq!(
        metrics::counter(catalog::STREAM_OUTCOMES_TOTAL, &cancelled),
        1
    );
}

#[tokio::test]
async fn an_error_status_fails_the_call_with_its_kind() {
    metrics::install();
    let mock = MockProvider::start();
    mock.script([Reply::Status {
        status: 429,
        body: r#"{"error": {"message": "slow down"}}"#.to_owned(),
        headers: vec![("retry-after".to_owned(), "7".to_owned())],
    }]);
    let chat = ChatStream::new(config(&mock, "openai_stream_429")).unwrap();
    let error = chat.run(ChatRequest::user("hi")).await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(after) } if after == Duration::from_secs(7)),
        "{error:?}"
    );
}
