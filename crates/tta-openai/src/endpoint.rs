//! [`Endpoint`]: what the plain and the streaming chat primitives share:
//! the URL, the headers, the connection pool, and how answers and failures
//! are read.

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Uri};
use serde_json::json;
use tta_core::llm::Usage;
use tta_core::{ConfigError, Error, Result, WorkflowContext};
use tta_http::{Failure, Transport};

use crate::config::ChatConfig;
use crate::error::ProviderError;
use crate::types::{ChatRequest, Message};
use crate::wire;

/// One configured chat-completions endpoint.
pub(crate) struct Endpoint {
    pub(crate) config: ChatConfig,
    pub(crate) uri: Uri,
    /// The configured headers, `Content-Type` and `Authorization`, built once.
    headers: HeaderMap,
    pub(crate) transport: Transport,
}

impl Endpoint {
    /// Fails only if the endpoint is not a valid URI or TLS cannot be set up.
    pub(crate) fn new(config: ChatConfig) -> std::result::Result<Self, ConfigError> {
        let uri: Uri = format!("{}/chat/completions", config.base_url)
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
        Ok(Self {
            uri,
            headers,
            transport: Transport::new(config.root_certificates.as_deref())?,
            config,
        })
    }

    /// The JSON body of `request`.
    pub(crate) fn body(&self, request: &ChatRequest, stream: bool) -> Result<Vec<u8>> {
        let body = wire::Request {
            model: &self.config.model,
            messages: &request.messages,
            max_tokens: request.max_tokens.or(self.config.max_tokens),
            temperature: request.temperature,
            stream,
            stream_options: (stream && self.config.stream_usage).then_some(wire::StreamOptions {
                include_usage: true,
            }),
        };
        serde_json::to_vec(&body).map_err(Error::user)
    }

    /// The request headers, with the trace headers of the current span:
    /// inside the model call, the provider's side of the trace nests under it.
    pub(crate) fn headers(&self, ctx: &WorkflowContext, stream: bool) -> HeaderMap {
        let mut headers = self.headers.clone();
        if stream {
            headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        }
        ctx.inject(&mut headers);
        headers
    }

    /// How long the call may wait: the configured timeout, or less if the
    /// run's deadline is nearer.
    pub(crate) fn timeout(&self, ctx: &WorkflowContext) -> std::time::Duration {
        ctx.remaining()
            .map_or(self.config.timeout, |left| left.min(self.config.timeout))
    }

    pub(crate) fn transport_error(&self, failure: Failure) -> Error {
        let reason = match failure {
            Failure::Send(reason) => reason,
            Failure::Body(reason) => format!("the answer was cut off: {reason}"),
        };
        Error::transient(ProviderError::Connect {
            provider: self.config.provider.clone(),
            url: self.uri.to_string(),
            reason,
        })
    }

    pub(crate) fn invalid(&self, bytes: usize, reason: impl Into<String>) -> Error {
        Error::transient(ProviderError::InvalidResponse {
            provider: self.config.provider.clone(),
            bytes,
            reason: reason.into(),
        })
    }

    /// The provider's `usage` object as a [`Usage`].
    pub(crate) fn usage(
        &self,
        usage: wire::WireUsage,
        model: &str,
        finish_reason: Option<&str>,
    ) -> Usage {
        let cached = usage
            .prompt_tokens_details
            .and_then(|details| details.cached_tokens);
        let reasoning = usage
            .completion_tokens_details
            .and_then(|details| details.reasoning_tokens);
        self.call_usage(
            [
                usage.prompt_tokens,
                cached.unwrap_or(0),
                usage.completion_tokens,
                reasoning.unwrap_or(0),
            ],
            model,
            finish_reason,
        )
    }

    /// One call's [`Usage`] from OpenAI's counts: prompt, cached, completion
    /// and reasoning tokens.
    pub(crate) fn call_usage(
        &self,
        [prompt, cached, completion, reasoning]: [u64; 4],
        model: &str,
        finish_reason: Option<&str>,
    ) -> Usage {
        let usage = Usage::openai(
            self.config.provider.clone(),
            self.config.model.clone(),
            prompt,
            cached,
            completion,
            reasoning,
        )
        .response_model(model.to_owned());
        match finish_reason {
            Some(reason) => usage.finish_reason(reason.to_owned()),
            None => usage,
        }
    }
}

/// Messages in the conventions' capture format: role and text parts.
pub(crate) fn captured(messages: &[Message]) -> String {
    let messages: Vec<_> = messages
        .iter()
        .map(|message| json!({"role": message.role, "parts": [{"type": "text", "content": message.content}]}))
        .collect();
    serde_json::Value::Array(messages).to_string()
}
