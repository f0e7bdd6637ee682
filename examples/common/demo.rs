//! The live demo's load: a steady mix of workflows that exercises every
//! primitive, and the live status line. Shared by the `demo` example and
//! the test that scrapes it.

use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tta::llm::{Usage, Usd};
use tta::prelude::*;
use tta::resilience::CacheStats;
use tta::testing::{FaultConfig, Faulty};

#[path = "documents.rs"]
mod documents;
#[path = "llm.rs"]
mod llm;
#[path = "stream_chat.rs"]
mod stream_chat;

/// How the demo runs.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Workflows started per second.
    pub(crate) rate: f64,
    /// How often the status line is printed.
    pub(crate) status_every: Duration,
}

/// What the demo did, as its last status line reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Status {
    pub(crate) executions: u64,
    pub(crate) succeeded: u64,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) cache_hit_rate: f64,
    pub(crate) open_circuits: usize,
    pub(crate) circuits: usize,
    /// What the runs' model calls cost, summed from each run's context.
    pub(crate) spent: Usd,
    /// What the caches' hits did not spend again.
    pub(crate) saved: Usd,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let success = if self.executions == 0 {
            100.0
        } else {
            self.succeeded as f64 * 100.0 / self.executions as f64
        };
        write!(
            f,
            "executions {} | success {success:.1}% | p50 {:.0} ms | p95 {:.0} ms | cache hit {:.0}% | open circuits {}/{} | spent ${:.4} | saved by cache ${:.4}",
            self.executions,
            self.p50_ms,
            self.p95_ms,
            self.cache_hit_rate * 100.0,
            self.open_circuits,
            self.circuits,
            self.spent.as_dollars(),
            self.saved.as_dollars()
        )
    }
}

/// Completed runs: counts and recent latencies.
#[derive(Default)]
struct Tally {
    executions: AtomicU64,
    succeeded: AtomicU64,
    spent_nanos: AtomicU64,
    /// The latest latencies in milliseconds, for the percentiles.
    recent: Mutex<Vec<f64>>,
}

const RECENT: usize = 2_000;

impl Tally {
    fn record(&self, ok: bool, elapsed: Duration, ctx: &WorkflowContext) {
        self.spent_nanos
            .fetch_add(ctx.usage().cost.nanos(), Ordering::SeqCst);
        self.executions.fetch_add(1, Ordering::SeqCst);
        if ok {
            self.succeeded.fetch_add(1, Ordering::SeqCst);
        }
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() == RECENT {
            recent.remove(0);
        }
        recent.push(elapsed.as_secs_f64() * 1e3);
    }

    fn percentile(&self, quantile: f64) -> f64 {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if recent.is_empty() {
            return 0.0;
        }
        recent.sort_by(f64::total_cmp);
        let rank = ((recent.len() - 1) as f64 * quantile).round() as usize;
        recent[rank]
    }
}

/// Every workflow of the mix, shared by the tasks that run them.
struct Workflows {
    llm: BoxPrimitive<String, String>,
    chat: BoxPrimitive<String, ChunkStream<String>>,
    documents: BoxPrimitive<String, (String, Vec<&'static str>)>,
    embed: BoxPrimitive<u64, Vec<f32>>,
    search: BoxPrimitive<String, String>,
    trip: BoxPrimitive<Vec<&'static str>, Vec<&'static str>>,
    llm_handles: llm::Handles,
    caches: Vec<Box<dyn Fn() -> CacheStats + Send + Sync>>,
}

fn workflows() -> Workflows {
    let (llm, llm_handles, llm_cache) = llm::pipeline(llm::simulated(42));
    let ms = Duration::from_millis;

    // A streamed chat answer, hedged and retried before its first token;
    // the providers' outages take it down too.
    let chat = stream_chat::resilient(stream_chat::model(7, Arc::clone(&llm_handles.outage)));

    // Embeddings: rate-limited and bulkheaded, behind a small cache that
    // evicts as the vocabulary grows.
    // A local embedding model: its tokens are counted, and it has no price.
    let embed_step = from_fn("embed", |id: u64, ctx: WorkflowContext| async move {
        tokio::time::sleep(Duration::from_millis(5 + id % 20)).await;
        let usage = Usage::new("ollama", "nomic-embed-text")
            .operation("embeddings")
            .input_tokens(12 + id % 50);
        ctx.record_usage(usage)?;
        Ok(vec![(id % 97) as f32 / 97.0; 4])
    })
    .with_kind(Kind::new("llm"));
    let embed = embed_step
        .rate_limit(
            RateLimitConfig::per_second(200.0)
                .burst(20)
                .build()
                .expect("valid rate"),
        )
        .bulkhead(
            BulkheadConfig::builder()
                .max_concurrent(4)
                .max_queue(32)
                .build()
                .expect("valid bulkhead"),
        );
    let embed = Arc::new(
        embed.cached(
            CacheConfig::builder()
                .max_capacity(16)
                .build()
                .expect("valid cache"),
        ),
    );
    let embed_cache = Arc::clone(&embed);

    // Web search: slow and variable, cut off at 250 ms, answered from a
    // stale index when it times out.
    let search = Faulty::new(
        from_fn("web_search", |query: String, _ctx| async move {
            Ok(format!("results for {query}"))
        })
        .with_kind(Kind::new("retrieval")),
        FaultConfig::builder()
            .latency(ms(50)..=ms(400))
            .seed(9)
            .build()
            .expect("valid faults"),
    )
    .timeout(ms(250))
    .or_else(from_fn("stale_index", |query: String, _ctx| async move {
        Ok(format!("stale results for {query}"))
    }));

    // A booking saga whose third step fails one time in five.
    let trips = Arc::new(AtomicU64::new(0));
    let step = |name: &'static str| {
        from_fn(name, move |mut trip: Vec<&'static str>, _ctx| async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            trip.push(name);
            Ok(trip)
        })
    };
    let undo =
        |name: &'static str| from_fn(name, |_trip: Vec<&'static str>, _ctx| async move { Ok(()) });
    let car = from_fn("reserve_car", move |mut trip: Vec<&'static str>, _ctx| {
        let fails = trips.fetch_add(1, Ordering::Relaxed) % 5 == 4;
        async move {
            if fails {
                return Err(Error::msg("no cars left"));
            }
            trip.push("car");
            Ok(trip)
        }
    });
    let trip = Saga::builder("book_trip")
        .step(step("reserve_flight"), undo("cancel_flight"))
        .step(step("reserve_hotel"), undo("cancel_hotel"))
        .step(car, undo("cancel_car"))
        .build()
        .expect("three steps");

    Workflows {
        llm: llm.boxed(),
        chat: chat.boxed(),
        documents: documents::pipeline(2).boxed(),
        embed: llm::SharedPrimitive(embed).named("embed_pipeline").boxed(),
        search: search.named("web_search_pipeline").boxed(),
        trip: trip.boxed(),
        llm_handles,
        caches: vec![Box::new(llm_cache), Box::new(move || embed_cache.stats())],
    }
}

impl Workflows {
    fn status(&self, tally: &Tally) -> Status {
        let (hits, lookups, saved) = self.caches.iter().map(|stats| stats()).fold(
            (0, 0, Usd::ZERO),
            |(hits, lookups, saved), stats| {
                (
                    hits + stats.hits,
                    lookups + stats.lookups,
                    saved + stats.saved_cost,
                )
            },
        );
        let breakers = &self.llm_handles.breakers;
        Status {
            executions: tally.executions.load(Ordering::SeqCst),
            succeeded: tally.succeeded.load(Ordering::SeqCst),
            p50_ms: tally.percentile(0.5),
            p95_ms: tally.percentile(0.95),
            cache_hit_rate: if lookups == 0 {
                0.0
            } else {
                hits as f64 / lookups as f64
            },
            open_circuits: breakers
                .iter()
                .filter(|breaker| breaker.state() != tta::resilience::CircuitState::Closed)
                .count(),
            circuits: breakers.len(),
            spent: Usd::from_nanos(tally.spent_nanos.load(Ordering::SeqCst)),
            saved,
        }
    }

    /// Starts run number `n` of the mix. Every 50th is a burst: three users
    /// asking the same new question at once, which the cache coalesces.
    fn start(self: &Arc<Self>, n: u64, tally: &Arc<Tally>, tasks: &mut JoinSet<()>) {
        if n.is_multiple_of(50) {
            for _ in 0..3 {
                let (workflows, tally) = (Arc::clone(self), Arc::clone(tally));
                tasks.spawn(async move {
                    let started = Instant::now();
                    let ctx = WorkflowContext::new();
                    let ok = workflows
                        .llm
                        .run_with(format!("What is trending at tick {n}?"), ctx.clone())
                        .await
                        .is_ok();
                    tally.record(ok, started.elapsed(), &ctx);
                });
            }
            return;
        }
        let (workflows, tally) = (Arc::clone(self), Arc::clone(tally));
        tasks.spawn(async move {
            let started = Instant::now();
            let ctx = WorkflowContext::new();
            let run_ctx = ctx.clone();
            let ok = match n % 10 {
                3 => match workflows.chat.run_with(llm::prompt(n), run_ctx).await {
                    // The stream is read to its end, as a chat UI would.
                    Ok(answer) => answer.collect_vec().await.is_ok(),
                    Err(_) => false,
                },
                0..=2 => workflows
                    .llm
                    .run_with(llm::prompt(n), run_ctx)
                    .await
                    .is_ok(),
                4 | 5 => {
                    let text = [
                        "  The quick brown fox  ",
                        "hi",
                        "Rust makes pipelines fast and safe",
                    ][n as usize % 3];
                    workflows
                        .documents
                        .run_with(text.to_owned(), run_ctx)
                        .await
                        .is_ok()
                }
                6 | 7 => workflows.embed.run_with(n * 7 % 100, run_ctx).await.is_ok(),
                8 => workflows
                    .search
                    .run_with(format!("topic {}", n % 13), run_ctx)
                    .await
                    .is_ok(),
                _ => workflows.trip.run_with(Vec::new(), run_ctx).await.is_ok(),
            };
            tally.record(ok, started.elapsed(), &ctx);
        });
    }

    /// The simulated primary providers go down for 2.5 s every 20 s,
    /// starting one second in, so the breakers trip and recover.
    fn schedule_outages(&self, elapsed: Duration) {
        let phase = elapsed.as_secs_f64() % 20.0;
        self.llm_handles
            .outage
            .store((1.0..3.5).contains(&phase), Ordering::Relaxed);
    }
}

/// Runs the mix at `options.rate` until `stop` resolves or stdout closes,
/// printing the status line as it goes; waits for the runs in flight and returns the
/// final status.
pub(crate) async fn run(options: &Options, stop: impl Future<Output = ()>) -> Status {
    let workflows = Arc::new(workflows());
    tta::telemetry::register_workflow(&workflows.llm);
    tta::telemetry::register_workflow(&workflows.chat);
    tta::telemetry::register_workflow(&workflows.documents);
    tta::telemetry::register_workflow(&workflows.embed);
    tta::telemetry::register_workflow(&workflows.search);
    tta::telemetry::register_workflow(&workflows.trip);
    let tally = Arc::new(Tally::default());
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / options.rate.max(0.01)));
    let mut status = tokio::time::interval(options.status_every);
    status.tick().await;
    tokio::pin!(stop);
    let mut n = 0;
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = ticks.tick() => {
                workflows.schedule_outages(started.elapsed());
                workflows.start(n, &tally, &mut tasks);
                n += 1;
            }
            _ = status.tick() => {
                let line = format!("[{:>6.1}s] {}", started.elapsed().as_secs_f64(), workflows.status(&tally));
                // A closed stdout (`demo | head -1`) stops the load like a
                // signal would, instead of a panic.
                if writeln!(std::io::stdout(), "{line}").is_err() {
                    break;
                }
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    // Every run has a bounded duration (timeouts, retries with a cap), so
    // waiting for the ones in flight ends.
    while tasks.join_next().await.is_some() {}
    workflows.status(&tally)
}
