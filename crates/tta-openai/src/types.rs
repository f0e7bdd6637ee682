//! What a chat completion takes and returns.

use std::fmt;

use serde::Serialize;
use tta_core::llm::Usage;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The user's words.
    User,
    /// The model's earlier answers.
    Assistant,
}

/// One message of a conversation.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub content: String,
}

/// Prompts may hold personal data: `Debug` shows their size, not their text.
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("role", &self.role)
            .field("content_bytes", &self.content.len())
            .finish()
    }
}

/// The input of a [`ChatCompletion`](crate::ChatCompletion): the messages and
/// per-request settings.
///
/// ```
/// use tta_openai::ChatRequest;
///
/// let request = ChatRequest::user("Summarise this report.")
///     .system("You are terse.")
///     .max_tokens(200);
/// assert_eq!(request.messages.len(), 2);
/// let from_text: ChatRequest = "Hello".into();
/// assert_eq!(from_text.messages[0].content, "Hello");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// The most tokens to generate; the client's default when `None`.
    pub max_tokens: Option<u32>,
    /// Sampling temperature; the provider's default when `None`.
    pub temperature: Option<f32>,
}

impl ChatRequest {
    /// A request with one user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            messages: vec![Message {
                role: Role::User,
                content: content.into(),
            }],
            ..Self::default()
        }
    }

    /// Puts a system message first.
    pub fn system(mut self, content: impl Into<String>) -> Self {
        self.messages.insert(
            0,
            Message {
                role: Role::System,
                content: content.into(),
            },
        );
        self
    }

    /// Caps the tokens generated.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Sets the sampling temperature.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// An upper estimate of the tokens this request can bill, for a
    /// [`TokenLimit`](tta_core::resilience::TokenLimit) to reserve: the
    /// prompt at one token per three bytes (tokenizers average about four)
    /// plus four per message, and `max_tokens`, or `default_max_tokens`
    /// when the request sets none. The limiter bills the real usage after
    /// the call.
    ///
    /// ```
    /// let request = tta_openai::ChatRequest::user("x".repeat(300)).max_tokens(500);
    /// assert_eq!(request.estimated_tokens(4_096), 100 + 4 + 500);
    /// ```
    pub fn estimated_tokens(&self, default_max_tokens: u32) -> u64 {
        self.estimated_prompt_tokens() + u64::from(self.max_tokens.unwrap_or(default_max_tokens))
    }

    /// The prompt alone, estimated as in [`estimated_tokens`](Self::estimated_tokens).
    pub fn estimated_prompt_tokens(&self) -> u64 {
        self.messages
            .iter()
            .map(|message| (message.content.len() as u64).div_ceil(3) + 4)
            .sum()
    }
}

impl From<String> for ChatRequest {
    fn from(content: String) -> Self {
        Self::user(content)
    }
}

impl From<&str> for ChatRequest {
    fn from(content: &str) -> Self {
        Self::user(content)
    }
}

/// The model's answer, and what it used.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatResponse {
    /// The text of the first choice.
    pub content: String,
    /// Why the model stopped: `stop`, `length`, `tool_calls`, ...
    pub finish_reason: Option<String>,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// The provider's id for the completion.
    pub id: Option<String>,
    /// The usage the provider reported, already recorded on the run;
    /// `None` if the provider sent none.
    pub usage: Option<Usage>,
}

/// Answers may hold personal data: `Debug` shows their size, not their text.
impl fmt::Debug for ChatResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatResponse")
            .field("content_bytes", &self.content.len())
            .field("finish_reason", &self.finish_reason)
            .field("model", &self.model)
            .field("id", &self.id)
            .field("usage", &self.usage)
            .finish()
    }
}

/// One chunk of a streamed answer from a [`ChatStream`](crate::ChatStream):
/// the text it adds, and on the last one, why the model stopped.
///
/// Answers may hold personal data: `Debug` shows the chunk's size, not its text.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChatChunk {
    /// The text this chunk adds to the answer.
    pub content: String,
    /// Why the model stopped (`stop`, `length`, ...), on its last chunk.
    pub finish_reason: Option<String>,
}

impl fmt::Debug for ChatChunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatChunk")
            .field("content_bytes", &self.content.len())
            .field("finish_reason", &self.finish_reason)
            .finish()
    }
}
