//! The provider client's spans at a real OTLP receiver: a `chat {model}`
//! CLIENT span with the GenAI attributes; message content only on opt-in,
//! and then scrubbed of secrets.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tta::llm::capture;
use tta::openai::{ChatCompletion, ChatConfig, ChatRequest};
use tta::prelude::*;
use tta_test_support::openai_mock::{MockProvider, Reply};
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

const SECRET: &str = "sk-proj-abcdefghijklmnopqrstuvwxyz012345";

fn text<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|value| match value.value.as_ref()? {
            Value::StringValue(text) => Some(text.as_str()),
            _ => None,
        })
}

fn int(span: &Span, key: &str) -> Option<i64> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|value| match value.value.as_ref()? {
            Value::IntValue(number) => Some(*number),
            _ => None,
        })
}

#[test]
fn chat_spans_follow_the_conventions_and_capture_content_only_on_opt_in() {
    let receiver = OtlpHttpReceiver::start();
    let telemetry = receiver.install(|builder| builder);
    let mock = MockProvider::start();
    mock.script([
        Reply::answer("The key is safe with me.", 40, 0, 8),
        Reply::answer(
            "Your key sk-proj-abcdefghijklmnopqrstuvwxyz012345 is noted.",
            40,
            0,
            12,
        ),
    ]);
    let config = ChatConfig::builder("gpt-4o-mini")
        .base_url(mock.base_url())
        .no_api_key()
        .build()
        .unwrap();
    let chat = ChatCompletion::new(config).unwrap();
    let prompt = format!("Remember my key {SECRET}, please.");
    let runtime = otlp_http::runtime();

    capture::set_content_capture(false);
    runtime
        .block_on(chat.run(ChatRequest::user(prompt.clone())))
        .unwrap();
    capture::set_content_capture(true);
    runtime
        .block_on(chat.run(ChatRequest::user(prompt.clone())))
        .unwrap();
    capture::set_content_capture(false);
    telemetry.flush().unwrap();

    let spans: Vec<Span> = receiver
        .spans(Duration::from_secs(10))
        .into_iter()
        .filter(|span| span.name == "chat gpt-4o-mini")
        .collect();
    assert_eq!(
        spans.len(),
        2,
        "{:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    for span in &spans {
        assert_eq!(span.kind, SpanKind::Client as i32);
        assert_eq!(text(span, "gen_ai.provider.name"), Some("openai"));
        assert_eq!(text(span, "gen_ai.request.model"), Some("gpt-4o-mini"));
        assert_eq!(
            text(span, "gen_ai.response.model"),
            Some("gpt-4o-mini-2024-07-18")
        );
        assert_eq!(int(span, "gen_ai.usage.input_tokens"), Some(40));
        let rendered = format!("{:?}", span.attributes);
        assert!(
            !rendered.contains(SECRET),
            "a span carries the key: {rendered}"
        );
    }
    let (off, on) = (&spans[0], &spans[1]);
    assert_eq!(
        text(off, "gen_ai.input.messages"),
        None,
        "content is off by default"
    );
    assert_eq!(text(off, "gen_ai.output.messages"), None);
    let input = text(on, "gen_ai.input.messages").expect("captured on opt-in");
    assert!(
        input.contains("Remember my key [REDACTED], please."),
        "{input}"
    );
    assert!(input.contains(r#""role":"user""#), "{input}");
    let output = text(on, "gen_ai.output.messages").expect("captured on opt-in");
    assert!(output.contains("Your key [REDACTED] is noted."), "{output}");
}
