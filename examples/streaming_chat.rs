//! A streamed chat answer, printed token by token as it arrives, behind a
//! first-token limit, a hedge and retries that act only before the first
//! token.
//!
//! With no configuration the model is simulated, with no network: it is
//! usually quick to start and now and then slow, and the hedge races a
//! second call against the slow ones. With `OPENAI_API_KEY` (or
//! `OPENAI_BASE_URL` for a local OpenAI-compatible server such as Ollama or
//! vLLM) it streams from the real API, `OPENAI_MODEL` (default
//! `gpt-4o-mini`), with the same resilience around it.
//!
//! ```text
//! cargo run --example streaming_chat
//! OPENAI_API_KEY=sk-... cargo run --example streaming_chat -- "Tell me about rivers"
//! ```

#[path = "common/stream_chat.rs"]
mod stream_chat;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use tta::openai::{ChatConfig, ChatRequest, ChatStream};
use tta::prelude::*;
use tta::stream::StreamExt;

/// A real model as a `String -> ChunkStream<String>` step, if one is configured.
struct RealModel(ChatStream);

impl Primitive for RealModel {
    type Input = String;
    type Output = ChunkStream<String>;

    fn meta(&self) -> &Meta {
        self.0.meta()
    }

    async fn execute(
        &self,
        prompt: String,
        ctx: &WorkflowContext,
    ) -> tta::Result<ChunkStream<String>> {
        let request = ChatRequest::user(prompt).max_tokens(300);
        let chunks = self.0.execute(request, ctx).await?;
        // Only the text: the finish reason arrives on the last chunk.
        ChunkStream::open(chunks.map(|chunk| chunk.map(|chunk| chunk.content))).await
    }
}

fn real_model() -> Option<RealModel> {
    let configured = |name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty());
    if !configured("OPENAI_API_KEY") && !configured("OPENAI_BASE_URL") {
        return None;
    }
    let model = std::env::var("OPENAI_MODEL").unwrap_or_else(|_| "gpt-4o-mini".to_owned());
    let config = ChatConfig::openai(model)
        .name("stream_chat_model")
        .build()
        .unwrap_or_else(|error| panic!("{error}"));
    Some(RealModel(
        ChatStream::new(config).unwrap_or_else(|error| panic!("{error}")),
    ))
}

#[tokio::main]
async fn main() {
    // Warnings only, so the tokens read as one answer: `RUST_LOG=info`
    // shows every run's events too.
    let _telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned()))
        .install()
        .expect("telemetry installs once, at the start of main");
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "How do streams work?".to_owned());
    let chat = match real_model() {
        Some(model) => {
            println!("streaming from the OpenAI-compatible API");
            stream_chat::resilient(model).boxed()
        }
        None => {
            println!(
                "a simulated model (set OPENAI_API_KEY or OPENAI_BASE_URL to stream from a real one)"
            );
            stream_chat::resilient(stream_chat::model(1, Arc::new(AtomicBool::new(false)))).boxed()
        }
    };
    for question in 1..=5 {
        let ctx = WorkflowContext::new();
        let started = Instant::now();
        let mut answer = match chat.run_with(prompt.clone(), ctx.clone()).await {
            Ok(answer) => answer,
            Err(error) => {
                println!("{question}: failed before the first token: {error}");
                continue;
            }
        };
        let first = started.elapsed();
        print!(
            "{question}: [first token after {:.0} ms] ",
            first.as_secs_f64() * 1e3
        );
        while let Some(token) = answer.next().await {
            match token {
                Ok(token) => print!("{token}"),
                Err(error) => print!(" [cut off: {error}]"),
            }
            let _ = std::io::stdout().flush();
        }
        let usage = ctx.usage();
        println!(
            "\n   {:.0} ms in all, {} tokens in, {} out, {}",
            started.elapsed().as_secs_f64() * 1e3,
            usage.input_tokens,
            usage.output_tokens,
            usage.cost
        );
    }
}
