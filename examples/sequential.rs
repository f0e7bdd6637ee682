//! The seeds' sequential workflow: DataProcessor → Validator → Enricher, then
//! a summary and a classification run in parallel.
//!
//! ```text
//! cargo run --example sequential
//! RUST_LOG=debug cargo run --example sequential   # per-step events too
//! ```

use std::time::{Duration, Instant};

use tracing_subscriber::EnvFilter;
use tta::prelude::*;

#[derive(Debug, Clone)]
struct Document {
    text: String,
    words: usize,
    tags: Vec<&'static str>,
}

#[tokio::main]
async fn main() -> tta::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(false)
        .init();

    let processor = from_fn("data_processor", |text: String, _ctx| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(Document {
            words: text.split(' ').count(),
            text,
            tags: Vec::new(),
        })
    });
    let validator = from_fn("validator", |doc: Document, _ctx| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if doc.text.is_empty() {
            return Err(Error::msg("empty document"));
        }
        Ok(doc)
    });
    let enricher = from_fn("enricher", |mut doc: Document, ctx| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        doc.tags.push(if doc.words > 5 { "long" } else { "short" });
        ctx.checkpoint("enriched");
        Ok(doc)
    });
    let summarize = from_fn("summarize", |doc: Document, _ctx| async move {
        tokio::time::sleep(Duration::from_millis(80)).await;
        Ok(doc.text.chars().take(24).collect::<String>())
    });
    let classify = from_fn("classify", |doc: Document, _ctx| async move {
        tokio::time::sleep(Duration::from_millis(60)).await;
        Ok(doc.tags)
    });

    let workflow =
        (processor >> validator >> enricher >> (summarize | classify)).named("document_pipeline");

    let inputs = [
        "  The quick brown   fox jumps over the lazy dog  ",
        "hello   world",
        "   ",
    ];
    let mut succeeded = 0;
    let started = Instant::now();
    for text in inputs {
        let ctx = WorkflowContext::builder()
            .metadata("source", "example")
            .build();
        match workflow.run_with(text.to_owned(), ctx).await {
            Ok((summary, tags)) => {
                succeeded += 1;
                println!("  ok    {summary:?} tags={tags:?}");
            }
            Err(error) => println!("  error {error} (kind: {})", error.kind()),
        }
    }
    println!(
        "summary: {} runs, {succeeded} succeeded, {} failed, {:.0} ms in all",
        inputs.len(),
        inputs.len() - succeeded,
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
