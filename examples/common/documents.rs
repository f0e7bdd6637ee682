//! The seeds' document workflow as `#[primitive]` types: DataProcessor →
//! Validator → Enricher, then a summary and a classification in parallel.

use std::time::Duration;

use tta::prelude::*;

#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub(crate) text: String,
    pub(crate) words: usize,
    pub(crate) tags: Vec<&'static str>,
}

/// Normalises whitespace and counts words.
pub(crate) struct DataProcessor;

#[primitive(name = "data_processor")]
impl DataProcessor {
    async fn execute(&self, text: String, _ctx: &WorkflowContext) -> tta::Result<Document> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let words = text.split(' ').filter(|w| !w.is_empty()).count();
        Ok(Document {
            text,
            words,
            tags: Vec::new(),
        })
    }
}

/// Rejects documents that are too short.
pub(crate) struct Validator {
    pub(crate) min_words: usize,
}

#[primitive(name = "validator", fields(min_words = self.min_words as u64))]
impl Validator {
    async fn execute(&self, doc: Document, _ctx: &WorkflowContext) -> tta::Result<Document> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if doc.words < self.min_words {
            return Err(Error::msg(format!(
                "{} words; need at least {}",
                doc.words, self.min_words
            )));
        }
        Ok(doc)
    }
}

#[primitive(name = "enricher")]
async fn enrich(mut doc: Document, ctx: &WorkflowContext) -> tta::Result<Document> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    doc.tags.push(if doc.words > 5 { "long" } else { "short" });
    ctx.checkpoint("enriched");
    Ok(doc)
}

#[primitive(name = "summarize", kind = "llm")]
async fn summarize(doc: Document, _ctx: &WorkflowContext) -> tta::Result<String> {
    tokio::time::sleep(Duration::from_millis(80)).await;
    Ok(doc.text.chars().take(24).collect())
}

#[primitive(name = "classify")]
async fn classify(doc: Document, _ctx: &WorkflowContext) -> tta::Result<Vec<&'static str>> {
    tokio::time::sleep(Duration::from_millis(60)).await;
    Ok(doc.tags)
}

/// The whole document pipeline.
pub(crate) fn pipeline(
    min_words: usize,
) -> impl Primitive<Input = String, Output = (String, Vec<&'static str>)> {
    (DataProcessor >> Validator { min_words } >> Enrich >> (Summarize | Classify))
        .named("document_pipeline")
}
