use tta::prelude::*;

#[primitive]
async fn step(input: u32, _ctx: &WorkflowContext) -> Option<u32> {
    Some(input)
}

#[primitive]
async fn pair(input: u32, _ctx: &WorkflowContext) -> (u32, u32) {
    (input, input)
}

fn main() {}
