//! `#[primitive]` code under clippy's pedantic lints, which `cargo clippy
//! --all-targets -- -D warnings` checks in CI: the generated code trips
//! none of them, and a step that never awaits is not blamed for being
//! `async`, which the contract requires.
#![deny(clippy::all, clippy::pedantic, warnings)]

use tta::prelude::*;

/// Never awaits.
#[primitive]
async fn upper(text: String, _ctx: &WorkflowContext) -> Result<String> {
    Ok(text.to_uppercase())
}

struct Trim;

#[primitive(fields(chars = input.len()))]
impl Trim {
    async fn execute(&self, input: String, _ctx: &WorkflowContext) -> Result<String> {
        Ok(input.trim().to_owned())
    }
}

#[tokio::test]
async fn pedantic_code_runs() {
    let workflow = Trim >> Upper;
    assert_eq!(workflow.run(" a ".to_owned()).await.unwrap(), "A");
}
