use tta::prelude::*;

#[primitive]
async fn echo<T: Send + 'static>(input: T, _ctx: &WorkflowContext) -> tta::Result<T> {
    Ok(input)
}

struct Step;

#[primitive]
impl Step {
    async fn execute<T>(&self, input: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
        Ok(input)
    }
}

fn main() {}
