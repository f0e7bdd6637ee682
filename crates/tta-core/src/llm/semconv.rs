//! Every OpenTelemetry GenAI name TTA emits, in one place.
//!
//! The GenAI conventions are still experimental and are being renamed
//! (`gen_ai.client.operation.duration` becomes
//! `gen_ai.client.inference.duration`, the token histogram becomes one
//! counter per token kind, `cache_creation` becomes `cache_write`). By
//! default TTA emits the names of conventions v1.36 to v1.41, which the
//! back ends read today; `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`
//! (or [`set_convention`]) switches to the newer ones. A rename is a change
//! to this file only.
//!
//! Metric names are the Prometheus forms of the OpenTelemetry names (dots
//! become underscores, seconds get `_seconds`, counters `_total`), which is
//! what an OpenTelemetry Prometheus exporter would serve and what
//! Prometheus 2 can query.

use std::sync::atomic::{AtomicU8, Ordering};

/// Which generation of the GenAI names to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// Conventions v1.36 to v1.41: what OpenLLMetry, Langfuse and SigNoz read.
    Stable,
    /// The newest experimental names (`gen_ai_latest_experimental`).
    LatestExperimental,
}

/// The opt-in value of `OTEL_SEMCONV_STABILITY_OPT_IN` for the newest names.
pub const OPT_IN_VALUE: &str = "gen_ai_latest_experimental";

const UNSET: u8 = 0;
const STABLE: u8 = 1;
const LATEST: u8 = 2;

static CONVENTION: AtomicU8 = AtomicU8::new(UNSET);

/// The convention in force: set by [`set_convention`], or read once from
/// `OTEL_SEMCONV_STABILITY_OPT_IN` (a comma-separated list).
pub fn convention() -> Convention {
    match CONVENTION.load(Ordering::Relaxed) {
        STABLE => Convention::Stable,
        LATEST => Convention::LatestExperimental,
        _ => {
            let chosen = from_opt_in(
                std::env::var("OTEL_SEMCONV_STABILITY_OPT_IN")
                    .ok()
                    .as_deref(),
            );
            set_convention(chosen);
            chosen
        }
    }
}

/// The convention an `OTEL_SEMCONV_STABILITY_OPT_IN` value asks for.
fn from_opt_in(list: Option<&str>) -> Convention {
    let opted_in = list.is_some_and(|list| list.split(',').any(|item| item.trim() == OPT_IN_VALUE));
    if opted_in {
        Convention::LatestExperimental
    } else {
        Convention::Stable
    }
}

/// Chooses the convention for metrics registered and spans recorded from now on.
pub fn set_convention(convention: Convention) {
    let value = match convention {
        Convention::Stable => STABLE,
        Convention::LatestExperimental => LATEST,
    };
    CONVENTION.store(value, Ordering::Relaxed);
    super::models::invalidate();
}

/// Span attributes of a GenAI call.
pub mod attributes {
    /// `chat`, `embeddings`, ...
    pub const OPERATION_NAME: &str = "gen_ai.operation.name";
    /// `openai`, `anthropic`, ...
    pub const PROVIDER_NAME: &str = "gen_ai.provider.name";
    /// The model asked for.
    pub const REQUEST_MODEL: &str = "gen_ai.request.model";
    /// The model that answered.
    pub const RESPONSE_MODEL: &str = "gen_ai.response.model";
    /// Why the model stopped.
    pub const FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
    /// Every input token.
    pub const INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
    /// Every output token.
    pub const OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
    /// Input tokens read from the prompt cache.
    pub const CACHE_READ_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
    /// Input tokens written to the prompt cache, v1.36 to v1.41.
    pub const CACHE_CREATION_TOKENS: &str = "gen_ai.usage.cache_creation.input_tokens";
    /// Input tokens written to the prompt cache, latest.
    pub const CACHE_WRITE_TOKENS: &str = "gen_ai.usage.cache_write.input_tokens";
    /// Reasoning tokens.
    pub const REASONING_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";
    /// The call's cost in dollars: not in the conventions, but read by
    /// Langfuse (`costDetails.total`) and others.
    pub const COST: &str = "gen_ai.usage.cost";
    /// The input messages, captured only on opt-in.
    pub const INPUT_MESSAGES: &str = "gen_ai.input.messages";
    /// The output messages, captured only on opt-in.
    pub const OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
    /// The error's type on a failed call (a stable attribute).
    pub const ERROR_TYPE: &str = "error.type";
    /// `gen_ai.request.stream`: the call streamed its answer.
    pub const REQUEST_STREAM: &str = "gen_ai.request.stream";
    /// `gen_ai.response.time_to_first_chunk`, in seconds.
    pub const TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
    /// The reported usage is an estimate: the provider sent none.
    pub const USAGE_ESTIMATED: &str = "tta.usage.estimated";

    /// ∑ of the input tokens of every call under a span (TTA's own).
    pub const SUBTREE_INPUT_TOKENS: &str = "tta.usage.input_tokens";
    /// ∑ of the output tokens of every call under a span.
    pub const SUBTREE_OUTPUT_TOKENS: &str = "tta.usage.output_tokens";
    /// ∑ of the cost in dollars of every priced call under a span.
    pub const SUBTREE_COST: &str = "tta.usage.cost";
    /// ∑ of the calls under a span.
    pub const SUBTREE_CALLS: &str = "tta.usage.calls";
    /// ∑ of the unpriced calls under a span.
    pub const SUBTREE_UNPRICED_CALLS: &str = "tta.usage.unpriced_calls";

    /// The cache-write attribute of the convention in force.
    pub fn cache_write_tokens() -> &'static str {
        match super::convention() {
            super::Convention::Stable => CACHE_CREATION_TOKENS,
            super::Convention::LatestExperimental => CACHE_WRITE_TOKENS,
        }
    }
}

/// Metric label names, in their Prometheus form.
pub mod labels {
    /// `gen_ai.operation.name`.
    pub const OPERATION_NAME: &str = "gen_ai_operation_name";
    /// `gen_ai.provider.name`.
    pub const PROVIDER_NAME: &str = "gen_ai_provider_name";
    /// `gen_ai.request.model`.
    pub const REQUEST_MODEL: &str = "gen_ai_request_model";
    /// `gen_ai.response.model`.
    pub const RESPONSE_MODEL: &str = "gen_ai_response_model";
    /// `gen_ai.token.type`: `input` or `output`.
    pub const TOKEN_TYPE: &str = "gen_ai_token_type";
    /// `error.type`.
    pub const ERROR_TYPE: &str = "error_type";
}

/// Metric names, in their Prometheus form.
pub mod metrics {
    /// Histogram of the duration of calls, v1.36 to v1.41.
    pub const OPERATION_DURATION: &str = "gen_ai_client_operation_duration_seconds";
    /// Histogram of tokens per call by `gen_ai_token_type`, v1.36 to v1.41.
    pub const TOKEN_USAGE: &str = "gen_ai_client_token_usage";
    /// Histogram of the duration of inference calls, latest.
    pub const INFERENCE_DURATION: &str = "gen_ai_client_inference_duration_seconds";
    /// Counters of tokens by kind, latest: input, output, cache read, cache
    /// write, reasoning.
    pub const INFERENCE_USAGE: [&str; 5] = [
        "gen_ai_client_inference_usage_input_tokens_total",
        "gen_ai_client_inference_usage_output_tokens_total",
        "gen_ai_client_inference_usage_cache_read_input_tokens_total",
        "gen_ai_client_inference_usage_cache_write_input_tokens_total",
        "gen_ai_client_inference_usage_reasoning_output_tokens_total",
    ];

    /// Histogram of the time from a streamed call's start to its first
    /// chunk (`gen_ai.client.operation.time_to_first_chunk`).
    pub const TIME_TO_FIRST_CHUNK: &str = "gen_ai_client_operation_time_to_first_chunk_seconds";
    /// Histogram of the time between chunks after the first
    /// (`gen_ai.client.operation.time_per_output_chunk`).
    pub const TIME_PER_OUTPUT_CHUNK: &str = "gen_ai_client_operation_time_per_output_chunk_seconds";

    /// The conventions' explicit bucket boundaries for token counts.
    pub const TOKEN_BUCKETS: &[f64] = &[
        1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0,
        4194304.0, 16777216.0, 67108864.0,
    ];

    /// The conventions' explicit bucket boundaries for durations, in seconds.
    pub const DURATION_BUCKETS: &[f64] = &[
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ];

    /// Registers the help text and unit of every GenAI metric of either
    /// convention; [`catalog::describe`](crate::catalog::describe) calls it.
    pub fn describe() {
        use ::metrics::{Unit, describe_counter, describe_histogram};
        describe_histogram!(
            OPERATION_DURATION,
            Unit::Seconds,
            "GenAI operation duration (gen_ai.client.operation.duration)."
        );
        describe_histogram!(
            TOKEN_USAGE,
            "Tokens per GenAI operation by gen_ai_token_type (gen_ai.client.token.usage)."
        );
        describe_histogram!(
            INFERENCE_DURATION,
            Unit::Seconds,
            "GenAI inference duration (gen_ai.client.inference.duration)."
        );
        describe_histogram!(
            TIME_TO_FIRST_CHUNK,
            Unit::Seconds,
            "Time to the first chunk of a streamed GenAI call (gen_ai.client.operation.time_to_first_chunk)."
        );
        describe_histogram!(
            TIME_PER_OUTPUT_CHUNK,
            Unit::Seconds,
            "Time between chunks of a streamed GenAI call (gen_ai.client.operation.time_per_output_chunk)."
        );
        for name in INFERENCE_USAGE {
            describe_counter!(
                name,
                "GenAI inference tokens of one kind (gen_ai.client.inference.usage.*)."
            );
        }
    }

    /// Every GenAI histogram of either convention, with its buckets: an
    /// exporter must set these, or Prometheus gets summaries.
    pub const HISTOGRAMS: &[(&str, &[f64])] = &[
        (OPERATION_DURATION, DURATION_BUCKETS),
        (INFERENCE_DURATION, DURATION_BUCKETS),
        (TOKEN_USAGE, TOKEN_BUCKETS),
        (TIME_TO_FIRST_CHUNK, DURATION_BUCKETS),
        (TIME_PER_OUTPUT_CHUNK, CHUNK_BUCKETS),
    ];

    /// Bucket boundaries for the time between chunks, in seconds: tokens
    /// arrive milliseconds apart, so these start 10× lower than the
    /// durations' and double in the same way.
    pub const CHUNK_BUCKETS: &[f64] = &[
        0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opt_in_is_one_item_of_a_comma_separated_list() {
        assert_eq!(from_opt_in(None), Convention::Stable);
        assert_eq!(from_opt_in(Some("http")), Convention::Stable);
        assert_eq!(
            from_opt_in(Some("gen_ai_latest_experimental_not")),
            Convention::Stable
        );
        assert_eq!(
            from_opt_in(Some("http, gen_ai_latest_experimental")),
            Convention::LatestExperimental
        );
    }
}
