//! [`ChatStream`]: a chat completion streamed as server-sent events.

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::stream::{self, Stream, StreamExt};
use tta_core::instrument::GenAiCall;
use tta_core::llm::capture;
use tta_core::stream::ChunkStream;
use tta_core::{ConfigError, Error, Meta, Primitive, Result, WorkflowContext};
use tta_http::Failure;

use crate::config::ChatConfig;
use crate::endpoint::{Endpoint, captured};
use crate::error;
use crate::types::{ChatChunk, ChatRequest, Message, Role};
use crate::wire;

/// The marker a provider ends its event stream with.
const DONE: &str = "[DONE]";

/// The most bytes a streamed answer may send. The longest answers models
/// give are a few megabytes of events; a server that sends more, or never
/// ends an event, is cut off here instead of filling memory.
const MAX_STREAM_BYTES: usize = 64 << 20;

/// A chat completion against an OpenAI-compatible API, streamed: a
/// primitive whose output is a [`ChunkStream`] of [`ChatChunk`]s, read
/// from the provider's server-sent events as they arrive.
///
/// - The call resolves at the **first chunk of text**, so retries,
///   fallbacks, hedges and breakers around it act only before anything has
///   been shown, and [`StreamTimeouts`](tta_core::stream::StreamTimeouts)
///   bounds the time to it, between chunks and in all. The configured
///   `timeout` bounds the time to the first chunk.
/// - **Usage** comes from the provider's final usage chunk (the request
///   asks for one with `stream_options.include_usage`; see
///   [`ChatConfigBuilder::stream_usage`](crate::ChatConfigBuilder::stream_usage)).
///   When none comes, it is estimated from the text (4 characters a token,
///   the prompt as [`ChatRequest::estimated_prompt_tokens`]) and marked
///   estimated. A streamed and a plain call of the same answer cost the same.
/// - An event that is not JSON, an `error` event, or a connection that
///   ends before `[DONE]` fails the stream with a transient error: before
///   the first chunk, that fails the call.
/// - **Dropping the stream closes the connection**, so the provider stops
///   generating (and billing) the rest of the answer.
///
/// ```no_run
/// use tta_core::PrimitiveExt;
/// use tta_core::stream::StreamExt;
/// use tta_openai::{ChatConfig, ChatRequest, ChatStream};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let chat = ChatStream::new(ChatConfig::openai("gpt-4o-mini").build()?)?;
/// let mut answer = chat.run(ChatRequest::user("Tell me a story")).await?;
/// while let Some(chunk) = answer.next().await {
///     print!("{}", chunk?.content);
/// }
/// # Ok(())
/// # }
/// ```
pub struct ChatStream {
    endpoint: Arc<Endpoint>,
    meta: Meta,
}

impl ChatStream {
    /// A streaming client for `config`. Fails only if the endpoint is not a
    /// valid URI or TLS cannot be set up.
    pub fn new(config: ChatConfig) -> std::result::Result<Self, ConfigError> {
        Ok(Self::with_endpoint(Arc::new(Endpoint::new(config)?)))
    }

    pub(crate) fn with_endpoint(endpoint: Arc<Endpoint>) -> Self {
        let config = &endpoint.config;
        let call = GenAiCall::new("chat", config.provider.clone(), config.model.clone());
        Self {
            meta: Meta::gen_ai(config.name.clone(), call),
            endpoint,
        }
    }

    /// The configuration it calls with.
    pub fn config(&self) -> &ChatConfig {
        &self.endpoint.config
    }
}

impl Primitive for ChatStream {
    type Input = ChatRequest;
    type Output = ChunkStream<ChatChunk>;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(
        &self,
        request: ChatRequest,
        ctx: &WorkflowContext,
    ) -> Result<ChunkStream<ChatChunk>> {
        let endpoint = &self.endpoint;
        let body = endpoint.body(&request, true)?;
        let timeout = endpoint.timeout(ctx);
        let first_chunk = async {
            let answer = endpoint
                .transport
                .post_streaming(&endpoint.uri, endpoint.headers(ctx, true), body)
                .await
                .map_err(|failure| endpoint.transport_error(failure))?;
            if !answer.status.is_success() {
                let answer = answer
                    .into_answer()
                    .await
                    .map_err(|failure| endpoint.transport_error(failure))?;
                return Err(error::from_status(
                    &endpoint.config.provider,
                    answer.status,
                    &answer.headers,
                    &answer.body,
                ));
            }
            let reader = Reader::new(Arc::clone(endpoint), ctx.clone(), &request, answer.body);
            ChunkStream::open(reader.into_stream()).await
        };
        tokio::time::timeout(timeout, first_chunk)
            .await
            .map_err(|_| Error::Timeout { after: timeout })?
    }
}

tta_core::impl_operators!(ChatStream);

type Events = Pin<
    Box<
        dyn Stream<Item = std::result::Result<eventsource_stream::Event, EventStreamError<Failure>>>
            + Send,
    >,
>;

/// Reads events into chunks, and settles the call's usage at the end.
struct Reader {
    events: Events,
    endpoint: Arc<Endpoint>,
    ctx: WorkflowContext,
    model: String,
    usage: Option<wire::WireUsage>,
    finish_reason: Option<String>,
    prompt_estimate: u64,
    output_chars: usize,
    /// The prompt and the answer so far, only when content capture is on.
    capture: Option<(String, String)>,
    bytes: usize,
    ended: bool,
}

impl Reader {
    fn new(
        endpoint: Arc<Endpoint>,
        ctx: WorkflowContext,
        request: &ChatRequest,
        body: tta_http::BodyStream,
    ) -> Self {
        Self {
            events: Box::pin(capped(body, MAX_STREAM_BYTES).eventsource()),
            model: endpoint.config.model.clone(),
            endpoint,
            ctx,
            usage: None,
            finish_reason: None,
            prompt_estimate: request.estimated_prompt_tokens(),
            output_chars: 0,
            capture: capture::content_capture()
                .then(|| (captured(&request.messages), String::new())),
            bytes: 0,
            ended: false,
        }
    }

    fn into_stream(self) -> impl Stream<Item = Result<ChatChunk>> + Send + 'static {
        stream::unfold(self, |mut reader| async move {
            if reader.ended {
                return None;
            }
            let item = reader.next_chunk().await;
            reader.ended |= !matches!(item, Some(Ok(_)));
            item.map(|item| (item, reader))
        })
    }

    /// The next chunk with text, the error that ends the stream, or `None`
    /// after `[DONE]`.
    async fn next_chunk(&mut self) -> Option<Result<ChatChunk>> {
        loop {
            let event = match self.events.next().await {
                Some(Ok(event)) => event,
                Some(Err(EventStreamError::Transport(failure))) => {
                    return Some(Err(self.endpoint.transport_error(failure)));
                }
                Some(Err(EventStreamError::Utf8(error))) => {
                    let reason = format!("the event stream is not UTF-8: {error}");
                    return Some(Err(self.endpoint.invalid(self.bytes, reason)));
                }
                Some(Err(EventStreamError::Parser(error))) => {
                    let reason = format!("the event stream does not parse: {:?}", error.code);
                    return Some(Err(self.endpoint.invalid(self.bytes, reason)));
                }
                // Some servers close without `[DONE]` after the last choice.
                None if self.finish_reason.is_some() => return self.finish().err().map(Err),
                None => {
                    let failure = Failure::Body("the event stream ended before [DONE]".to_owned());
                    return Some(Err(self.endpoint.transport_error(failure)));
                }
            };
            self.bytes += event.data.len();
            if event.data.trim() == DONE {
                return self.finish().err().map(Err);
            }
            if event.data.trim().is_empty() {
                continue;
            }
            match self.read(&event.data) {
                Ok(Some(chunk)) => return Some(Ok(chunk)),
                Ok(None) => continue,
                Err(error) => return Some(Err(error)),
            }
        }
    }

    /// One event's chunk of text, if it has one.
    fn read(&mut self, data: &str) -> Result<Option<ChatChunk>> {
        let chunk: wire::StreamChunk = serde_json::from_str(data).map_err(|error| {
            self.endpoint
                .invalid(self.bytes, format!("an event is not a chunk: {error}"))
        })?;
        if let Some(error) = chunk.error {
            let reason = format!("the provider sent an error: {}", error.message);
            return Err(self.endpoint.invalid(self.bytes, reason));
        }
        if let Some(model) = chunk.model {
            self.model = model;
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        let Some(choice) = chunk.choices.into_iter().next() else {
            return Ok(None);
        };
        let content = choice.delta.content.unwrap_or_default();
        if choice.finish_reason.is_some() {
            self.finish_reason.clone_from(&choice.finish_reason);
        }
        if content.is_empty() && choice.finish_reason.is_none() {
            // A role-only or empty delta: nothing to show yet.
            return Ok(None);
        }
        self.output_chars += content.chars().count();
        if let Some((_, answer)) = &mut self.capture {
            answer.push_str(&content);
        }
        Ok(Some(ChatChunk {
            content,
            finish_reason: choice.finish_reason,
        }))
    }

    /// Reports the call's usage, as the provider sent it or estimated.
    fn finish(&mut self) -> Result<()> {
        let endpoint = &self.endpoint;
        let finish_reason = self.finish_reason.as_deref();
        let usage = match self.usage.take() {
            Some(reported) => endpoint.usage(reported, &self.model, finish_reason),
            None => {
                let output_estimate = (self.output_chars as u64).div_ceil(4);
                let counts = [self.prompt_estimate, 0, output_estimate, 0];
                endpoint
                    .call_usage(counts, &self.model, finish_reason)
                    .estimated()
            }
        };
        self.ctx
            .record_usage(usage)
            .map_err(|error| endpoint.invalid(self.bytes, error.reason().to_owned()))?;
        if let Some((prompt, answer)) = self.capture.take() {
            let output = [Message {
                role: Role::Assistant,
                content: answer,
            }];
            capture::record_content(&self.ctx, &prompt, &captured(&output));
        }
        Ok(())
    }
}

/// `body`, failing once more than `limit` bytes have come.
fn capped(
    body: tta_http::BodyStream,
    limit: usize,
) -> impl Stream<Item = std::result::Result<Bytes, Failure>> + Send {
    let mut received = 0_usize;
    body.map(move |bytes| {
        let bytes = bytes?;
        received = received.saturating_add(bytes.len());
        if received > limit {
            return Err(Failure::Body(format!("the answer passed {limit} bytes")));
        }
        Ok(bytes)
    })
    .take_while({
        let mut failed = false;
        move |item| {
            let go = !failed;
            failed |= item.is_err();
            std::future::ready(go)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_past_the_cap_fails_once_and_ends() {
        let chunks = (0..10).map(|_| Ok(Bytes::from_static(b"0123456789")));
        let body: tta_http::BodyStream = Box::pin(stream::iter(chunks));
        let read: Vec<_> = capped(body, 35).collect().await;
        assert_eq!(read.len(), 4, "three chunks, then the error, then nothing");
        assert!(read[..3].iter().all(std::result::Result::is_ok));
        assert!(matches!(&read[3], Err(Failure::Body(reason)) if reason.contains("35 bytes")));
    }
}
