//! A property over random fault schedules: whatever the upstreams do
//! (fail before or after chunks, stall, answer late), the chunks a caller
//! sees through timeouts, retry, hedging and a fallback are a prefix of
//! exactly one upstream stream, nothing starts after the first chunk was
//! seen, and dropping the stream anywhere leaves nothing running.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use proptest::prelude::*;
use tta::catalog;
use tta::prelude::*;
use tta::stream::StreamExt;
use tta_test_support::metrics;
use tta_test_support::scripted_stream::{Event, Script, Scripted};

const KIND: &str = "stream_property";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One upstream call: a first wait, some chunks, then an ending.
fn script() -> impl Strategy<Value = Script> {
    let ending = prop_oneof![
        Just(None),
        (0u64..120).prop_map(|wait| Some((ms(wait), Event::Fail))),
        (0u64..120).prop_map(|wait| Some((ms(wait), Event::Stall))),
    ];
    (0u64..400, prop::collection::vec(0u64..120, 0..6), ending).prop_map(|(first, gaps, ending)| {
        let mut events: Vec<(Duration, Event)> = gaps
            .iter()
            .enumerate()
            .map(|(i, gap)| (if i == 0 { ms(first) } else { ms(*gap) }, Event::Chunk))
            .collect();
        if let Some((wait, event)) = ending {
            let wait = if events.is_empty() { ms(first) } else { wait };
            events.push((wait, event));
        }
        Script { events }
    })
}

fn case(
    primary: Vec<Script>,
    backup: Vec<Script>,
    drop_after: Option<usize>,
) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let stall = Script::chunks(ms(1), ms(1), 0).then(ms(0), Event::Stall);
    let primary_provider = Scripted::new(
        "stream_property_primary",
        Kind::new(KIND),
        primary.clone(),
        stall.clone(),
    );
    let backup_provider = Scripted::new(
        "stream_property_backup",
        Kind::new(KIND),
        backup.clone(),
        stall,
    );
    let (primary_guard, backup_guard) = (
        primary_provider.guard.clone(),
        backup_provider.guard.clone(),
    );
    let limits = StreamTimeouts::builder()
        .first_chunk(ms(250))
        .idle(ms(90))
        .total(ms(1_500))
        .build()
        .unwrap();
    let policy = RetryPolicy::builder()
        .max_attempts(3)
        .backoff(Backoff::constant(ms(5)))
        .jitter(Jitter::None)
        .build()
        .unwrap();
    let hedge = HedgeConfig::builder().delay(ms(120)).build().unwrap();
    let workflow = primary_provider
        .stream_timeouts(limits)
        .retry(policy)
        .hedge(hedge)
        .fallback(backup_provider.stream_timeouts(limits));

    let seen = runtime.block_on(async {
        let mut seen = Vec::new();
        let Ok(mut stream) = workflow.run(()).await else {
            return seen;
        };
        while drop_after.is_none_or(|limit| seen.len() < limit) {
            match stream.next().await {
                Some(Ok(chunk)) => {
                    primary_guard.emitted.store(true, Ordering::SeqCst);
                    backup_guard.emitted.store(true, Ordering::SeqCst);
                    seen.push(chunk);
                }
                Some(Err(_)) | None => break,
            }
        }
        seen
    });
    drop(workflow);
    drop(runtime);

    // A prefix of exactly one upstream: one call's chunks, from its first, in order.
    if let Some(first) = seen.first() {
        let call = first.split(':').next().unwrap().to_owned();
        for (index, chunk) in seen.iter().enumerate() {
            prop_assert_eq!(chunk, &format!("{call}:{index}"), "{:?}", seen);
        }
    }
    prop_assert_eq!(primary_guard.late_calls.load(Ordering::SeqCst), 0);
    prop_assert_eq!(backup_guard.late_calls.load(Ordering::SeqCst), 0);
    let active = metrics::gauge(catalog::ACTIVE_EXECUTIONS, &[("primitive_type", KIND)]);
    prop_assert_eq!(active.unwrap_or(0.0), 0.0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn callers_see_a_prefix_of_exactly_one_upstream_and_nothing_outlives_them(
        primary in prop::collection::vec(script(), 1..5),
        backup in prop::collection::vec(script(), 1..3),
        drop_after in prop::option::of(0usize..6),
    ) {
        metrics::install();
        case(primary, backup, drop_after)?;
    }
}
