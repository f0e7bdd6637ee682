//! The chat-completion client against a real HTTP server on loopback that
//! speaks the OpenAI API: usage flows into the run, errors get their kinds,
//! and no answer, however broken, panics or loses a count.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use tta::llm::{UsageTotals, Usd};
use tta::openai::{ChatCompletion, ChatConfig, ChatRequest, ProviderError};
use tta::prelude::*;
use tta_test_support::metrics;
use tta_test_support::openai_mock::{MockProvider, Reply};

fn client(mock: &MockProvider, timeout: Duration) -> ChatCompletion {
    let config = ChatConfig::builder("gpt-4o-mini")
        .base_url(mock.base_url())
        .api_key("sk-test-key-0123456789abcdef")
        .header("x-team", "search")
        .max_tokens(256)
        .timeout(timeout)
        .build()
        .unwrap();
    ChatCompletion::new(config).unwrap()
}

fn provider_error(error: &Error) -> &ProviderError {
    error
        .downcast_ref::<ProviderError>()
        .unwrap_or_else(|| panic!("not a provider error: {error:?}"))
}

#[tokio::test]
async fn an_answer_reports_its_usage_and_cost_to_the_run() {
    metrics::install();
    let mock = MockProvider::start();
    mock.script([Reply::answer("Paris.", 1_200, 1_024, 30)]);
    let chat = client(&mock, Duration::from_secs(5));
    let ctx = WorkflowContext::builder()
        .tracestate("acme=r2".parse().unwrap())
        .build();
    let request = ChatRequest::user("Capital of France?").system("Be terse.");
    let answer = chat.run_with(request, ctx.clone()).await.unwrap();

    assert_eq!(answer.content, "Paris.");
    assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
    assert_eq!(answer.model, "gpt-4o-mini-2024-07-18");
    // 176 uncached × 150 + 1024 cached × 75 + 30 out × 600 nano-dollars.
    let cost = Usd::from_nanos(176 * 150 + 1_024 * 75 + 30 * 600);
    assert_eq!(ctx.usage().cost, cost);
    assert_eq!(ctx.usage().cache_read_tokens, 1_024);

    let sent = &mock.received()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(
        sent.header("authorization"),
        Some("Bearer sk-test-key-0123456789abcdef")
    );
    assert_eq!(sent.header("x-team"), Some("search"));
    assert_eq!(
        sent.header("traceparent"),
        Some(ctx.traceparent().to_string().as_str())
    );
    assert_eq!(sent.header("tracestate"), Some("acme=r2"));
    assert_eq!(sent.body["model"], "gpt-4o-mini");
    assert_eq!(sent.body["max_tokens"], 256);
    assert_eq!(sent.body["stream"], false);
    assert_eq!(
        sent.body["messages"][0],
        json!({"role": "system", "content": "Be terse."})
    );

    let labels = [
        ("gen_ai_request_model", "gpt-4o-mini"),
        ("gen_ai_response_model", "gpt-4o-mini-2024-07-18"),
    ];
    assert_eq!(
        metrics::histogram("gen_ai_client_operation_duration_seconds", &labels).len(),
        1
    );
    let tokens = metrics::histogram(
        "gen_ai_client_token_usage",
        &[("gen_ai_token_type", "input"), labels[1]],
    );
    assert_eq!(tokens, vec![1_200.0]);
    assert_eq!(chat.name(), "chat");
}

#[tokio::test]
async fn a_429_is_rate_limited_with_the_providers_delay() {
    let mock = MockProvider::start();
    mock.script([
        Reply::Status {
            status: 429,
            body: json!({"error": {"message": "Rate limit reached for gpt-4o-mini"}}).to_string(),
            headers: vec![("retry-after-ms".to_owned(), "1500".to_owned())],
        },
        Reply::Status {
            status: 429,
            body: String::new(),
            headers: vec![("retry-after".to_owned(), "7".to_owned())],
        },
    ]);
    let chat = client(&mock, Duration::from_secs(5));
    let error = chat.run("hi".into()).await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_millis(1500)),
        "{error:?}"
    );
    assert!(error.is_transient());
    let error = chat.run("hi".into()).await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7)),
        "{error:?}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_the_usage_counted_once() {
    let mock = MockProvider::start();
    mock.script([
        Reply::error(
            500,
            "The server had an error while processing your request.",
        ),
        Reply::error(503, "overloaded"),
        Reply::answer("ok", 100, 0, 10),
    ]);
    let chat = client(&mock, Duration::from_secs(5)).retry(
        RetryPolicy::builder()
            .max_attempts(3)
            .backoff(Backoff::constant(Duration::from_millis(1)))
            .build()
            .unwrap(),
    );
    let ctx = WorkflowContext::new();
    let answer = chat.run_with("hi".into(), ctx.clone()).await.unwrap();
    assert_eq!(answer.content, "ok");
    assert_eq!(mock.received().len(), 3);
    assert_eq!(ctx.usage().calls, 1);
    assert_eq!(ctx.usage().input_tokens, 100);
}

#[tokio::test]
async fn client_errors_are_permanent_with_the_providers_message() {
    let mock = MockProvider::start();
    mock.script([Reply::error(401, "Incorrect API key provided: sk-test***")]);
    let chat = client(&mock, Duration::from_secs(5)).retry(RetryPolicy::default());
    let error = chat.run("hi".into()).await.unwrap_err();
    assert_eq!(mock.received().len(), 1, "a permanent error is not retried");
    let error = match &error {
        Error::RetriesExhausted { last, .. } => last,
        other => other,
    };
    assert!(!error.is_transient());
    assert_eq!(
        provider_error(error).to_string(),
        "openai answered HTTP 401: Incorrect API key provided: sk-test***"
    );
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_kept_and_a_slower_one_is_not() {
    let mock = MockProvider::start();
    let slow = |delay| Reply::Answer {
        content: "late".to_owned(),
        usage: json!({"prompt_tokens": 10, "completion_tokens": 2}),
        delay,
    };
    mock.script([
        slow(Duration::from_millis(100)),
        slow(Duration::from_millis(900)),
    ]);
    let chat = client(&mock, Duration::from_millis(500));
    let ctx = WorkflowContext::new();
    assert_eq!(
        chat.run_with("hi".into(), ctx.clone())
            .await
            .unwrap()
            .content,
        "late"
    );
    let error = chat.run_with("hi".into(), ctx.clone()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    // The abandoned answer is not billed to the run.
    assert_eq!(ctx.usage().calls, 1);
}

#[tokio::test]
async fn a_hung_provider_times_out_as_a_timeout() {
    let mock = MockProvider::start();
    mock.script([Reply::Hang]);
    let chat = client(&mock, Duration::from_millis(300));
    let error = chat.run("hi".into()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    // The run's deadline shortens the request's own timeout.
    mock.script([Reply::Hang]);
    let chat = client(&mock, Duration::from_secs(600));
    let ctx = WorkflowContext::builder()
        .timeout(Duration::from_millis(200))
        .build();
    let error = chat.run_with("hi".into(), ctx).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
}

#[tokio::test]
async fn broken_answers_are_clear_transient_errors_and_count_nothing() {
    let mock = MockProvider::start();
    let negative = json!({
        "model": "gpt-4o-mini", "choices": [{"message": {"content": "x"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": -5, "completion_tokens": 3}
    });
    let impossible = json!({
        "model": "gpt-4o-mini", "choices": [{"message": {"content": "x"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 50}}
    });
    let cases = [
        (
            Reply::Body("<html>Bad gateway</html>".to_owned()),
            "expected value",
        ),
        (
            Reply::Body(r#"{"choices": []}"#.to_owned()),
            "it has no choices",
        ),
        (
            Reply::Body(negative.to_string()),
            "invalid value: integer `-5`",
        ),
        (
            Reply::Body(impossible.to_string()),
            "exceed the 10 input tokens",
        ),
        (
            Reply::Body(r#"{"choices": [{"message": {"content": "trunc"#.to_owned()),
            "EOF while parsing",
        ),
    ];
    let chat = client(&mock, Duration::from_secs(5));
    for (reply, reason) in cases {
        mock.script([reply]);
        let ctx = WorkflowContext::new();
        let error = chat.run_with("hi".into(), ctx.clone()).await.unwrap_err();
        assert!(error.is_transient(), "{error}");
        let message = provider_error(&error).to_string();
        assert!(
            message.contains("not a chat completion") && message.contains(reason),
            "{message}"
        );
        assert_eq!(ctx.usage(), UsageTotals::default());
    }

    // A body cut short of its announced length.
    mock.script([Reply::Truncated {
        length: 500,
        sent: r#"{"id": "chatcmpl-1", "choi"#.to_owned(),
    }]);
    let error = chat.run("hi".into()).await.unwrap_err();
    assert!(error.is_transient(), "{error}");
    assert!(
        matches!(provider_error(&error), ProviderError::Connect { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_a_transient_connection_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = ChatConfig::builder("gpt-4o-mini")
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .no_api_key()
        .build()
        .unwrap();
    let error = ChatCompletion::new(config)
        .unwrap()
        .run("hi".into())
        .await
        .unwrap_err();
    assert!(error.is_transient());
    let message = provider_error(&error).to_string();
    assert!(
        message.starts_with(&format!(
            "cannot reach openai at http://127.0.0.1:{port}/v1/chat/completions"
        )),
        "{message}"
    );
}

/// A certificate for `localhost`, signed by its own CA.
fn localhost_certificate() -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

#[tokio::test]
async fn https_works_end_to_end_and_verifies_the_server() {
    let (certificate, key) = localhost_certificate();
    let mock = MockProvider::start_tls(&certificate, &key);
    mock.script([Reply::answer("over TLS", 50, 0, 5)]);
    let config = ChatConfig::builder("gpt-4o-mini")
        .base_url(mock.base_url())
        .api_key("sk-test-key-0123456789abcdef")
        .root_certificates_pem(certificate.clone())
        .build()
        .unwrap();
    let ctx = WorkflowContext::new();
    let answer = ChatCompletion::new(config)
        .unwrap()
        .run_with("hi".into(), ctx.clone())
        .await
        .unwrap();
    assert_eq!(answer.content, "over TLS");
    assert_eq!(ctx.usage().input_tokens, 50);
    assert_eq!(
        mock.received()[0].header("authorization"),
        Some("Bearer sk-test-key-0123456789abcdef")
    );

    // A client that does not trust the server's CA refuses it, and the key
    // never leaves.
    let (other_ca, _) = localhost_certificate();
    for roots in [Some(other_ca), None] {
        let mut builder = ChatConfig::builder("gpt-4o-mini")
            .base_url(mock.base_url())
            .no_api_key();
        if let Some(roots) = roots {
            builder = builder.root_certificates_pem(roots);
        }
        let error = ChatCompletion::new(builder.build().unwrap())
            .unwrap()
            .run("hi".into())
            .await
            .unwrap_err();
        let message = provider_error(&error).to_string();
        assert!(message.contains("certificate"), "{message}");
    }
    assert_eq!(mock.received().len(), 1);
}
