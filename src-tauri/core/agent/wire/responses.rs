//! OpenAI's Responses API: `POST /responses` with typed stream events. The thread's input
//! entries are already in its shape.

use serde_json::{json, Value};

use super::{malformed, FunctionCall, ModelEvent, ModelRequest, StreamDecoder};
use crate::agent::client::ModelFailure;

pub fn body(request: &ModelRequest<'_>) -> Value {
    json!({
        "model": request.model,
        "instructions": request.instructions,
        "input": request.input,
        "tools": request.tools,
        "stream": true,
        "store": false,
        "parallel_tool_calls": true,
    })
}

#[derive(Default)]
pub struct Decoder {
    done: bool,
}

impl StreamDecoder for Decoder {
    fn data(&mut self, data: &str) -> Vec<ModelEvent> {
        if self.done || data.trim() == "[DONE]" {
            return vec![];
        }
        let event: Value = match serde_json::from_str(data) {
            Ok(event) => event,
            Err(e) => return vec![malformed(e)],
        };
        match event["type"].as_str().unwrap_or_default() {
            "response.output_text.delta" => vec![ModelEvent::TextDelta(
                event["delta"].as_str().unwrap_or_default().to_string(),
            )],
            "response.output_item.done" => match event["item"]["type"].as_str() {
                Some("message") => vec![ModelEvent::TextDone],
                Some("function_call") => {
                    let item = &event["item"];
                    let text = |name: &str| item[name].as_str().unwrap_or_default().to_string();
                    vec![ModelEvent::ToolCall(FunctionCall {
                        call_id: text("call_id"),
                        name: text("name"),
                        arguments: text("arguments"),
                    })]
                }
                _ => vec![],
            },
            "response.completed" => {
                self.done = true;
                vec![ModelEvent::TextDone, ModelEvent::Completed]
            }
            "response.failed" | "response.incomplete" => {
                self.done = true;
                let detail = event["response"]["error"]["message"]
                    .as_str()
                    .or(event["response"]["incomplete_details"]["reason"].as_str())
                    .unwrap_or("the response failed")
                    .to_string();
                vec![ModelEvent::Failed(ModelFailure::ModelError(detail))]
            }
            "error" => {
                self.done = true;
                let detail = event["message"]
                    .as_str()
                    .unwrap_or("the model sent an error")
                    .to_string();
                vec![ModelEvent::Failed(ModelFailure::ModelError(detail))]
            }
            _ => vec![],
        }
    }

    fn end(&mut self) -> Vec<ModelEvent> {
        vec![]
    }
}
