//! A realistic agent pipeline with no network. A simulated provider is
//! slow, rate-limits, fails and hangs; the pipeline caches answers by
//! normalised prompt, routes short prompts to a cheap model and long ones to
//! a quality model, times out hangs, retries transient errors, and falls
//! back to a second provider behind a circuit breaker.
//!
//! ```text
//! cargo run --example llm_pipeline
//! ```

#[path = "common/llm.rs"]
mod llm;
#[path = "common/logs.rs"]
mod logs;

use std::sync::atomic::Ordering;
use std::time::Instant;

use tta::prelude::*;

#[tokio::main]
async fn main() {
    let _telemetry = logs::init();
    let (pipeline, handles, cache_stats) = llm::pipeline(7);
    let mut ok = 0;
    let started = Instant::now();
    for n in 0..24u64 {
        // Requests 12 to 17 hit an outage of both primary models.
        handles
            .outage
            .store((12..18).contains(&n), Ordering::Relaxed);
        // Early prompts repeat (cache hits); later ones are new (misses).
        let prompt = llm::prompt(if n < 12 { n % 6 } else { n });
        let hits_before = cache_stats().hits;
        let request = Instant::now();
        let result = pipeline.run(prompt.clone()).await;
        let took = request.elapsed().as_secs_f64() * 1e3;
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
        "summary: {ok}/24 answered in {:.1} s; cache {} hits / {} lookups ({:.0}%); breakers: {}",
        started.elapsed().as_secs_f64(),
        stats.hits,
        stats.lookups,
        stats.hit_rate * 100.0,
        breakers.join(", ")
    );
}
