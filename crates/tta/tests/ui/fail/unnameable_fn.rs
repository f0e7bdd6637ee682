use tta::prelude::*;

#[primitive]
async fn __(input: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
    Ok(input)
}

fn main() {}
