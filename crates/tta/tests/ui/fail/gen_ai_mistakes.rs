use tta::prelude::*;

#[primitive(gen_ai(provider = "openai"))]
async fn no_model(text: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    Ok(text)
}

#[primitive(kind = "llm", gen_ai(provider = "openai", model = "gpt-4o"))]
async fn with_kind(text: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    Ok(text)
}

#[primitive(gen_ai(provider = "openai", model = "gpt-4o", temperature = "0.2"))]
async fn unknown(text: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    Ok(text)
}

fn main() {}
