//! Every error type a primitive may return, converted with its message and
//! kind, and run.

use std::error::Error as StdError;

use tta::prelude::*;

#[primitive]
async fn with_string(fail: bool, _ctx: &WorkflowContext) -> Result<u32, String> {
    if fail { Err(format!("bad {}", 1)) } else { Ok(1) }
}

#[primitive]
async fn with_str(_fail: bool, _ctx: &WorkflowContext) -> Result<u32, &'static str> {
    Err("static text")
}

#[primitive]
async fn with_box(_fail: bool, _ctx: &WorkflowContext) -> Result<u32, Box<dyn StdError + Send + Sync>> {
    Err(Box::new(std::io::Error::other("boxed io")))
}

#[primitive]
async fn with_anyhow(_fail: bool, _ctx: &WorkflowContext) -> anyhow::Result<u32> {
    let parsed: u32 = "x".parse()?;
    Ok(parsed)
}

#[primitive]
async fn passes_tta_error_up(_fail: bool, _ctx: &WorkflowContext) -> Result<u32, Box<dyn StdError + Send + Sync>> {
    Err(Box::new(tta::Error::NoRoute { key: "k".into() }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(WithString.run(false).await.unwrap(), 1);
    let err = WithString.run(true).await.unwrap_err();
    assert_eq!((err.kind(), err.to_string()), (ErrorKind::User, "bad 1".to_owned()));
    assert!(!err.is_transient());

    assert_eq!(WithStr.run(true).await.unwrap_err().to_string(), "static text");

    let err = WithBox.run(true).await.unwrap_err();
    assert_eq!(err.downcast_ref::<std::io::Error>().map(ToString::to_string).as_deref(), Some("boxed io"));

    let err = WithAnyhow.run(true).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::User);
    assert_eq!(err.to_string(), "invalid digit found in string");

    let err = PassesTtaErrorUp.run(true).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoRoute);
}
