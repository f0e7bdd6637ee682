//! [`ChatCompletion`]: the primitive that calls a chat model.

use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Uri};
use serde_json::json;
use tta_core::instrument::GenAiCall;
use tta_core::llm::{Usage, capture};
use tta_core::{ConfigError, Error, Meta, Primitive, Result, WorkflowContext};

use crate::config::ChatConfig;
use crate::error::{self, ProviderError};
use crate::types::{ChatRequest, ChatResponse, Message};
use crate::wire;
use tta_http::{Failure, Transport};

/// The output cap assumed for estimates when neither the request nor the
/// configuration sets `max_tokens`.
const DEFAULT_MAX_TOKENS: u32 = 4_096;

/// A chat completion against an OpenAI-compatible API, as a primitive.
///
/// Each call is a CLIENT span named `chat {model}` with the OpenTelemetry
/// GenAI attributes; the usage in the response is reported to the run
/// ([`WorkflowContext::record_usage`]), so tokens, cost, budgets, cache
/// savings and the GenAI metrics follow with no extra code. Errors come
/// back with the kind retries and breakers expect (see [`ProviderError`]).
/// Each request carries the run's `traceparent`, so a tracing proxy such
/// as LiteLLM's joins the trace.
///
/// ```no_run
/// use tta_core::PrimitiveExt;
/// use tta_openai::{ChatCompletion, ChatConfig, ChatRequest};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let model = ChatCompletion::new(ChatConfig::openai("gpt-4o-mini").build()?)?;
/// let answer = model.run(ChatRequest::user("Say hi").max_tokens(20)).await?;
/// println!("{} ({:?})", answer.content, answer.usage);
/// # Ok(())
/// # }
/// ```
pub struct ChatCompletion {
    config: ChatConfig,
    endpoint: Uri,
    /// The configured headers, `Content-Type` and `Authorization`, built once.
    headers: HeaderMap,
    transport: Transport,
    meta: Meta,
}

impl ChatCompletion {
    /// A client for `config`. Fails only if the endpoint is not a valid URI
    /// or TLS cannot be set up.
    ///
    /// TLS is rustls with the *ring* provider, given to this client alone:
    /// nothing process-wide is installed.
    pub fn new(config: ChatConfig) -> std::result::Result<Self, ConfigError> {
        let endpoint: Uri = format!("{}/chat/completions", config.base_url)
            .parse()
            .map_err(|error: http::uri::InvalidUri| {
                ConfigError::new("base_url", error.to_string())
            })?;
        let mut headers = config.headers.clone();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(key) = &config.api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                ConfigError::new("api_key", "holds characters a header cannot carry")
            })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let call = GenAiCall::new("chat", config.provider.clone(), config.model.clone());
        Ok(Self {
            endpoint,
            headers,
            transport: Transport::new(config.root_certificates.as_deref())?,
            meta: Meta::gen_ai(config.name.clone(), call),
            config,
        })
    }

    /// The configuration it calls with.
    pub fn config(&self) -> &ChatConfig {
        &self.config
    }

    /// The estimate to give a [`TokenLimit`](tta_core::resilience::TokenLimit)
    /// around this client: [`ChatRequest::estimated_tokens`] with the
    /// configured `max_tokens`, or 4,096 without one.
    ///
    /// ```
    /// use tta_core::PrimitiveExt;
    /// use tta_core::resilience::TokenLimitConfig;
    /// use tta_openai::{ChatCompletion, ChatConfig};
    ///
    /// let chat = ChatCompletion::new(ChatConfig::ollama("llama3.2").max_tokens(512).build()?)?;
    /// let estimate = chat.token_estimate();
    /// let limited = chat.token_limit(TokenLimitConfig::per_minute(30_000).build()?, estimate);
    /// # Ok::<(), tta_core::ConfigError>(())
    /// ```
    pub fn token_estimate(&self) -> impl Fn(&ChatRequest) -> u64 + Send + Sync + 'static {
        let default_max = self.config.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        move |request: &ChatRequest| request.estimated_tokens(default_max)
    }

    fn transport_error(&self, failure: Failure) -> Error {
        let reason = match failure {
            Failure::Send(reason) => reason,
            Failure::Body(reason) => format!("the answer was cut off: {reason}"),
        };
        Error::transient(ProviderError::Connect {
            provider: self.config.provider.clone(),
            url: self.endpoint.to_string(),
            reason,
        })
    }

    fn invalid(&self, bytes: usize, reason: impl Into<String>) -> Error {
        Error::transient(ProviderError::InvalidResponse {
            provider: self.config.provider.clone(),
            bytes,
            reason: reason.into(),
        })
    }

    /// Reads a 2xx body into the answer and its usage.
    fn answer(&self, body: &[u8]) -> Result<ChatResponse> {
        let invalid = |reason: String| self.invalid(body.len(), reason);
        let parsed: wire::Response =
            serde_json::from_slice(body).map_err(|error| invalid(error.to_string()))?;
        let choice = parsed
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| invalid("it has no choices".to_owned()))?;
        let model = parsed.model.unwrap_or_else(|| self.config.model.clone());
        let usage = parsed.usage.map(|usage| {
            let cached = usage
                .prompt_tokens_details
                .and_then(|details| details.cached_tokens);
            let reasoning = usage
                .completion_tokens_details
                .and_then(|details| details.reasoning_tokens);
            let mut reported = Usage::openai(
                self.config.provider.clone(),
                self.config.model.clone(),
                usage.prompt_tokens,
                cached.unwrap_or(0),
                usage.completion_tokens,
                reasoning.unwrap_or(0),
            )
            .response_model(model.clone());
            if let Some(reason) = &choice.finish_reason {
                reported = reported.finish_reason(reason.clone());
            }
            reported
        });
        Ok(ChatResponse {
            content: choice.message.content.unwrap_or_default(),
            finish_reason: choice.finish_reason,
            model,
            id: parsed.id,
            usage,
        })
    }
}

/// Messages in the conventions' capture format: role and text parts.
fn captured(messages: &[Message]) -> String {
    let messages: Vec<_> = messages
        .iter()
        .map(|message| json!({"role": message.role, "parts": [{"type": "text", "content": message.content}]}))
        .collect();
    serde_json::Value::Array(messages).to_string()
}

impl Primitive for ChatCompletion {
    type Input = ChatRequest;
    type Output = ChatResponse;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, request: ChatRequest, ctx: &WorkflowContext) -> Result<ChatResponse> {
        let body = wire::Request {
            model: &self.config.model,
            messages: &request.messages,
            max_tokens: request.max_tokens.or(self.config.max_tokens),
            temperature: request.temperature,
            stream: false,
        };
        let body = serde_json::to_vec(&body).map_err(Error::user)?;
        let timeout = ctx
            .remaining()
            .map_or(self.config.timeout, |left| left.min(self.config.timeout));
        let mut headers = self.headers.clone();
        // Inside this primitive, the trace headers name its span: the
        // provider's side of the trace nests under the model call.
        ctx.inject(&mut headers);
        let exchange = self.transport.post(&self.endpoint, headers, body);
        let answer = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| Error::Timeout { after: timeout })?
            .map_err(|failure| self.transport_error(failure))?;
        if !answer.status.is_success() {
            return Err(error::from_status(
                &self.config.provider,
                answer.status,
                &answer.headers,
                &answer.body,
            ));
        }
        let body = answer.body;
        let answer = self.answer(&body)?;
        if let Some(usage) = &answer.usage {
            // Counts the provider could not have billed make the answer suspect.
            ctx.record_usage(usage.clone())
                .map_err(|error| self.invalid(body.len(), error.reason().to_owned()))?;
        }
        let output = [Message {
            role: crate::Role::Assistant,
            content: answer.content.clone(),
        }];
        if capture::content_capture() {
            capture::record_content(ctx, &captured(&request.messages), &captured(&output));
        }
        Ok(answer)
    }
}

tta_core::impl_operators!(ChatCompletion);
