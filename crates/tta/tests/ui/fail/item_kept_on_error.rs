// The item survives a macro error, so code that uses it reports no further
// errors: only the macro's own message appears.
use tta::prelude::*;

struct Step;

#[primitive(bogus)]
impl Step {
    async fn execute(&self, input: u32, _ctx: &WorkflowContext) -> tta::Result<u32> {
        Ok(input)
    }

    fn helper(&self) -> u32 {
        7
    }
}

fn main() {
    let _ = Step.helper();
}
