use tta::prelude::*;

#[primitive]
fn validate(input: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
    Ok(input)
}

fn main() {}
