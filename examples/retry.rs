//! Exponential backoff with jitter against a step that fails twice with a
//! transient error and then succeeds.
//!
//! ```text
//! cargo run --example retry
//! ```

#[path = "common/logs.rs"]
mod logs;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tta::prelude::*;

/// A model endpoint that answers 503 to its first two calls.
struct FlakyModel {
    calls: AtomicU32,
}

#[primitive(name = "flaky_model", kind = "llm")]
impl FlakyModel {
    async fn execute(&self, prompt: String, _ctx: &WorkflowContext) -> tta::Result<String> {
        tokio::time::sleep(Duration::from_millis(40)).await;
        match self.calls.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => Err(Error::transient("503 Service Unavailable")),
            _ => Ok(format!("answer to {prompt:?}")),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = logs::init();
    let policy = RetryPolicy::builder()
        .max_attempts(4)
        .backoff(
            Backoff::exponential(Duration::from_millis(100))
                .factor(2.0)
                .cap(Duration::from_secs(2)),
        )
        .jitter(Jitter::Equal)
        .build()?;
    let model = FlakyModel {
        calls: AtomicU32::new(0),
    }
    .retry(policy);

    let started = Instant::now();
    let answer = model.run("What is a circuit breaker?".to_owned()).await?;
    let calls = model.inner().calls.load(Ordering::SeqCst);
    println!("result:  {answer}");
    println!(
        "summary: succeeded on attempt {calls} of {} after {:.0} ms (two 503s retried with exponential backoff and equal jitter)",
        model.policy().max_attempts(),
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
