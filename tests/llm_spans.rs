//! LLM calls as a real OTLP receiver sees them: a `chat {model}` CLIENT
//! span with the GenAI attributes, the ∑ of usage on every enclosing span,
//! and no prompt text anywhere.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tta::instrument::GenAiCall;
use tta::llm::Usage;
use tta::prelude::*;
use tta_test_support::otlp_http::{self, OtlpHttpReceiver, attribute};

const PROMPT: &str = "PRIVATE: my card is 4111 1111 1111 1111";

/// A model call declared on its `Meta`, as a provider client is.
struct Draft;

impl Primitive for Draft {
    type Input = String;
    type Output = String;

    fn meta(&self) -> &Meta {
        static META: Meta = Meta::gen_ai_static("draft", GenAiCall::chat("openai", "gpt-4o"));
        &META
    }

    async fn execute(&self, prompt: String, ctx: &WorkflowContext) -> tta::Result<String> {
        ctx.record_usage(
            Usage::openai("openai", "gpt-4o", 1_000, 400, 200, 0)
                .response_model("gpt-4o-2024-08-06")
                .finish_reason("stop"),
        )?;
        Ok(prompt)
    }
}

/// The same declaration through the macro.
#[primitive(gen_ai(provider = "anthropic", model = "claude-haiku-4-5"))]
async fn critique(text: String, ctx: &WorkflowContext) -> tta::Result<String> {
    ctx.record_usage(Usage::anthropic("claude-haiku-4-5", 200, 0, 0, 50))?;
    Ok(text)
}

/// A user's own step that reports through an SDK's numbers.
fn reviewer(
    name: &'static str,
    input: u64,
    output: u64,
) -> impl Primitive<Input = String, Output = usize> {
    from_fn(
        name,
        move |prompt: String, ctx: WorkflowContext| async move {
            ctx.record_usage(Usage::anthropic("claude-sonnet-4", input, 0, 0, output))?;
            Ok(prompt.len())
        },
    )
}

fn int(span: &Span, key: &str) -> Option<i64> {
    match attribute(span, key)? {
        Value::IntValue(value) => Some(*value),
        other => panic!("{key} is not an integer: {other:?}"),
    }
}

fn text<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    match attribute(span, key)? {
        Value::StringValue(value) => Some(value),
        other => panic!("{key} is not text: {other:?}"),
    }
}

fn double(span: &Span, key: &str) -> Option<f64> {
    match attribute(span, key)? {
        Value::DoubleValue(value) => Some(*value),
        other => panic!("{key} is not a double: {other:?}"),
    }
}

fn named<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<_> = spans.iter().filter(|span| span.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one span named {name:?} in {:?}",
        names(spans)
    );
    found[0]
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|span| span.name.as_str()).collect()
}

#[test]
fn llm_spans_carry_the_gen_ai_conventions_and_their_sums() {
    let receiver = OtlpHttpReceiver::start();
    let telemetry = receiver.install(|builder| builder);
    let runtime = otlp_http::runtime();
    let ctx = WorkflowContext::new();
    runtime.block_on(async {
        let branches = Parallel::new(
            reviewer("review", 3_000, 100),
            reviewer("translate", 500, 700),
        );
        let workflow = Sequential::new(Draft, branches).named("llm_pipeline");
        workflow
            .run_with(PROMPT.to_owned(), ctx.clone())
            .await
            .unwrap();
        Critique.run(PROMPT.to_owned()).await.unwrap();
    });
    telemetry.flush().unwrap();
    let spans = receiver.spans(Duration::from_secs(10));

    // The declared call: named and kinded as the conventions say.
    let draft = named(&spans, "chat gpt-4o");
    assert_eq!(draft.kind, SpanKind::Client as i32);
    assert_eq!(text(draft, "gen_ai.operation.name"), Some("chat"));
    assert_eq!(text(draft, "gen_ai.provider.name"), Some("openai"));
    assert_eq!(text(draft, "gen_ai.request.model"), Some("gpt-4o"));
    assert_eq!(
        text(draft, "gen_ai.response.model"),
        Some("gpt-4o-2024-08-06")
    );
    assert_eq!(text(draft, "gen_ai.response.finish_reasons"), Some("stop"));
    assert_eq!(int(draft, "gen_ai.usage.input_tokens"), Some(1_000));
    assert_eq!(int(draft, "gen_ai.usage.output_tokens"), Some(200));
    assert_eq!(
        int(draft, "gen_ai.usage.cache_read.input_tokens"),
        Some(400)
    );
    assert_eq!(
        int(draft, "gen_ai.usage.cache_creation.input_tokens"),
        Some(0)
    );
    assert_eq!(text(draft, "tta.primitive.name"), Some("draft"));
    // 600 × $2.50 + 400 × $1.25 + 200 × $10 per million = $0.004.
    assert_eq!(double(draft, "gen_ai.usage.cost"), Some(0.004));

    let critique = named(&spans, "chat claude-haiku-4-5");
    assert_eq!(critique.kind, SpanKind::Client as i32);
    assert_eq!(text(critique, "tta.primitive.name"), Some("critique"));
    assert_eq!(text(critique, "tta.primitive.type"), Some("llm"));
    assert_eq!(int(critique, "gen_ai.usage.output_tokens"), Some(50));

    // A user step that only reported: the attributes without the declared name.
    let review = named(&spans, "review");
    assert_eq!(text(review, "gen_ai.provider.name"), Some("anthropic"));
    assert_eq!(int(review, "gen_ai.usage.input_tokens"), Some(3_000));
    assert_eq!(review.kind, SpanKind::Internal as i32);

    // Every enclosing span carries the ∑ of its subtree.
    let branches = named(&spans, "review | translate");
    assert_eq!(int(branches, "tta.usage.calls"), Some(2));
    assert_eq!(int(branches, "tta.usage.input_tokens"), Some(3_500));
    assert_eq!(int(branches, "tta.usage.output_tokens"), Some(800));
    assert_eq!(attribute(branches, "gen_ai.usage.input_tokens"), None);
    let root = named(&spans, "llm_pipeline");
    assert_eq!(int(root, "tta.usage.calls"), Some(3));
    assert_eq!(int(root, "tta.usage.input_tokens"), Some(4_500));
    assert_eq!(int(root, "tta.usage.output_tokens"), Some(1_000));
    // The root's ∑ is the run's roll-up.
    let run = ctx.usage();
    assert_eq!(run.input_tokens, 4_500);
    assert_eq!(double(root, "tta.usage.cost"), Some(run.cost.as_dollars()));

    // Private by default: no span carries the prompt.
    for span in &spans {
        for kv in &span.attributes {
            let rendered = format!("{:?}", kv.value);
            assert!(
                !rendered.contains("4111"),
                "{} leaks the prompt in {}",
                span.name,
                kv.key
            );
        }
    }
}
