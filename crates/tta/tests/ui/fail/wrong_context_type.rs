use tta::prelude::*;

#[primitive]
async fn step(input: u32, _ctx: &String) -> tta::Result<u32> {
    Ok(input)
}

fn main() {}
