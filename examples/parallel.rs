//! Three branches at once: a parallel run takes as long as its slowest
//! branch, where the same steps in sequence take the sum.
//!
//! ```text
//! cargo run --example parallel
//! ```

#[path = "common/logs.rs"]
mod logs;

use std::time::{Duration, Instant};

use tta::prelude::*;

#[primitive(name = "fetch_news", kind = "retrieval")]
async fn fetch_news(topic: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(format!("3 articles on {topic}"))
}

#[primitive(name = "fetch_papers", kind = "retrieval")]
async fn fetch_papers(topic: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(format!("5 papers on {topic}"))
}

#[primitive(name = "fetch_code", kind = "retrieval")]
async fn fetch_code(topic: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    tokio::time::sleep(Duration::from_millis(250)).await;
    Ok(format!("2 repositories on {topic}"))
}

#[tokio::main]
async fn main() -> tta::Result<()> {
    let _telemetry = logs::init();
    let topic = "vector databases".to_owned();

    let started = Instant::now();
    let (news, papers, code) = (FetchNews | FetchPapers | FetchCode)
        .named("research_parallel")
        .run(topic.clone())
        .await?;
    let parallel = started.elapsed();

    let started = Instant::now();
    for step in [FetchNews.boxed(), FetchPapers.boxed(), FetchCode.boxed()] {
        step.run(topic.clone()).await?;
    }
    let sequential = started.elapsed();

    println!("results:    {news}; {papers}; {code}");
    println!(
        "summary:    parallel {:.0} ms vs sequential {:.0} ms: {:.1}x faster",
        parallel.as_secs_f64() * 1e3,
        sequential.as_secs_f64() * 1e3,
        sequential.as_secs_f64() / parallel.as_secs_f64()
    );
    Ok(())
}
