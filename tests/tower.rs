//! The tower adapters: a primitive serves as a `tower::Service`, a service
//! runs as a primitive with its own span and metrics, and a `WorkflowLayer`
//! runs requests through a workflow around the inner service.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tower::{Layer, Service, ServiceExt};
use tta::catalog::PRIMITIVE_EXECUTIONS_TOTAL;
use tta::prelude::*;
use tta::tower::{PrimitiveService, ServicePrimitive, WorkflowLayer};
use tta_test_support::metrics::{counter, install};
use tta_test_support::spans::capture;

/// A tower service that doubles after `delay`, failing on odd input when
/// asked to, and counting its calls.
#[derive(Clone)]
struct Doubler {
    delay: Duration,
    fail_odd: bool,
    calls: Arc<AtomicUsize>,
}

impl Service<u32> for Doubler {
    type Response = u32;
    type Error = std::io::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<u32, std::io::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, n: u32) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let (delay, fail) = (self.delay, self.fail_odd && n % 2 == 1);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            if fail {
                Err(std::io::Error::other(format!("{n} is odd")))
            } else {
                Ok(n * 2)
            }
        })
    }
}

fn doubler(delay: Duration, fail_odd: bool) -> Doubler {
    Doubler {
        delay,
        fail_odd,
        calls: Arc::new(AtomicUsize::new(0)),
    }
}

#[tokio::test(start_paused = true)]
async fn a_workflow_serves_requests_as_a_tower_service() {
    install();
    let workflow = from_fn("tw_add_one", |n: u32, _ctx| async move { Ok(n + 1) })
        >> from_fn("tw_square", |n: u32, _ctx| async move { Ok(n * n) });
    let mut service = PrimitiveService::new(workflow.named("tw_served"));
    assert_eq!(service.ready().await.unwrap().call(2).await.unwrap(), 9);
    assert_eq!(service.clone().oneshot(3).await.unwrap(), 16);
    assert_eq!(
        counter(
            PRIMITIVE_EXECUTIONS_TOTAL,
            &[("primitive_name", "tw_served"), ("status", "success")]
        ),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn each_request_can_run_in_a_context_made_from_it() {
    let seen = Arc::new(AtomicUsize::new(0));
    let recorder = Arc::clone(&seen);
    let step = from_fn("tw_deadline", move |_: u32, ctx: WorkflowContext| {
        recorder.store(usize::from(ctx.remaining().is_some()), Ordering::SeqCst);
        async move { Ok(()) }
    });
    let service = PrimitiveService::new(step).with_context(|_: &u32| {
        WorkflowContext::builder()
            .timeout(Duration::from_secs(1))
            .build()
    });
    service.oneshot(1).await.unwrap();
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "the run had the request's deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn a_tower_service_runs_as_a_primitive_with_its_own_span() {
    install();
    let (_guard, captured) = capture();
    let inner = doubler(Duration::from_millis(5), true);
    let calls = Arc::clone(&inner.calls);
    let remote = ServicePrimitive::new("tw_remote", inner);
    let workflow = remote
        >> from_fn(
            "tw_format",
            |n: u32, _ctx| async move { Ok(format!("={n}")) },
        );

    assert_eq!(workflow.run(4).await.unwrap(), "=8");
    let error = workflow.run(3).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::User);
    assert_eq!(
        error
            .downcast_ref::<std::io::Error>()
            .map(ToString::to_string)
            .as_deref(),
        Some("3 is odd")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(
        captured.tree().contains("  tw_remote\n"),
        "{}",
        captured.tree()
    );
    assert_eq!(
        counter(
            PRIMITIVE_EXECUTIONS_TOTAL,
            &[("primitive_name", "tw_remote"), ("status", "error")]
        ),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_workflow_layer_times_out_and_retries_the_inner_service_by_its_policy() {
    let slow = doubler(Duration::from_secs(5), false);
    let layer = WorkflowLayer::new("tw_slow_api", |inner| inner.timeout(Duration::from_secs(1)));
    let error = layer.layer(slow.clone()).oneshot(2).await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { after } if after == Duration::from_secs(1)),
        "{error:?}"
    );

    let flaky = doubler(Duration::ZERO, true);
    let calls = Arc::clone(&flaky.calls);
    let policy = RetryPolicy::builder()
        .max_attempts(3)
        .retry_if(|_| true)
        .build()
        .unwrap();
    let layer = WorkflowLayer::new("tw_flaky_api", move |inner| inner.retry(policy.clone()));
    let error = layer.layer(flaky).oneshot(1).await.unwrap_err();
    assert!(
        matches!(error, Error::RetriesExhausted { attempts: 3, .. }),
        "{error:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn readiness_errors_of_the_inner_service_are_the_primitives_errors() {
    #[derive(Clone)]
    struct NeverReady;
    impl Service<()> for NeverReady {
        type Response = ();
        type Error = &'static str;
        type Future = std::future::Ready<Result<(), &'static str>>;
        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Err("overloaded"))
        }
        fn call(&mut self, (): ()) -> Self::Future {
            std::future::ready(Ok(()))
        }
    }
    let error = ServicePrimitive::new("tw_never_ready", NeverReady)
        .run(())
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "overloaded");
}
