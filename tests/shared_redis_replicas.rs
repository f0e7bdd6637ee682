//! Several real processes share one limit, one budget and one cache
//! through a real `redis-server`: the test binary runs itself as the
//! replicas and reads what each admitted, spent and computed.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tta::llm::{Usage, Usd};
use tta::prelude::*;
use tta::redis::{FailureMode, RedisStore, SharedTierConfig};
use tta::resilience::{CacheConfig, OnLimit, RateLimitConfig};
use tta_test_support::child::ChildTest;
use tta_test_support::redis_server::RedisServer;

/// Set in a replica: which test it runs for, and where Redis is.
const ROLE: &str = "TTA_TEST_REPLICA_ROLE";
const REDIS: &str = "TTA_TEST_REPLICA_REDIS";
/// Set in a replica: unix milliseconds at which to start, so they overlap.
const START_AT: &str = "TTA_TEST_REPLICA_START_AT";

const PROCESSES: usize = 4;
const TASKS: usize = 8;
const RATE: f64 = 20.0;
const BURST: u32 = 5;
const RUN_FOR: Duration = Duration::from_secs(3);
const BUDGET: Usd = Usd::from_cents(10);
const ESTIMATE: Usd = Usd::from_micros(2_000);

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Starts the replicas of `test` at one moment a little ahead, so they overlap.
fn replicas(test: &str, role: &str, server: &RedisServer, count: usize) -> Vec<ChildTest> {
    let start_at = (unix_ms() + 1_500).to_string();
    (0..count)
        .map(|_| {
            ChildTest::spawn(
                test,
                &[(ROLE, role), (REDIS, &server.url()), (START_AT, &start_at)],
            )
        })
        .collect()
}

async fn wait_for_start() {
    let start_at: u64 = std::env::var(START_AT).unwrap().parse().unwrap();
    let now = unix_ms();
    if start_at > now {
        tokio::time::sleep(Duration::from_millis(start_at - now)).await;
    }
}

/// Each replica's last line with `prefix`, as numbers.
fn collect(children: &mut [ChildTest], prefix: &str) -> Vec<Vec<u64>> {
    children
        .iter_mut()
        .map(|child| {
            let line = child.wait_for(prefix, Duration::from_secs(60));
            let (exit, rest) = child.wait_exit(Duration::from_secs(60));
            assert!(exit.success(), "{exit:?}: {rest:?}");
            line.split(',')
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn four_processes_share_one_limit_and_one_budget() {
    if std::env::var(ROLE).is_ok() {
        return replica_limit_and_budget();
    }
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut children = replicas(
        "four_processes_share_one_limit_and_one_budget",
        "limit",
        &server,
        PROCESSES,
    );
    let admitted: Vec<Vec<u64>> = collect(&mut children[..], "admitted:");
    assert!(
        admitted.iter().all(|each| !each.is_empty()),
        "every replica got calls through"
    );
    // Each admitted call as (asked, admitted) in unix ms: Redis decided
    // somewhere in between, on its own clock.
    let mut calls: Vec<(u64, u64)> = admitted
        .iter()
        .flat_map(|each| each.chunks(2).map(|pair| (pair[0], pair[1])))
        .collect();
    calls.sort_unstable();
    let all: Vec<u64> = calls.iter().map(|(_, admitted)| *admitted).collect();

    // GCRA's bound: in any window of W, at most burst + rate × W calls.
    // A call counts in a window only if it was asked and admitted inside
    // it, so a slow scheduler cannot make the check fail falsely.
    let window_ms: u64 = 1_000;
    let limit = BURST as usize + (RATE * window_ms as f64 / 1e3) as usize;
    let busiest = calls
        .iter()
        .map(|(start, _)| {
            calls
                .iter()
                .filter(|(asked, admitted)| asked >= start && *admitted < start + window_ms)
                .count()
        })
        .max()
        .unwrap();
    assert!(
        busiest <= limit,
        "{busiest} calls in one second, limit {limit}"
    );
    // And the replicas used it: at least 90 % of the rate over the run.
    let (first, last) = (all.iter().min().unwrap(), all.iter().max().unwrap());
    let span_s = (last - first) as f64 / 1e3;
    let used = all.len() as f64 / (RATE * span_s + f64::from(BURST));
    assert!(
        used >= 0.9,
        "{} calls in {span_s:.2} s: {:.0} % of the limit",
        all.len(),
        used * 100.0
    );
    eprintln!(
        "shared limit: {} calls from {PROCESSES} processes in {span_s:.2} s, busiest second {busiest} (limit {limit}), {:.1} % of the limit used",
        all.len(),
        used * 100.0
    );

    // The budget: what the replicas spent together, as they measured it
    // and as the ledger holds it, is within the budget.
    let mut children = replicas(
        "four_processes_share_one_limit_and_one_budget",
        "budget",
        &server,
        PROCESSES,
    );
    let spent: u64 = collect(&mut children[..], "spent:").iter().flatten().sum();
    assert!(
        spent <= BUDGET.nanos(),
        "spent {spent} nano-dollars of {}",
        BUDGET.nanos()
    );
    assert!(
        spent >= BUDGET.nanos() - ESTIMATE.nanos(),
        "the budget was used: {spent}"
    );
    let ledger = runtime().block_on(async {
        let store = RedisStore::builder(server.url())
            .prefix("replicas:")
            .build()
            .unwrap();
        store
            .budget(
                from_fn("x", |n: u32, _ctx| async move { Ok(n) }),
                "shared",
                BUDGET,
                |_: &u32| ESTIMATE,
            )
            .spent()
            .await
            .unwrap()
    });
    assert_eq!(
        ledger.nanos(),
        spent,
        "the ledger holds exactly what was spent"
    );
    eprintln!(
        "shared budget: {spent} of {} nano-dollars spent, 0 overspent",
        BUDGET.nanos()
    );
}

fn replica_limit_and_budget() {
    let url = std::env::var(REDIS).unwrap();
    let store = RedisStore::builder(url)
        .prefix("replicas:")
        .build()
        .unwrap();
    let role = std::env::var(ROLE).unwrap();
    runtime().block_on(async move {
        wait_for_start().await;
        if role == "limit" {
            let admitted = Arc::new(std::sync::Mutex::new(Vec::new()));
            let call = from_fn("replica_call", |_: u32, _ctx| async move { Ok(unix_ms()) });
            let limited = Arc::new(
                call.rate_limit(
                    RateLimitConfig::per_second(RATE)
                        .burst(BURST)
                        .on_limit(OnLimit::Reject)
                        .build()
                        .unwrap(),
                )
                .shared(store.rate_limiter("shared", FailureMode::Closed)),
            );
            let deadline = tokio::time::Instant::now() + RUN_FOR;
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let (limited, admitted) = (Arc::clone(&limited), Arc::clone(&admitted));
                    tokio::spawn(async move {
                        while tokio::time::Instant::now() < deadline {
                            let asked = unix_ms();
                            match limited.run(0).await {
                                Ok(at) => admitted.lock().unwrap().push((asked, at)),
                                Err(Error::RateLimited { retry_after }) => {
                                    tokio::time::sleep(
                                        retry_after.unwrap_or(Duration::from_millis(10)),
                                    )
                                    .await;
                                }
                                Err(other) => panic!("{other}"),
                            }
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            let times: Vec<String> = admitted
                .lock()
                .unwrap()
                .iter()
                .map(|(asked, at)| format!("{asked},{at}"))
                .collect();
            println!("admitted:{}", times.join(","));
        } else {
            // Each call really costs 1,000 to 10,000 gpt-4o-mini input
            // tokens (0.015 to 0.15 cents) and reserves 0.2 cents.
            let call = from_fn(
                "replica_spend",
                |tokens: u64, ctx: WorkflowContext| async move {
                    ctx.record_usage(Usage::new("openai", "gpt-4o-mini").input_tokens(tokens))?;
                    Ok(())
                },
            );
            let budget = Arc::new(
                store
                    .budget(call, "shared", BUDGET, |_: &u64| ESTIMATE)
                    .failure_mode(FailureMode::Closed),
            );
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let budget = Arc::clone(&budget);
                    tokio::spawn(async move {
                        let mut spent = 0;
                        loop {
                            let ctx = WorkflowContext::new();
                            match budget
                                .run_with(fastrand::u64(1_000..=10_000), ctx.clone())
                                .await
                            {
                                Ok(()) => spent += ctx.usage().cost.nanos(),
                                Err(Error::BudgetExceeded { .. }) => return spent,
                                Err(other) => panic!("{other}"),
                            }
                        }
                    })
                })
                .collect();
            let mut spent = 0;
            for task in tasks {
                spent += task.await.unwrap();
            }
            println!("spent:{spent}");
        }
    });
}

#[test]
fn four_processes_stampeding_one_key_make_one_upstream_call() {
    if std::env::var(ROLE).is_ok() {
        return replica_stampede();
    }
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut children = replicas(
        "four_processes_stampeding_one_key_make_one_upstream_call",
        "stampede",
        &server,
        PROCESSES,
    );
    let answers: BTreeSet<Vec<u64>> = collect(&mut children[..], "answers:").into_iter().collect();
    assert_eq!(
        answers,
        BTreeSet::from([vec![42; TASKS]]),
        "every caller got the one answer"
    );
    assert_eq!(
        upstream_calls(&server),
        1,
        "one upstream call across four processes"
    );
}

#[test]
fn a_replica_that_dies_holding_the_lease_blocks_the_others_no_longer_than_the_lease() {
    if std::env::var(ROLE).is_ok() {
        return replica_stampede();
    }
    let Some(server) = RedisServer::start() else {
        return;
    };
    let test = "a_replica_that_dies_holding_the_lease_blocks_the_others_no_longer_than_the_lease";
    let mut holder = ChildTest::spawn(
        test,
        &[(ROLE, "hang"), (REDIS, &server.url()), (START_AT, "0")],
    );
    holder.wait_for("computing", Duration::from_secs(60));
    let status = std::process::Command::new("kill")
        .args(["-KILL", &holder.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // A second replica waits out the 1 s lease, takes over and computes.
    let mut taker = ChildTest::spawn(
        test,
        &[(ROLE, "stampede"), (REDIS, &server.url()), (START_AT, "0")],
    );
    let answers = taker.wait_for("answers:", Duration::from_secs(30));
    let (exit, rest) = taker.wait_exit(Duration::from_secs(30));
    assert!(exit.success(), "{rest:?}");
    assert_eq!(answers, ["42"; TASKS].join(","));
    assert_eq!(
        upstream_calls(&server),
        2,
        "the dead holder's call and the taker's"
    );
}

fn upstream_calls(server: &RedisServer) -> u64 {
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_connection().unwrap();
    redis::cmd("GET")
        .arg("replicas:upstream-calls")
        .query::<Option<u64>>(&mut connection)
        .unwrap()
        .unwrap_or(0)
}

fn replica_stampede() {
    let url = std::env::var(REDIS).unwrap();
    let role = std::env::var(ROLE).unwrap();
    let store = RedisStore::builder(url.clone())
        .prefix("replicas:")
        .build()
        .unwrap();
    runtime().block_on(async move {
        let counter = redis::Client::open(url)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let hang = role == "hang";
        // The upstream: counts its calls in Redis, and takes 300 ms (or,
        // for the replica about to be killed, forever).
        let upstream = from_fn("upstream", move |_: String, _ctx| {
            let mut counter = counter.clone();
            async move {
                let _: u64 = redis::cmd("INCR")
                    .arg("replicas:upstream-calls")
                    .query_async(&mut counter)
                    .await
                    .map_err(Error::user)?;
                if hang {
                    println!("computing");
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                Ok(42_u64)
            }
        });
        let cached = Arc::new(store.shared_cache(
            upstream,
            "stampede",
            |key: &String| key.clone(),
            CacheConfig::builder().max_capacity(10).build().unwrap(),
            SharedTierConfig::ttl(Duration::from_secs(60)).lease(Duration::from_secs(1)),
        ));
        wait_for_start().await;
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let cached = Arc::clone(&cached);
                tokio::spawn(
                    async move { cached.run("the-same-question".to_owned()).await.unwrap() },
                )
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap().to_string());
        }
        println!("answers:{}", answers.join(","));
    });
}
