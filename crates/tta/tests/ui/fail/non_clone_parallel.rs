use tta::prelude::*;

struct Request {
    body: Vec<u8>,
}

#[primitive]
async fn parse(request: Request, _ctx: &WorkflowContext) -> tta::Result<usize> {
    Ok(request.body.len())
}

#[primitive]
async fn audit(request: Request, _ctx: &WorkflowContext) -> tta::Result<usize> {
    Ok(request.body.len())
}

fn main() {
    // `>>` alone compiles; `|` needs each branch to get a copy.
    let _sequence = Parse >> from_fn("count", |n: usize, _ctx| async move { Ok(n) });
    let _both = Parse | Audit;
}
