//! The seam between the turn loop and the model server's wire API. The loop hands over the
//! thread as input entries (in the Responses API's shape, which the thread store already
//! speaks) and reads back `ModelEvent`s; each wire API builds its own request body and turns
//! its own stream into those events. Two implementations: OpenAI's Responses API and Chat
//! Completions (which llama.cpp, vLLM, LM Studio, Ollama and most gateways speak).

pub mod chat;
pub mod responses;

use serde_json::Value;

use crate::agent::client::ModelFailure;

/// A tool the model asked to run.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    pub call_id: String,
    pub name: String,
    pub arguments: String,
}

/// What a model's stream means to the turn loop, whatever the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelEvent {
    /// More of the assistant's message.
    TextDelta(String),
    /// The assistant's message (if one is open) is complete.
    TextDone,
    ToolCall(FunctionCall),
    /// The model finished this call; what it asked for has all been reported.
    Completed,
    /// The model gave up mid-stream (what arrived before stays).
    Failed(ModelFailure),
}

/// Which wire API one model call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireApi {
    Responses,
    ChatCompletions,
}

/// What one model call asks for, whatever the wire.
pub struct ModelRequest<'a> {
    pub model: &'a str,
    pub instructions: &'a str,
    /// The thread so far, as Responses API input entries.
    pub input: &'a [Value],
    /// The tools, as Responses API function tools.
    pub tools: &'a [Value],
}

/// Reads one streamed answer's `data:` payloads, in order, into events.
pub trait StreamDecoder: Send {
    /// One payload (`[DONE]` included); the events it completes.
    fn data(&mut self, data: &str) -> Vec<ModelEvent>;
    /// The stream ended; the events that closes (none when it ended too early).
    fn end(&mut self) -> Vec<ModelEvent>;
}

impl WireApi {
    /// The path after the base URL.
    pub fn path(self) -> &'static str {
        match self {
            WireApi::Responses => "responses",
            WireApi::ChatCompletions => "chat/completions",
        }
    }

    pub fn body(self, request: &ModelRequest<'_>) -> Value {
        match self {
            WireApi::Responses => responses::body(request),
            WireApi::ChatCompletions => chat::body(request),
        }
    }

    pub fn decoder(self) -> Box<dyn StreamDecoder> {
        match self {
            WireApi::Responses => Box::<responses::Decoder>::default(),
            WireApi::ChatCompletions => Box::<chat::Decoder>::default(),
        }
    }
}

/// A payload that is not JSON: the stream is broken.
pub(crate) fn malformed(e: serde_json::Error) -> ModelEvent {
    ModelEvent::Failed(ModelFailure::StreamBroken(format!(
        "the model sent malformed data: {e}"
    )))
}
