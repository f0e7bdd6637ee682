//! A slow step behind a cache: a miss, then hits, with the latency of each
//! and the hit rate.
//!
//! ```text
//! cargo run --example cache
//! RUST_LOG=debug cargo run --example cache   # cache_hit / cache_miss / cache_store events
//! ```

#[path = "common/logs.rs"]
mod logs;

use std::time::{Duration, Instant};

use tta::prelude::*;

#[primitive(name = "embed", kind = "llm")]
async fn embed(text: String, _ctx: &WorkflowContext) -> tta::Result<Vec<f32>> {
    tokio::time::sleep(Duration::from_millis(250)).await;
    Ok(text
        .bytes()
        .take(4)
        .map(|byte| f32::from(byte) / 255.0)
        .collect())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = logs::init();
    let config = CacheConfig::builder()
        .max_capacity(1_000)
        .time_to_live(Duration::from_secs(300))
        .build()?;
    // Keyed by the normalised text, so "Hello" and " hello " share an entry.
    let cached = Embed.cached_by(config, |text: &String| text.trim().to_lowercase());

    for text in ["Hello world", " hello WORLD ", "hello world", "goodbye"] {
        let started = Instant::now();
        let vector = cached.run(text.to_owned()).await?;
        println!(
            "{:>16?} -> {vector:?} in {:>6.1} ms",
            text,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    let stats = cached.stats();
    println!(
        "summary: {} lookups, {} hits, {} misses, hit rate {:.0}%",
        stats.lookups,
        stats.hits,
        stats.misses,
        stats.hit_rate * 100.0
    );
    Ok(())
}
