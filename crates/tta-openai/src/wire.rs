//! The OpenAI chat-completions wire format: what is sent and what is read.

use serde::{Deserialize, Serialize};

use crate::types::Message;

#[derive(Serialize)]
pub(crate) struct Request<'a> {
    pub(crate) model: &'a str,
    pub(crate) messages: &'a [Message],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) temperature: Option<f32>,
    pub(crate) stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
pub(crate) struct StreamOptions {
    pub(crate) include_usage: bool,
}

/// One `data:` event of a streamed answer. The last one may carry only
/// `usage`, with no choices.
#[derive(Deserialize)]
pub(crate) struct StreamChunk {
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) choices: Vec<StreamChoice>,
    pub(crate) usage: Option<WireUsage>,
    /// An `error` event in place of a chunk.
    pub(crate) error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
pub(crate) struct StreamChoice {
    #[serde(default)]
    pub(crate) delta: Delta,
    pub(crate) finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Delta {
    pub(crate) content: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Response {
    pub(crate) id: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) choices: Vec<Choice>,
    pub(crate) usage: Option<WireUsage>,
}

#[derive(Deserialize)]
pub(crate) struct Choice {
    pub(crate) message: ChoiceMessage,
    pub(crate) finish_reason: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ChoiceMessage {
    /// `null` when the model only called tools.
    pub(crate) content: Option<String>,
}

/// Counts are unsigned: a negative count fails to parse, with its position.
#[derive(Deserialize)]
pub(crate) struct WireUsage {
    pub(crate) prompt_tokens: u64,
    pub(crate) completion_tokens: u64,
    pub(crate) prompt_tokens_details: Option<PromptDetails>,
    pub(crate) completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize)]
pub(crate) struct PromptDetails {
    pub(crate) cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct CompletionDetails {
    pub(crate) reasoning_tokens: Option<u64>,
}

/// The `{"error": {"message": ...}}` body of a failed request.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: ErrorDetail,
}

#[derive(Deserialize)]
pub(crate) struct ErrorDetail {
    pub(crate) message: String,
}
