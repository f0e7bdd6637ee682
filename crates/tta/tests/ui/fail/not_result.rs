use tta::prelude::*;

struct Step;

#[primitive]
impl Step {
    async fn execute(&self, input: u32, _ctx: &WorkflowContext) -> u32 {
        input
    }
}

fn main() {}
