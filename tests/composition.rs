//! Composition semantics: sequential, parallel, conditional, router, adapters.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns panic on purpose

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tta::prelude::*;
use tta::{ConfigError, Settled};
use tta_test_support::primitives::{Observed, add, fail};

#[tokio::test]
async fn sequential_feeds_each_output_into_the_next_step() {
    let workflow = add("seq_a", 1)
        >> from_fn("seq_double", |x: i64, _ctx| async move { Ok(x * 2) })
        >> add("seq_c", 3);
    assert_eq!(workflow.name(), "seq_a >> seq_double >> seq_c");
    assert_eq!(workflow.run(4).await.unwrap(), 13);
}

#[tokio::test]
async fn sequential_stops_at_the_first_failing_step() {
    let ran_after = Arc::new(AtomicUsize::new(0));
    let counter = ran_after.clone();
    let after = from_fn("seq_after", move |x: i64, _ctx| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(x)
        }
    });
    let workflow = add("seq_first", 1) >> fail("seq_broken", "bad step") >> after;
    let err = workflow.run(0).await.unwrap_err();
    assert_eq!(err.to_string(), "bad step");
    assert_eq!(ran_after.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn parentheses_nest_and_names_say_so() {
    let workflow = add("n_a", 1) >> (add("n_b", 1) >> add("n_c", 1));
    assert_eq!(workflow.name(), "n_a >> (n_b >> n_c)");
    assert_eq!(workflow.run(0).await.unwrap(), 3);
}

#[tokio::test]
async fn parallel_flattens_into_one_tuple() {
    let pair = add("p_a", 1) | add("p_b", 2);
    assert_eq!(pair.run(10).await.unwrap(), (11, 12));

    let triple = add("p_a", 1) | add("p_b", 2) | add("p_c", 3);
    assert_eq!(triple.name(), "p_a | p_b | p_c");
    assert_eq!(triple.run(10).await.unwrap(), (11, 12, 13));

    let nested = add("p_a", 1) | (add("p_b", 2) | add("p_c", 3));
    assert_eq!(nested.run(10).await.unwrap(), (11, (12, 13)));
}

#[tokio::test]
async fn parallel_of_eight_and_twelve_branches_stays_flat() {
    let eight = add("w0", 0)
        | add("w1", 1)
        | add("w2", 2)
        | add("w3", 3)
        | add("w4", 4)
        | add("w5", 5)
        | add("w6", 6)
        | add("w7", 7);
    assert_eq!(eight.run(0).await.unwrap(), (0, 1, 2, 3, 4, 5, 6, 7));
    let twelve = add("w0", 0)
        | add("w1", 1)
        | add("w2", 2)
        | add("w3", 3)
        | add("w4", 4)
        | add("w5", 5)
        | add("w6", 6)
        | add("w7", 7)
        | add("w8", 8)
        | add("w9", 9)
        | add("w10", 10)
        | add("w11", 11);
    let out = twelve.run(0).await.unwrap();
    assert_eq!((out.0, out.11), (0, 11));
}

#[tokio::test(start_paused = true)]
async fn parallel_runs_branches_concurrently() {
    let slow = Observed::new("conc_slow_a", Duration::from_secs(5));
    let other = Observed::new("conc_slow_b", Duration::from_secs(5));
    let started = tokio::time::Instant::now();
    (slow | other).run(1).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn parallel_cancels_siblings_on_the_first_error() {
    let slow = Observed::new("cancel_slow", Duration::from_secs(60));
    let (finished, dropped) = (slow.finished.clone(), slow.dropped_early.clone());
    let started = tokio::time::Instant::now();
    let err = (slow | fail("cancel_fails", "boom"))
        .run(1)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "boom");
    assert!(
        dropped.load(Ordering::SeqCst),
        "the slow sibling was dropped"
    );
    assert!(
        !finished.load(Ordering::SeqCst),
        "the slow sibling never finished"
    );
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "no waiting for the sibling"
    );
}

#[tokio::test(start_paused = true)]
async fn settled_waits_for_every_branch_and_keeps_every_result() {
    let slow = Observed::new("settled_slow", Duration::from_secs(3));
    let finished = slow.finished.clone();
    let settled: Settled<_> = (slow | fail("settled_fails", "boom")).into_settled();
    let (first, second) = settled.run(7).await.unwrap();
    assert_eq!(first.unwrap(), 7);
    assert_eq!(second.unwrap_err().to_string(), "boom");
    assert!(finished.load(Ordering::SeqCst));
}

#[tokio::test]
async fn parallel_all_returns_outputs_in_declaration_order() {
    let branches: Vec<BoxPrimitive<i64, i64>> = (0..20)
        .map(|i| {
            from_fn("all_branch", move |x: i64, _ctx| async move {
                // Later branches finish first.
                tokio::time::sleep(Duration::from_millis(20 - i as u64)).await;
                Ok(x + i)
            })
            .boxed()
        })
        .collect();
    let out = Parallel::all(branches).run(100).await.unwrap();
    assert_eq!(out, (100..120).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn parallel_all_cancels_and_settled_collects() {
    let slow = Observed::new("all_slow", Duration::from_secs(30));
    let dropped = slow.dropped_early.clone();
    let branches = vec![slow.boxed(), fail("all_fails", "nope").boxed()];
    let err = Parallel::all(branches).run(1).await.unwrap_err();
    assert_eq!(err.to_string(), "nope");
    assert!(dropped.load(Ordering::SeqCst));

    let branches = vec![
        add("settled_ok", 1).boxed(),
        fail("settled_no", "no").boxed(),
    ];
    let results = Parallel::settled(branches).run(1).await.unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(*results[0].as_ref().unwrap(), 2);
    assert!(results[1].is_err());

    assert!(
        Parallel::<Vec<BoxPrimitive<i64, i64>>>::all(Vec::new())
            .run(1)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn conditional_runs_then_or_else_or_passes_through() {
    let double = from_fn("cond_double", |x: i64, _ctx| async move { Ok(x * 2) });
    let when_even = Conditional::new(
        "cond_even",
        |x: &i64, _: &WorkflowContext| x % 2 == 0,
        double,
    );
    assert_eq!(when_even.run(4).await.unwrap(), 8);
    assert_eq!(
        when_even.run(3).await.unwrap(),
        3,
        "passthrough without else"
    );

    let label = Conditional::new(
        "cond_label",
        |x: &i64, _: &WorkflowContext| *x > 0,
        from_fn("cond_pos", |_: i64, _ctx| async move { Ok("positive") }),
    )
    .otherwise(from_fn("cond_neg", |_: i64, _ctx| async move {
        Ok("not positive")
    }));
    assert_eq!(label.run(5).await.unwrap(), "positive");
    assert_eq!(label.run(-5).await.unwrap(), "not positive");
}

fn model_router() -> impl Primitive<Input = String, Output = String> {
    Router::builder("rt_models", |prompt: &String, _: &WorkflowContext| {
        prompt.split(':').next().unwrap_or_default().to_owned()
    })
    .route(
        "fast",
        from_fn("rt_fast", |p: String, _ctx| async move {
            Ok(format!("fast<{p}>"))
        }),
    )
    .route(
        "smart",
        from_fn("rt_smart", |p: String, _ctx| async move {
            Ok(format!("smart<{p}>"))
        }),
    )
    .build()
    .unwrap()
}

#[tokio::test]
async fn router_takes_the_matching_route_or_fails_naming_the_key() {
    let router = model_router();
    assert_eq!(router.run("fast:hi".into()).await.unwrap(), "fast<fast:hi>");
    assert_eq!(
        router.run("smart:hi".into()).await.unwrap(),
        "smart<smart:hi>"
    );
    let err = router.run("unknown:hi".into()).await.unwrap_err();
    assert!(
        matches!(&err, Error::NoRoute { key } if key == "unknown"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "no route for key `unknown`");
}

#[tokio::test]
async fn router_falls_back_to_its_default_route() {
    let router = Router::builder(
        "rt_default",
        |x: &i64, _: &WorkflowContext| if *x > 0 { "pos" } else { "other" },
    )
    .route("pos", add("rt_pos", 100))
    .default_route(add("rt_fallback", -100))
    .build()
    .unwrap();
    assert_eq!(router.run(1).await.unwrap(), 101);
    assert_eq!(router.run(-1).await.unwrap(), -101);
    assert_eq!(router.keys().collect::<Vec<_>>(), ["pos"]);
}

#[test]
fn router_configuration_errors_name_the_problem() {
    let key = |_: &i64, _: &WorkflowContext| "a";
    let empty = Router::<i64, i64, _, _>::builder("rt_empty", key).build();
    assert_eq!(
        empty.err().map(|e: ConfigError| e.field().to_owned()),
        Some("routes".to_owned())
    );

    let duplicate = Router::builder("rt_dup", key)
        .route("a", add("x", 1))
        .route("a", add("y", 1))
        .build();
    let message = duplicate.err().unwrap().to_string();
    assert!(message.contains("`a` is routed twice"), "{message}");

    let reserved = Router::builder("rt_reserved", key)
        .route("default", add("x", 1))
        .build();
    assert!(reserved.err().unwrap().to_string().contains("reserved"));
}

#[tokio::test]
async fn a_panicking_step_becomes_an_error_not_a_crash() {
    let workflow = add("panic_before", 1)
        >> from_fn("panic_step", |_: i64, _ctx| async move {
            if true {
                panic!("model returned garbage");
            }
            Ok(0_i64)
        });
    let err = workflow.run(1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panicked);
    assert_eq!(err.to_string(), "panicked: model returned garbage");
}

#[tokio::test]
async fn named_and_boxed_keep_behaviour_and_change_identity_only_as_asked() {
    let renamed = (add("nm_a", 1) >> add("nm_b", 1)).named("ingest");
    assert_eq!(renamed.name(), "ingest");
    assert_eq!(renamed.meta().kind(), Kind::SEQUENTIAL);
    assert_eq!(renamed.run(0).await.unwrap(), 2);

    let boxed: BoxPrimitive<i64, i64> = add("bx", 5).boxed();
    let copy = boxed.clone();
    assert_eq!(copy.name(), "bx");
    assert_eq!((boxed >> copy).run(0).await.unwrap(), 10);
}

#[tokio::test]
async fn composition_of_composites_nests_with_parentheses_in_names() {
    let workflow = (add("cx_a", 1) >> (add("cx_b", 1) | add("cx_c", 2)))
        >> from_fn("cx_d", |(b, c): (i64, i64), _ctx| async move { Ok(b * c) });
    assert_eq!(workflow.name(), "cx_a >> (cx_b | cx_c) >> cx_d");
    assert_eq!(workflow.run(0).await.unwrap(), 6);
}
