//! The `metrics` facade cannot tell that a recorder is installed, so with
//! no `tracing` subscriber executions record metrics only once the
//! installer says so (`tta::telemetry` does; `tests/unobserved.rs` covers
//! what still holds before).

use tta::catalog::PRIMITIVE_EXECUTIONS_TOTAL;
use tta::prelude::*;
use tta_test_support::metrics::{counter, install_recorder_alone};

#[tokio::test]
async fn metrics_are_recorded_once_the_installer_says_a_recorder_is_there() {
    install_recorder_alone();
    let step = from_fn("unobserved_switch", |x: u32, _ctx| async move { Ok(x) });
    let ctx = WorkflowContext::new();
    let executions = || {
        counter(
            PRIMITIVE_EXECUTIONS_TOTAL,
            &[
                ("primitive_name", "unobserved_switch"),
                ("status", "success"),
            ],
        )
    };

    step.call(1, &ctx).await.expect("answers");
    assert_eq!(executions(), 0, "nobody said a recorder is installed");

    tta::instrument::set_metrics_enabled(true);
    step.call(1, &ctx).await.expect("answers");
    step.call(2, &ctx).await.expect("answers");
    assert_eq!(executions(), 2);
}
