use tta::prelude::*;

struct Step;

impl Step {
    #[primitive]
    async fn execute(&self, input: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
        Ok(input)
    }
}

fn main() {}
