//! Three processes, one limit and one cache, through Redis: each replica
//! asks as fast as it can, yet together they stay at the shared rate, and
//! each question is computed once across all of them.
//!
//! It starts Debian's `redis-server` on a free loopback port (or uses
//! `REDIS_URL`), runs three copies of itself as replicas, and prints what
//! they did together.
//!
//! ```text
//! cargo run --example replicas
//! REDIS_URL=redis://127.0.0.1:6379/ cargo run --example replicas -- --replicas 4
//! ```

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tta::prelude::*;
use tta::redis::{FailureMode, RedisStore, SharedTierConfig};
use tta::resilience::{CacheConfig, OnLimit, RateLimitConfig};

const RATE: f64 = 10.0;
const RUN_FOR: Duration = Duration::from_secs(3);
const QUESTIONS: u64 = 5;

/// Stops the server this example started, however it ends.
struct OwnServer(Child);

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis() -> Result<(String, OwnServer), Box<dyn std::error::Error>> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|error| format!("cannot start redis-server ({error}); install Debian's redis-server or set REDIS_URL"))?;
    let server = OwnServer(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok((format!("redis://127.0.0.1:{port}/"), server));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err("redis-server did not start within 2 s".into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, url] = args.as_slice()
        && flag == "--replica"
    {
        return replica(url).await;
    }
    let replicas: usize = match args.as_slice() {
        [] => 3,
        [flag, n] if flag == "--replicas" => n.parse().map_err(|_| "--replicas takes a number")?,
        _ => return Err("usage: replicas [--replicas N]".into()),
    };
    let (url, _server) = match std::env::var("REDIS_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let (url, server) = start_redis()?;
            (url, Some(server))
        }
    };
    // A prefix of this run's own, so keys an earlier run left do not count.
    let store = RedisStore::builder(url.clone())
        .prefix(format!("replicas-{}:", std::process::id()))
        .build()?;
    store.ping().await?;

    let me = std::env::current_exe()?;
    let children: Vec<_> = (0..replicas)
        .map(|_| {
            Command::new(&me)
                .args(["--replica", &url])
                .env(
                    "TTA_REPLICAS_PREFIX",
                    format!("replicas-{}:", std::process::id()),
                )
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    let (mut admitted, mut computed) = (0, 0);
    for child in children {
        let output = child.wait_with_output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        let numbers: Vec<u64> = text
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        if let [a, c] = numbers[..] {
            admitted += a;
            computed += c;
        }
    }
    let seconds = RUN_FOR.as_secs_f64();
    println!(
        "{replicas} replicas, each as fast as it can, admitted {admitted} calls in {seconds:.0} s: {:.1}/s under one shared limit of {RATE}/s (unshared, they would have had {:.0}/s)",
        admitted as f64 / seconds,
        RATE * replicas as f64
    );
    println!(
        "cache: {QUESTIONS} distinct questions asked by every replica, {computed} computed in all (unshared: {})",
        QUESTIONS * replicas as u64
    );
    Ok(())
}

/// One replica: 8 tasks asking through the shared limit, then every
/// question once through the shared cache.
async fn replica(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let prefix = std::env::var("TTA_REPLICAS_PREFIX").unwrap_or_else(|_| "replicas:".to_owned());
    let store = RedisStore::builder(url).prefix(prefix).build()?;
    let limited = Arc::new(
        from_fn("ask", |n: u64, _ctx| async move { Ok(n) })
            .rate_limit(
                RateLimitConfig::per_second(RATE)
                    .burst(1)
                    .on_limit(OnLimit::Reject)
                    .build()?,
            )
            .shared(store.rate_limiter("ask", FailureMode::Open)),
    );
    let admitted = Arc::new(AtomicU64::new(0));
    let deadline = tokio::time::Instant::now() + RUN_FOR;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (limited, admitted) = (Arc::clone(&limited), Arc::clone(&admitted));
        tasks.push(tokio::spawn(async move {
            while tokio::time::Instant::now() < deadline {
                match limited.run(0).await {
                    Ok(_) => {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(Error::RateLimited { retry_after }) => {
                        tokio::time::sleep(retry_after.unwrap_or(Duration::from_millis(10))).await;
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }

    let computed = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&computed);
    let answer = store.shared_cache(
        from_fn("answer", move |question: u64, _ctx| {
            counter.fetch_add(1, Ordering::Relaxed);
            async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok(format!("answer to question {question}"))
            }
        }),
        "answers",
        |question: &u64| question.to_string(),
        CacheConfig::builder().max_capacity(100).build()?,
        SharedTierConfig::ttl(Duration::from_secs(60)).lease(Duration::from_secs(5)),
    );
    for question in 0..QUESTIONS {
        answer.run(question).await?;
    }
    println!(
        "{} {}",
        admitted.load(Ordering::Relaxed),
        computed.load(Ordering::Relaxed)
    );
    Ok(())
}
