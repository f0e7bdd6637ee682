use tta::prelude::*;

struct Step;

#[primitive]
impl Step {
    async fn execute(&self, input: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
        Ok(input)
    }
}

#[primitive]
impl Other {
    async fn execute(&self, input: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
        Ok(input)
    }

    async fn execute(&self, input: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
        Ok(input)
    }
}

struct Other;

fn main() {}
