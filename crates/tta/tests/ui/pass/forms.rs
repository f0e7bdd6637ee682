//! Every accepted form of `#[primitive]`.

use std::fmt::Debug;

use tta::prelude::*;

#[derive(Debug, thiserror::Error)]
#[error("bad input")]
struct BadInput;

struct Plain;

#[primitive]
impl Plain {
    async fn execute(&self, input: String, _ctx: &WorkflowContext) -> Result<String, BadInput> {
        Ok(input)
    }

    fn unrelated_helper(&self) -> usize {
        1
    }
}

struct Wrapper<T> {
    value: T,
}

#[primitive(name = "wrapper", kind = "transform")]
impl<T> Wrapper<T>
where
    T: Clone + Debug + Send + Sync + 'static,
{
    async fn execute(&self, _input: String, _ctx: &WorkflowContext) -> tta::Result<T> {
        Ok(self.value.clone())
    }
}

struct WithFields {
    model: &'static str,
}

#[primitive(fields(llm.model = self.model, chars = input.len(), shown = %input, dbg = ?input), record_input)]
impl WithFields {
    async fn execute(&self, input: String, ctx: &WorkflowContext) -> tta::Result<String> {
        ctx.checkpoint("called");
        Ok(input)
    }
}

#[primitive(skip_input)]
async fn shout(text: String, _ctx: &WorkflowContext) -> Result<String, std::io::Error> {
    Ok(text.to_uppercase())
}

#[primitive(name = "pattern_input")]
async fn sum_pair((a, b): (u32, u32), _ctx: &WorkflowContext) -> tta::Result<u32> {
    Ok(a + b)
}

mod reexport {
    pub use tta as engine;
}

struct ViaReexport;

#[primitive(crate = reexport::engine)]
impl ViaReexport {
    async fn execute(&self, input: u8, _ctx: &WorkflowContext) -> tta::Result<u8> {
        Ok(input)
    }
}

#[primitive(gen_ai(provider = "openai", model = "gpt-4o-mini"))]
async fn draft(prompt: String, _ctx: &WorkflowContext) -> tta::Result<String> {
    Ok(prompt)
}

struct Embedder;

#[primitive(name = "embed", gen_ai(operation = "embeddings", provider = "ollama", model = "nomic-embed-text"))]
impl Embedder {
    async fn execute(&self, input: String, _ctx: &WorkflowContext) -> tta::Result<usize> {
        Ok(input.len())
    }
}

fn assert_primitive<P: Primitive>(_: &P) {}

fn main() {
    let workflow = Plain >> Shout >> WithFields { model: "m" } >> (Plain | Shout);
    assert_primitive(&workflow);
    assert_primitive(&Wrapper { value: 3_u64 });
    assert_primitive(&SumPair);
    assert_primitive(&ViaReexport);
    let _ = Plain.unrelated_helper();
    assert_eq!(Wrapper { value: 1_u8 }.name(), "wrapper");
    assert_eq!(Wrapper { value: 1_u8 }.meta().kind().label(), "transform");
    assert_eq!(Plain.name(), "Plain");
    assert_eq!(Shout.name(), "shout");
    assert_eq!(SumPair.name(), "pattern_input");
    assert_eq!(Draft.name(), "draft");
    assert_eq!(Draft.meta().span_name(), "chat gpt-4o-mini");
    assert_eq!(Draft.meta().kind(), Kind::LLM);
    assert_eq!(Embedder.meta().span_name(), "embeddings nomic-embed-text");
    assert_eq!(Embedder.name(), "embed");
}
