//! A primitive's own error type reaches the caller as a `tta::Error` that
//! keeps its message, its chain, its type for `downcast_ref` and, when it
//! wraps a `tta::Error`, that error's kind. Built with the `anyhow` feature.

use std::error::Error as StdError;

use anyhow::Context as _;
use tta::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("quota of {0} exceeded")]
struct Quota(u32);

#[primitive]
async fn with_context(limit: u32, _ctx: &WorkflowContext) -> anyhow::Result<u32> {
    Err(Quota(limit)).context("calling the provider")
}

#[primitive]
async fn bare_anyhow(limit: u32, _ctx: &WorkflowContext) -> anyhow::Result<u32> {
    Err(Quota(limit).into())
}

#[primitive]
async fn times_out(_: u32, _ctx: &WorkflowContext) -> anyhow::Result<u32> {
    Err(Error::Timeout {
        after: std::time::Duration::from_secs(2),
    }
    .into())
}

#[tokio::test]
async fn anyhow_errors_keep_their_chain_and_downcast() {
    let err = WithContext.run(7).await.expect_err("fails");
    assert_eq!(err.kind(), ErrorKind::User);
    assert!(!err.is_transient());
    assert_eq!(err.to_string(), "calling the provider");
    assert_eq!(err.downcast_ref::<Quota>().map(|q| q.0), Some(7));

    let mut chain = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(&err);
    while let Some(error) = next {
        chain.push(error.to_string());
        next = error.source();
    }
    assert_eq!(
        chain,
        [
            "calling the provider",
            "calling the provider",
            "quota of 7 exceeded"
        ]
    );

    let err = BareAnyhow.run(3).await.expect_err("fails");
    assert_eq!(err.downcast_ref::<Quota>().map(|q| q.0), Some(3));
}

#[tokio::test]
async fn a_tta_error_passed_up_through_anyhow_keeps_its_kind() {
    let err = TimesOut.run(1).await.expect_err("fails");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_tta_error_converts_into_anyhow_for_an_application_main() {
    let result: anyhow::Result<u32> = async { Ok(TimesOut.run(1).await?) }.await;
    let err = result.expect_err("fails");
    assert!(
        err.downcast_ref::<Error>()
            .is_some_and(|e| e.kind() == ErrorKind::Timeout)
    );
}
