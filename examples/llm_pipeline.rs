//! A realistic agent pipeline. The pipeline caches answers by normalised
//! prompt, routes short prompts to a cheap model and long ones to a quality
//! model, times out hangs, retries transient errors, and falls back to a
//! second provider behind a circuit breaker. Every call's tokens and cost
//! add up in the run's context.
//!
//! With no configuration the models are simulated, with no network: slow,
//! rate-limited, failing and hanging, and priced like the real ones. With
//! `OPENAI_API_KEY` (or `OPENAI_BASE_URL` for a local OpenAI-compatible
//! server such as Ollama or vLLM) it calls the real API instead:
//! `OPENAI_MODEL` (default `gpt-4o-mini`) for short prompts and
//! `OPENAI_QUALITY_MODEL` (default `gpt-4o`) for long ones.
//!
//! ```text
//! cargo run --example llm_pipeline
//! OPENAI_API_KEY=sk-... cargo run --example llm_pipeline
//! OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.2 OPENAI_QUALITY_MODEL=llama3.2 \
//!     cargo run --example llm_pipeline
//! ```

#[path = "common/llm.rs"]
mod llm;
#[path = "common/logs.rs"]
mod logs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tta::llm::Usd;
use tta::openai::{ChatCompletion, ChatConfig, ChatRequest};
use tta::prelude::*;

/// A chat model as a `String -> String` step: the prompt as the user's
/// message, the answer's text out.
struct Answer(ChatCompletion);

impl Primitive for Answer {
    type Input = String;
    type Output = String;

    fn meta(&self) -> &Meta {
        self.0.meta()
    }

    async fn execute(&self, prompt: String, ctx: &WorkflowContext) -> tta::Result<String> {
        let request = ChatRequest::user(prompt)
            .system("Answer in at most three sentences.")
            .max_tokens(200);
        Ok(self.0.execute(request, ctx).await?.content)
    }
}

/// The real models, if `OPENAI_API_KEY` or `OPENAI_BASE_URL` is set.
fn real_models() -> Option<llm::Models> {
    let configured = |name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty());
    if !configured("OPENAI_API_KEY") && !configured("OPENAI_BASE_URL") {
        return None;
    }
    let model = |variable: &str, default: &str, name: &'static str| {
        let model = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
        let config = ChatConfig::openai(model)
            .name(name)
            .build()
            .unwrap_or_else(|error| panic!("{variable}: {error}"));
        let client = ChatCompletion::new(config).unwrap_or_else(|error| panic!("{error}"));
        Answer(client).boxed()
    };
    Some(llm::Models {
        cheap: model("OPENAI_MODEL", "gpt-4o-mini", "cheap_model"),
        quality: model("OPENAI_QUALITY_MODEL", "gpt-4o", "quality_model"),
        backup: model("OPENAI_MODEL", "gpt-4o-mini", "backup_model"),
        outage: Arc::new(AtomicBool::new(false)),
    })
}

#[tokio::main]
async fn main() {
    let _telemetry = logs::init();
    let real = real_models();
    let simulated = real.is_none();
    println!(
        "{}",
        if simulated {
            "simulated models (set OPENAI_API_KEY or OPENAI_BASE_URL to call a real one)"
        } else {
            "real models from the OpenAI-compatible API"
        }
    );
    let (pipeline, handles, cache_stats) = llm::pipeline(real.unwrap_or_else(|| llm::simulated(7)));
    let mut ok = 0;
    let mut spent = Usd::ZERO;
    let mut tokens = 0;
    let started = Instant::now();
    for n in 0..24u64 {
        // Requests 12 to 17 hit an outage of both simulated primaries.
        handles
            .outage
            .store(simulated && (12..18).contains(&n), Ordering::Relaxed);
        // Early prompts repeat (cache hits); later ones are new (misses).
        let prompt = llm::prompt(if n < 12 { n % 6 } else { n });
        let hits_before = cache_stats().hits;
        let request = Instant::now();
        let ctx = WorkflowContext::new();
        let result = pipeline.run_with(prompt.clone(), ctx.clone()).await;
        let took = request.elapsed().as_secs_f64() * 1e3;
        spent += ctx.usage().cost;
        tokens += ctx.usage().total_tokens();
        match result {
            Ok(answer) => {
                ok += 1;
                let via = if cache_stats().hits > hits_before {
                    "cache hit"
                } else {
                    answer
                        .split(']')
                        .next()
                        .unwrap_or_default()
                        .trim_start_matches('[')
                };
                println!("{n:>2} {:<9} {took:>6.0} ms via {via:<13} {prompt:?}", "ok");
            }
            Err(error) => println!("{n:>2} {:<9} {took:>6.0} ms {error}", error.kind().as_str()),
        }
    }
    let stats = cache_stats();
    let breakers: Vec<_> = handles
        .breakers
        .iter()
        .map(|b| format!("{}={}", b.name(), b.state()))
        .collect();
    println!(
        "summary: {ok}/24 answered in {:.1} s; {tokens} tokens for {spent}; cache {} hits / {} lookups ({:.0}%) saved {}; breakers: {}",
        started.elapsed().as_secs_f64(),
        stats.hits,
        stats.lookups,
        stats.hit_rate * 100.0,
        stats.saved_cost,
        breakers.join(", ")
    );
}
