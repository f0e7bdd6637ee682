//! A chat-completion primitive for OpenAI-compatible APIs, with TTA.dev's
//! telemetry: tokens, cost, GenAI spans and metrics, with no extra code.
//!
//! OpenAI, Groq, Together, Mistral, vLLM, Ollama and the LiteLLM proxy all
//! speak the same chat-completions API, so one [`ChatCompletion`] reaches
//! them all. It is a [`Primitive`](tta_core::Primitive): compose it with
//! `>>` and `|`, wrap it in retries, timeouts, breakers and caches, and
//! every call reports what it used:
//!
//! ```no_run
//! use std::time::Duration;
//! use tta_core::resilience::RetryPolicy;
//! use tta_core::{PrimitiveExt, WorkflowContext};
//! use tta_openai::{ChatCompletion, ChatConfig, ChatRequest};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let model = ChatCompletion::new(ChatConfig::groq("llama-3.3-70b-versatile").build()?)?
//!     .timeout(Duration::from_secs(30))
//!     .retry(RetryPolicy::default());
//! let ctx = WorkflowContext::builder().cost_budget("0.50".parse()?).build();
//! let answer = model.run_with(ChatRequest::user("Name three rivers."), ctx.clone()).await?;
//! println!("{}: {} tokens, {}", answer.content, ctx.usage().total_tokens(), ctx.usage().cost);
//! # Ok(())
//! # }
//! ```
//!
//! - **Errors** map to the kinds the resilience primitives act on: 429 is
//!   `RateLimited` with the provider's `Retry-After`, 5xx and network
//!   failures are transient, other 4xx are permanent with the provider's
//!   message, and a garbage body is a clear, transient error. See
//!   [`ProviderError`].
//! - **TLS** is rustls with the *ring* provider, over hyper: no C build of
//!   aws-lc, certificates from the platform's store (Mozilla's where it has
//!   none), and no process-wide crypto provider installed.
//! - **Privacy**: prompts and answers are recorded nowhere, unless
//!   `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true` asks for them
//!   on spans, scrubbed of secrets and capped
//!   ([`tta_core::llm::capture`]). The API key is never logged.

mod client;
mod config;
mod endpoint;
mod error;
mod stream;
mod types;
mod wire;

pub use client::ChatCompletion;
pub use config::{ChatConfig, ChatConfigBuilder};
pub use error::ProviderError;
pub use stream::ChatStream;
pub use types::{ChatChunk, ChatRequest, ChatResponse, Message, Role};
