//! The seeds' sequential workflow: DataProcessor → Validator → Enricher, then
//! a summary and a classification run in parallel.
//!
//! ```text
//! cargo run --example sequential
//! RUST_LOG=debug cargo run --example sequential   # per-step events too
//! ```

use std::time::Instant;

use tracing_subscriber::EnvFilter;
use tta::prelude::*;

#[path = "common/documents.rs"]
mod documents;

#[tokio::main]
async fn main() -> tta::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(false)
        .init();

    let workflow = documents::pipeline(1);

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
