use std::error::Error as StdError;

use tta::prelude::*;

#[derive(Debug)]
struct NotAnError;

#[primitive]
async fn plain_struct(input: u32, _ctx: &WorkflowContext) -> Result<u32, NotAnError> {
    Ok(input)
}

#[primitive]
async fn not_send(input: u32, _ctx: &WorkflowContext) -> Result<u32, Box<dyn StdError>> {
    Ok(input)
}

fn main() {}
