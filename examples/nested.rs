//! The seeds' "complex nested workflow": a retry around a sequential that
//! contains a cache.
//!
//! ```text
//! cargo run --example nested
//! ```

#[path = "common/logs.rs"]
mod logs;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tta::prelude::*;

static RETRIEVALS: AtomicU32 = AtomicU32::new(0);
static GENERATIONS: AtomicU32 = AtomicU32::new(0);

#[primitive(name = "retrieve", kind = "retrieval")]
async fn retrieve(question: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    RETRIEVALS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    Ok(format!("context for {question:?}"))
}

/// Fails its first call with a rate limit, as a busy model does.
struct Generate;

#[primitive(name = "generate", kind = "llm")]
impl Generate {
    async fn execute(&self, context: String, _ctx: &WorkflowContext) -> tta::Result<String> {
        tokio::time::sleep(Duration::from_millis(60)).await;
        if GENERATIONS.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(Error::RateLimited {
                retry_after: Some(Duration::from_millis(100)),
            });
        }
        Ok(format!("answer from {context}"))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = logs::init();
    let retrieval = Retrieve.cached(CacheConfig::builder().max_capacity(100).build()?);
    let policy = RetryPolicy::builder()
        .max_attempts(3)
        .backoff(Backoff::constant(Duration::from_millis(100)))
        .build()?;
    let workflow = (retrieval >> Generate).retry(policy).named("rag_nested");

    for question in ["what is TTA?", "what is TTA?"] {
        let started = Instant::now();
        let answer = workflow.run(question.to_owned()).await?;
        println!(
            "{answer} in {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    let (retrievals, generations) = (
        RETRIEVALS.load(Ordering::SeqCst),
        GENERATIONS.load(Ordering::SeqCst),
    );
    println!(
        "summary: 2 runs, 3 attempts; generate ran {generations} times (1 rate-limited, then retried), \
         retrieve ran {retrievals} time: the other {} lookups were cache hits",
        3 - retrievals
    );
    Ok(())
}
