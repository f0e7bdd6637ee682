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

/// Normalises whitespace and counts words.
struct DataProcessor;

#[primitive(name = "data_processor")]
impl DataProcessor {
    async fn execute(&self, text: String, _ctx: &WorkflowContext) -> tta::Result<Document> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let words = text.split(' ').filter(|w| !w.is_empty()).count();
        Ok(Document {
            text,
            words,
            tags: Vec::new(),
        })
    }
}

/// Rejects documents that are too short.
struct Validator {
    min_words: usize,
}

#[primitive(name = "validator", fields(min_words = self.min_words as u64))]
impl Validator {
    async fn execute(&self, doc: Document, _ctx: &WorkflowContext) -> tta::Result<Document> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if doc.words < self.min_words {
            return Err(Error::msg(format!(
                "{} words; need at least {}",
                doc.words, self.min_words
            )));
        }
        Ok(doc)
    }
}

#[primitive(name = "enricher")]
async fn enrich(mut doc: Document, ctx: &WorkflowContext) -> tta::Result<Document> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    doc.tags.push(if doc.words > 5 { "long" } else { "short" });
    ctx.checkpoint("enriched");
    Ok(doc)
}

#[primitive(name = "summarize", kind = "llm")]
async fn summarize(doc: Document, _ctx: &WorkflowContext) -> tta::Result<String> {
    tokio::time::sleep(Duration::from_millis(80)).await;
    Ok(doc.text.chars().take(24).collect())
}

#[primitive(name = "classify")]
async fn classify(doc: Document, _ctx: &WorkflowContext) -> tta::Result<Vec<&'static str>> {
    tokio::time::sleep(Duration::from_millis(60)).await;
    Ok(doc.tags)
}

#[tokio::main]
async fn main() -> tta::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(false)
        .init();

    let workflow =
        (DataProcessor >> Validator { min_words: 1 } >> Enrich >> (Summarize | Classify))
            .named("document_pipeline");

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
