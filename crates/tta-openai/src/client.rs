//! [`ChatCompletion`]: the primitive that calls a chat model.

use std::sync::Arc;

use tta_core::instrument::GenAiCall;
use tta_core::llm::capture;
use tta_core::{ConfigError, Error, Meta, Primitive, Result, WorkflowContext};

use crate::config::ChatConfig;
use crate::endpoint::{Endpoint, captured};
use crate::error;
use crate::stream::ChatStream;
use crate::types::{ChatRequest, ChatResponse, Message};
use crate::wire;

/// The output cap assumed for estimates when neither the request nor the
/// configuration sets `max_tokens`.
const DEFAULT_MAX_TOKENS: u32 = 4_096;

/// A chat completion against an OpenAI-compatible API, as a primitive.
///
/// Each call is a CLIENT span named `chat {model}` with the OpenTelemetry
/// GenAI attributes; the usage in the response is reported to the run
/// ([`WorkflowContext::record_usage`]), so tokens, cost, budgets, cache
/// savings and the GenAI metrics follow with no extra code. Errors come
/// back with the kind retries and breakers expect (see
/// [`ProviderError`](crate::ProviderError)).
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
    endpoint: Arc<Endpoint>,
    meta: Meta,
}

impl ChatCompletion {
    /// A client for `config`. Fails only if the endpoint is not a valid URI
    /// or TLS cannot be set up.
    ///
    /// TLS is rustls with the *ring* provider, given to this client alone:
    /// nothing process-wide is installed.
    pub fn new(config: ChatConfig) -> std::result::Result<Self, ConfigError> {
        let call = GenAiCall::new("chat", config.provider.clone(), config.model.clone());
        Ok(Self {
            meta: Meta::gen_ai(config.name.clone(), call),
            endpoint: Arc::new(Endpoint::new(config)?),
        })
    }

    /// The same model, streamed: a [`ChatStream`] sharing this client's
    /// configuration and connections, under the same name.
    pub fn streaming(&self) -> ChatStream {
        ChatStream::with_endpoint(Arc::clone(&self.endpoint))
    }

    /// The configuration it calls with.
    pub fn config(&self) -> &ChatConfig {
        &self.endpoint.config
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
        let default_max = self
            .endpoint
            .config
            .max_tokens
            .unwrap_or(DEFAULT_MAX_TOKENS);
        move |request: &ChatRequest| request.estimated_tokens(default_max)
    }

    /// Reads a 2xx body into the answer and its usage.
    fn answer(&self, body: &[u8]) -> Result<ChatResponse> {
        let endpoint = &self.endpoint;
        let invalid = |reason: String| endpoint.invalid(body.len(), reason);
        let parsed: wire::Response =
            serde_json::from_slice(body).map_err(|error| invalid(error.to_string()))?;
        let choice = parsed
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| invalid("it has no choices".to_owned()))?;
        let model = parsed
            .model
            .unwrap_or_else(|| endpoint.config.model.clone());
        let usage = parsed
            .usage
            .map(|usage| endpoint.usage(usage, &model, choice.finish_reason.as_deref()));
        Ok(ChatResponse {
            content: choice.message.content.unwrap_or_default(),
            finish_reason: choice.finish_reason,
            model,
            id: parsed.id,
            usage,
        })
    }
}

impl Primitive for ChatCompletion {
    type Input = ChatRequest;
    type Output = ChatResponse;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, request: ChatRequest, ctx: &WorkflowContext) -> Result<ChatResponse> {
        let endpoint = &self.endpoint;
        let body = endpoint.body(&request, false)?;
        let timeout = endpoint.timeout(ctx);
        let exchange = endpoint
            .transport
            .post(&endpoint.uri, endpoint.headers(ctx, false), body);
        let answer = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| Error::Timeout { after: timeout })?
            .map_err(|failure| endpoint.transport_error(failure))?;
        if !answer.status.is_success() {
            return Err(error::from_status(
                &endpoint.config.provider,
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
                .map_err(|error| endpoint.invalid(body.len(), error.reason().to_owned()))?;
        }
        if capture::content_capture() {
            let output = [Message {
                role: crate::Role::Assistant,
                content: answer.content.clone(),
            }];
            capture::record_content(ctx, &captured(&request.messages), &captured(&output));
        }
        Ok(answer)
    }
}

tta_core::impl_operators!(ChatCompletion);
