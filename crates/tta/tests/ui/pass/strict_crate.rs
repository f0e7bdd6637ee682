//! A crate with strict lints: `#[primitive]` code trips none of them on the
//! user's behalf, deprecated primitives and steps that never await included.
#![deny(warnings, missing_docs, unreachable_pub, unused_qualifications)]
#![forbid(unsafe_code)]
#![deny(clippy::all, clippy::pedantic)]

use tta::prelude::*;

/// A step that is on its way out.
#[deprecated = "use `Shout` instead"]
#[primitive]
pub async fn old_shout(text: String, _ctx: &WorkflowContext) -> Result<String> {
    Ok(text.to_uppercase())
}

/// A documented step that never awaits.
#[primitive]
pub async fn shout(text: String, _ctx: &WorkflowContext) -> Result<String> {
    Ok(text.to_uppercase())
}

/// A documented type.
#[derive(Debug, Clone, Copy)]
#[deprecated = "use `Shout` instead"]
pub struct Whisper;

#[allow(deprecated)]
#[primitive]
impl Whisper {
    async fn execute(&self, text: String, _ctx: &WorkflowContext) -> Result<String> {
        Ok(text.to_lowercase())
    }
}

#[allow(deprecated)]
fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let workflow = OldShout >> Shout >> Whisper;
    assert_eq!(runtime.block_on(workflow.run("Hi".to_owned())).unwrap(), "hi");
}
