use tta::prelude::*;

#[primitive]
async fn shout(text: &str, _ctx: &WorkflowContext) -> tta::Result<String> {
    Ok(text.to_uppercase())
}

#[primitive]
async fn total(items: &[u32], _ctx: &WorkflowContext) -> tta::Result<u32> {
    Ok(items.iter().sum())
}

fn main() {}
