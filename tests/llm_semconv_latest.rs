//! `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`: the newest
//! GenAI names replace the v1.36–v1.41 ones, from one table. Its own test
//! binary, because the convention is process-wide.

#![allow(clippy::unwrap_used)]

use tta::llm::Usage;
use tta::llm::semconv::{self, Convention};
use tta::prelude::*;
use tta_test_support::metrics;

#[tokio::test]
async fn the_opt_in_switches_metric_and_attribute_names() {
    metrics::install();
    // The variable is unset in tests: the stable names, until switched.
    assert_eq!(semconv::convention(), Convention::Stable);
    semconv::set_convention(Convention::LatestExperimental);
    assert_eq!(
        semconv::attributes::cache_write_tokens(),
        "gen_ai.usage.cache_write.input_tokens"
    );

    let call = from_fn(
        "latest_call",
        |prompt: String, ctx: WorkflowContext| async move {
            ctx.record_usage(
                Usage::anthropic("claude-sonnet-4", 100, 20, 30, 40)
                    .response_model("claude-sonnet-4-20250514"),
            )?;
            Ok(prompt)
        },
    );
    call.run("q".to_owned()).await.unwrap();

    let model = [("gen_ai_response_model", "claude-sonnet-4-20250514")];
    assert_eq!(
        metrics::histogram("gen_ai_client_inference_duration_seconds", &model).len(),
        1
    );
    assert!(metrics::histogram("gen_ai_client_operation_duration_seconds", &model).is_empty());
    assert!(metrics::histogram("gen_ai_client_token_usage", &model).is_empty());
    let counted = |name| metrics::counter(name, &model);
    assert_eq!(
        counted("gen_ai_client_inference_usage_input_tokens_total"),
        150
    );
    assert_eq!(
        counted("gen_ai_client_inference_usage_output_tokens_total"),
        40
    );
    assert_eq!(
        counted("gen_ai_client_inference_usage_cache_read_input_tokens_total"),
        30
    );
    assert_eq!(
        counted("gen_ai_client_inference_usage_cache_write_input_tokens_total"),
        20
    );
    assert_eq!(
        counted("gen_ai_client_inference_usage_reasoning_output_tokens_total"),
        0
    );
}
