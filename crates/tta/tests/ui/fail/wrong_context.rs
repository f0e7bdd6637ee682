use tta::prelude::*;

struct Step;

#[primitive]
impl Step {
    async fn execute(&self, input: u32, _ctx: WorkflowContext) -> tta::Result<u32> {
        Ok(input)
    }
}

fn main() {}
