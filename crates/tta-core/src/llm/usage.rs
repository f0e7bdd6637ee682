//! [`Usage`]: what one model call used, and [`UsageTotals`]: what many did.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Add, AddAssign};

use super::money::Usd;

/// More tokens than any model takes or returns in one call (the largest
/// context windows hold about 10⁷): a count above it is a bug, not a bill.
pub const MAX_TOKENS_PER_CALL: u64 = 1_000_000_000;

/// What one model call used, as the provider reported it.
///
/// Counts follow the OpenTelemetry GenAI conventions:
/// - `input_tokens` is **every** input token, including those read from or
///   written to the provider's prompt cache;
/// - `output_tokens` is every output token, including reasoning tokens.
///
/// Providers report this differently; the constructors translate:
/// [`openai`](Self::openai) (`cached_tokens` inside `prompt_tokens`) and
/// [`anthropic`](Self::anthropic) (cache tokens beside `input_tokens`).
///
/// Report it with [`WorkflowContext::record_usage`](crate::WorkflowContext::record_usage):
///
/// ```
/// use tta_core::llm::Usage;
/// # let ctx = tta_core::WorkflowContext::new();
///
/// // One line after the SDK call: tokens, cost, metrics and span attributes follow.
/// ctx.record_usage(Usage::openai("openai", "gpt-4o-mini", 1_200, 1_024, 300, 0))?;
/// assert_eq!(ctx.usage().input_tokens, 1_200);
/// # Ok::<(), tta_core::llm::UsageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub(crate) operation: Cow<'static, str>,
    pub(crate) provider: Cow<'static, str>,
    pub(crate) request_model: Cow<'static, str>,
    pub(crate) response_model: Option<Cow<'static, str>>,
    pub(crate) finish_reason: Option<Cow<'static, str>>,
    pub(crate) tokens: Tokens,
    pub(crate) estimated: bool,
}

/// The token counts of one call, in the OpenTelemetry sense (see [`Usage`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Every input token, cached or not.
    pub input: u64,
    /// Every output token, reasoning included.
    pub output: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write: u64,
    /// Output tokens spent on hidden reasoning.
    pub reasoning: u64,
}

impl Tokens {
    /// Input tokens billed at the plain input rate.
    pub fn uncached_input(&self) -> u64 {
        self.input
            .saturating_sub(self.cache_read)
            .saturating_sub(self.cache_write)
    }

    /// Output tokens that were not reasoning.
    pub fn visible_output(&self) -> u64 {
        self.output.saturating_sub(self.reasoning)
    }

    /// Input plus output.
    pub fn total(&self) -> u64 {
        self.input.saturating_add(self.output)
    }
}

impl Usage {
    /// A `chat` call to `model` at `provider`, with no tokens yet.
    ///
    /// `provider` should be an OpenTelemetry `gen_ai.provider.name`:
    /// `openai`, `anthropic`, `gcp.gemini`, `groq`, `mistral_ai`, ...
    pub fn new(
        provider: impl Into<Cow<'static, str>>,
        model: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            operation: Cow::Borrowed("chat"),
            provider: provider.into(),
            request_model: model.into(),
            response_model: None,
            finish_reason: None,
            tokens: Tokens::default(),
            estimated: false,
        }
    }

    /// OpenAI's `usage` object: `prompt_tokens` includes
    /// `prompt_tokens_details.cached_tokens`, and `completion_tokens`
    /// includes `completion_tokens_details.reasoning_tokens`.
    pub fn openai(
        provider: impl Into<Cow<'static, str>>,
        model: impl Into<Cow<'static, str>>,
        prompt_tokens: u64,
        cached_tokens: u64,
        completion_tokens: u64,
        reasoning_tokens: u64,
    ) -> Self {
        Self::new(provider, model)
            .input_tokens(prompt_tokens)
            .cache_read_tokens(cached_tokens)
            .output_tokens(completion_tokens)
            .reasoning_tokens(reasoning_tokens)
    }

    /// Anthropic's `usage` object: `input_tokens` excludes
    /// `cache_creation_input_tokens` and `cache_read_input_tokens`, which are
    /// added to it here.
    pub fn anthropic(
        model: impl Into<Cow<'static, str>>,
        input_tokens: u64,
        cache_creation_input_tokens: u64,
        cache_read_input_tokens: u64,
        output_tokens: u64,
    ) -> Self {
        Self::new("anthropic", model)
            .input_tokens(
                input_tokens
                    .saturating_add(cache_creation_input_tokens)
                    .saturating_add(cache_read_input_tokens),
            )
            .cache_write_tokens(cache_creation_input_tokens)
            .cache_read_tokens(cache_read_input_tokens)
            .output_tokens(output_tokens)
    }

    /// The `gen_ai.operation.name`: `chat` unless set (`embeddings`,
    /// `text_completion`, `generate_content`, ...).
    pub fn operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.operation = operation.into();
        self
    }

    /// The model that answered, when the provider names it (often a dated
    /// snapshot such as `gpt-4o-mini-2024-07-18`). Prices are looked up by
    /// it first.
    pub fn response_model(mut self, model: impl Into<Cow<'static, str>>) -> Self {
        self.response_model = Some(model.into());
        self
    }

    /// Marks the counts as estimated by the caller rather than reported by
    /// the provider (a stream that sent no usage). The span of the call gets
    /// `tta.usage.estimated = true`, and the `llm_usage` event `estimated`.
    pub fn estimated(mut self) -> Self {
        self.estimated = true;
        self
    }

    /// Whether the counts are an estimate; see [`estimated`](Self::estimated).
    pub fn is_estimated(&self) -> bool {
        self.estimated
    }

    /// Why the model stopped (`stop`, `length`, `tool_calls`, ...).
    pub fn finish_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.finish_reason = Some(reason.into());
        self
    }

    /// Every input token, including cached ones.
    pub fn input_tokens(mut self, tokens: u64) -> Self {
        self.tokens.input = tokens;
        self
    }

    /// Every output token, including reasoning.
    pub fn output_tokens(mut self, tokens: u64) -> Self {
        self.tokens.output = tokens;
        self
    }

    /// Input tokens read from the prompt cache (part of the input tokens).
    pub fn cache_read_tokens(mut self, tokens: u64) -> Self {
        self.tokens.cache_read = tokens;
        self
    }

    /// Input tokens written to the prompt cache (part of the input tokens).
    pub fn cache_write_tokens(mut self, tokens: u64) -> Self {
        self.tokens.cache_write = tokens;
        self
    }

    /// Reasoning tokens (part of the output tokens).
    pub fn reasoning_tokens(mut self, tokens: u64) -> Self {
        self.tokens.reasoning = tokens;
        self
    }

    /// The token counts.
    pub fn tokens(&self) -> Tokens {
        self.tokens
    }

    /// The provider.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The model asked for.
    pub fn request_model(&self) -> &str {
        &self.request_model
    }

    /// The model that answered, or the one asked for.
    pub fn model(&self) -> &str {
        self.response_model
            .as_deref()
            .unwrap_or(&self.request_model)
    }

    /// Checks that the counts can be a real bill.
    pub fn validate(&self) -> Result<(), UsageError> {
        let tokens = &self.tokens;
        let error = |reason: String| {
            Err(UsageError {
                model: self.model().to_owned(),
                reason,
            })
        };
        if self.request_model.trim().is_empty() {
            return error("the model name is empty".to_owned());
        }
        if self.provider.trim().is_empty() {
            return error("the provider name is empty".to_owned());
        }
        for (what, count) in [
            ("input", tokens.input),
            ("output", tokens.output),
            ("cache-read", tokens.cache_read),
            ("cache-write", tokens.cache_write),
            ("reasoning", tokens.reasoning),
        ] {
            if count > MAX_TOKENS_PER_CALL {
                return error(format!(
                    "{count} {what} tokens is more than any call uses (at most {MAX_TOKENS_PER_CALL})"
                ));
            }
        }
        if tokens.cache_read + tokens.cache_write > tokens.input {
            return error(format!(
                "{} cache-read plus {} cache-write tokens exceed the {} input tokens they are part of",
                tokens.cache_read, tokens.cache_write, tokens.input
            ));
        }
        if tokens.reasoning > tokens.output {
            return error(format!(
                "{} reasoning tokens exceed the {} output tokens they are part of",
                tokens.reasoning, tokens.output
            ));
        }
        Ok(())
    }
}

/// A usage report that cannot be a real bill. Nothing of it was recorded,
/// and `tta_llm_usage_rejected_total` counted it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("usage reported for model `{model}` rejected: {reason}")]
pub struct UsageError {
    model: String,
    reason: String,
}

impl UsageError {
    /// What is wrong with the report.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl From<UsageError> for crate::Error {
    fn from(error: UsageError) -> Self {
        crate::Error::user(error)
    }
}

/// What one call cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// The price table knows the model.
    Priced(Usd),
    /// The price table does not know the model: counted in
    /// `tta_llm_unpriced_calls_total`, never as $0.
    Unpriced,
}

impl Cost {
    /// The amount, if the model is priced.
    pub fn usd(self) -> Option<Usd> {
        match self {
            Cost::Priced(amount) => Some(amount),
            Cost::Unpriced => None,
        }
    }
}

/// Totals over many calls: a run's ([`WorkflowContext::usage`](crate::WorkflowContext::usage)),
/// a span's subtree, or what a cache entry saves on every hit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageTotals {
    /// Calls reported.
    pub calls: u64,
    /// Calls whose model had no price; their cost is not in `cost`.
    pub unpriced_calls: u64,
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Input tokens read from prompt caches.
    pub cache_read_tokens: u64,
    /// Input tokens written to prompt caches.
    pub cache_write_tokens: u64,
    /// Reasoning tokens.
    pub reasoning_tokens: u64,
    /// The cost of the priced calls.
    pub cost: Usd,
}

impl UsageTotals {
    /// The totals of one call.
    pub fn of(tokens: Tokens, cost: Cost) -> Self {
        Self {
            calls: 1,
            unpriced_calls: u64::from(cost == Cost::Unpriced),
            input_tokens: tokens.input,
            output_tokens: tokens.output,
            cache_read_tokens: tokens.cache_read,
            cache_write_tokens: tokens.cache_write,
            reasoning_tokens: tokens.reasoning,
            cost: cost.usd().unwrap_or(Usd::ZERO),
        }
    }

    /// Input plus output tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    /// Whether nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.calls == 0
    }
}

impl Add for UsageTotals {
    type Output = UsageTotals;

    fn add(mut self, other: UsageTotals) -> UsageTotals {
        self += other;
        self
    }
}

impl AddAssign for UsageTotals {
    fn add_assign(&mut self, other: UsageTotals) {
        self.calls = self.calls.saturating_add(other.calls);
        self.unpriced_calls = self.unpriced_calls.saturating_add(other.unpriced_calls);
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cache_read_tokens = self
            .cache_read_tokens
            .saturating_add(other.cache_read_tokens);
        self.cache_write_tokens = self
            .cache_write_tokens
            .saturating_add(other.cache_write_tokens);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(other.reasoning_tokens);
        self.cost += other.cost;
    }
}

/// A limit on what a run may spend: see
/// [`WorkflowContextBuilder::cost_budget`](crate::WorkflowContextBuilder::cost_budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Money.
    Cost(Usd),
    /// Input plus output tokens.
    Tokens(u64),
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Budget::Cost(amount) => write!(f, "{amount}"),
            Budget::Tokens(tokens) => write!(f, "{tokens} tokens"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_shapes_translate_to_the_conventions() {
        let anthropic = Usage::anthropic("claude-sonnet-4", 100, 2_000, 5_000, 300);
        assert_eq!(anthropic.tokens().input, 7_100);
        assert_eq!(anthropic.tokens().uncached_input(), 100);
        let openai = Usage::openai("openai", "o3-mini", 1_000, 800, 500, 400);
        assert_eq!(openai.tokens().uncached_input(), 200);
        assert_eq!(openai.tokens().visible_output(), 100);
        assert_eq!(openai.validate(), Ok(()));
    }

    #[test]
    fn impossible_counts_are_rejected_with_the_reason() {
        let cases = [
            (
                Usage::new("openai", "gpt-4o").input_tokens(MAX_TOKENS_PER_CALL + 1),
                "more than any call",
            ),
            (
                Usage::openai("openai", "gpt-4o", 10, 11, 0, 0),
                "exceed the 10 input tokens",
            ),
            (
                Usage::openai("openai", "gpt-4o", 0, 0, 5, 6),
                "exceed the 5 output tokens",
            ),
            (Usage::new("openai", " "), "model name is empty"),
            (Usage::new("", "gpt-4o"), "provider name is empty"),
        ];
        for (usage, reason) in cases {
            let error = usage.validate().expect_err(reason);
            assert!(error.to_string().contains(reason), "{error}");
        }
    }
}
