//! Chat Completions: `POST /chat/completions` with `stream: true`. The thread's input entries
//! become messages (instructions as the system message, each run of tool calls as one
//! assistant message with `tool_calls` followed by a `role: "tool"` message per result), the
//! tools are wrapped as `{type: "function", function: {...}}`, and the streamed chunks'
//! text and tool-call deltas are assembled by index until the finish.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{malformed, FunctionCall, ModelEvent, ModelRequest, StreamDecoder};
use crate::agent::client::{classify_error_message, ModelFailure};

pub fn body(request: &ModelRequest<'_>) -> Value {
    let tools: Vec<Value> = request
        .tools
        .iter()
        .map(|tool| {
            let mut function = tool.clone();
            if let Some(fields) = function.as_object_mut() {
                fields.remove("type");
            }
            json!({"type": "function", "function": function})
        })
        .collect();
    json!({
        "model": request.model,
        "messages": messages(request.instructions, request.input),
        "tools": tools,
        "stream": true,
    })
}

/// The instructions and the thread as Chat Completions messages.
pub fn messages(instructions: &str, input: &[Value]) -> Vec<Value> {
    let mut out = vec![json!({"role": "system", "content": instructions})];
    let mut calls: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for entry in input {
        match entry["type"].as_str() {
            Some("function_call") => calls.push(json!({
                "id": entry["call_id"],
                "type": "function",
                "function": {"name": entry["name"], "arguments": entry["arguments"]},
            })),
            Some("function_call_output") => results.push(json!({
                "role": "tool",
                "tool_call_id": entry["call_id"],
                "content": entry["output"],
            })),
            _ => {
                flush_tool_run(&mut out, &mut calls, &mut results);
                if let Some(message) = message(entry) {
                    out.push(message);
                }
            }
        }
    }
    flush_tool_run(&mut out, &mut calls, &mut results);
    out
}

/// A run of tool calls and their results: one assistant message carrying every call (the
/// text the model said just before, if any), then each result, as every server expects.
fn flush_tool_run(out: &mut Vec<Value>, calls: &mut Vec<Value>, results: &mut Vec<Value>) {
    if !calls.is_empty() {
        let calls = Value::Array(std::mem::take(calls));
        match out.last_mut() {
            Some(last) if last["role"] == "assistant" && last.get("tool_calls").is_none() => {
                last["tool_calls"] = calls;
            }
            _ => out.push(json!({"role": "assistant", "content": "", "tool_calls": calls})),
        }
    }
    out.append(results);
}

fn message(entry: &Value) -> Option<Value> {
    let role = match entry["role"].as_str()? {
        // Few servers besides OpenAI know the developer role.
        "developer" | "system" => "system",
        "assistant" => "assistant",
        _ => "user",
    };
    let content = match &entry["content"] {
        Value::String(text) => Value::String(text.clone()),
        // Plain text stays a string (servers that speak only text accept it); attachments
        // become Chat Completions' own image and file parts.
        Value::Array(parts) if role == "user" && parts.iter().any(is_attachment_part) => {
            Value::Array(parts.iter().filter_map(chat_part).collect())
        }
        Value::Array(parts) => Value::String(
            parts
                .iter()
                .filter_map(|part| part["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => return None,
    };
    Some(json!({"role": role, "content": content}))
}

fn is_attachment_part(part: &Value) -> bool {
    matches!(part["type"].as_str(), Some("input_image" | "input_file"))
}

/// A Responses input part as the Chat Completions content part with the same meaning.
fn chat_part(part: &Value) -> Option<Value> {
    match part["type"].as_str()? {
        "input_image" => Some(json!({
            "type": "image_url",
            "image_url": {"url": part["image_url"], "detail": part.get("detail").cloned().unwrap_or_else(|| json!("auto"))},
        })),
        "input_file" => Some(json!({
            "type": "file",
            "file": {"filename": part["filename"], "file_data": part["file_data"]},
        })),
        _ => part["text"]
            .as_str()
            .map(|text| json!({"type": "text", "text": text})),
    }
}

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Default)]
pub struct Decoder {
    calls: BTreeMap<usize, PartialCall>,
    finish_reason: Option<String>,
    done: bool,
}

impl Decoder {
    fn tool_call_delta(&mut self, position: usize, delta: &Value) {
        let id = delta["id"].as_str().filter(|id| !id.is_empty());
        // Servers that leave out `index` send each call whole: a new id is a new call.
        let index = match delta["index"].as_u64() {
            Some(index) => index as usize,
            None => match (id, self.calls.last_key_value()) {
                (Some(id), Some((last, call))) if call.id != id => last + 1,
                (_, Some((last, _))) => *last,
                (_, None) => position,
            },
        };
        let call = self.calls.entry(index).or_default();
        if let Some(id) = id {
            call.id = id.to_string();
        }
        if let Some(name) = delta["function"]["name"].as_str() {
            if call.name.is_empty() {
                call.name = name.to_string();
            }
        }
        if let Some(arguments) = delta["function"]["arguments"].as_str() {
            call.arguments.push_str(arguments);
        }
    }

    fn finish(&mut self) -> Vec<ModelEvent> {
        self.done = true;
        match self.finish_reason.as_deref() {
            Some("length") => {
                return vec![ModelEvent::Failed(ModelFailure::ModelError(
                    "the answer reached the server's length limit".into(),
                ))]
            }
            Some("content_filter") => {
                return vec![ModelEvent::Failed(ModelFailure::ModelError(
                    "the server's content filter stopped the answer".into(),
                ))]
            }
            _ => {}
        }
        let mut events = vec![ModelEvent::TextDone];
        for (_, call) in std::mem::take(&mut self.calls) {
            events.push(ModelEvent::ToolCall(FunctionCall {
                call_id: if call.id.is_empty() {
                    format!("call_{}", uuid::Uuid::new_v4().simple())
                } else {
                    call.id
                },
                name: call.name,
                arguments: if call.arguments.trim().is_empty() {
                    "{}".into()
                } else {
                    call.arguments
                },
            }));
        }
        events.push(ModelEvent::Completed);
        events
    }
}

impl StreamDecoder for Decoder {
    fn data(&mut self, data: &str) -> Vec<ModelEvent> {
        if self.done {
            return vec![];
        }
        if data.trim() == "[DONE]" {
            return self.finish();
        }
        let chunk: Value = match serde_json::from_str(data) {
            Ok(chunk) => chunk,
            Err(e) => return vec![malformed(e)],
        };
        // Several servers report a failure mid-stream as an error object instead of a chunk.
        if let Some(error) = chunk.get("error").filter(|e| !e.is_null()) {
            self.done = true;
            let message = error["message"]
                .as_str()
                .or(error.as_str())
                .unwrap_or("the model sent an error");
            return vec![ModelEvent::Failed(classify_error_message(message))];
        }
        let mut events = Vec::new();
        // One answer asked for (n = 1): choice 0 is all there is.
        let choices = chunk["choices"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for choice in choices
            .iter()
            .filter(|c| c["index"].as_u64().unwrap_or(0) == 0)
        {
            let delta = &choice["delta"];
            if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
                events.push(ModelEvent::TextDelta(text.to_string()));
            }
            if let Some(calls) = delta["tool_calls"].as_array() {
                for (position, call) in calls.iter().enumerate() {
                    self.tool_call_delta(position, call);
                }
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                self.finish_reason = Some(reason.to_string());
            }
        }
        events
    }

    fn end(&mut self) -> Vec<ModelEvent> {
        // Without [DONE], a finish reason still says the answer was whole.
        if self.done || self.finish_reason.is_none() {
            return vec![];
        }
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(delta: Value, finish: Option<&str>) -> String {
        json!({
            "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}],
        })
        .to_string()
    }

    fn run(payloads: &[String]) -> Vec<ModelEvent> {
        let mut decoder = Decoder::default();
        let mut events: Vec<ModelEvent> = payloads.iter().flat_map(|p| decoder.data(p)).collect();
        events.extend(decoder.end());
        events
    }

    fn call(id: &str, name: &str, arguments: &str) -> ModelEvent {
        ModelEvent::ToolCall(FunctionCall {
            call_id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        })
    }

    #[test]
    fn text_then_parallel_tool_calls_assemble_by_index() {
        let events = run(&[
            chunk(json!({"role": "assistant", "content": ""}), None),
            chunk(json!({"content": "Let me"}), None),
            chunk(json!({"content": " check."}), None),
            chunk(json!({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "add_task", "arguments": ""}}]}), None),
            chunk(json!({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "list_tasks", "arguments": "{\"sta"}}]}), None),
            chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"title\": \"Milk\","}}]}), None),
            chunk(json!({"tool_calls": [{"index": 1, "function": {"arguments": "tus\": \"all\"}"}}]}), None),
            chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": " \"description\": null}"}}]}), None),
            chunk(json!({}), Some("tool_calls")),
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}).to_string(),
            "[DONE]".into(),
        ]);
        assert_eq!(
            events,
            vec![
                ModelEvent::TextDelta("Let me".into()),
                ModelEvent::TextDelta(" check.".into()),
                ModelEvent::TextDone,
                call(
                    "call_a",
                    "add_task",
                    r#"{"title": "Milk", "description": null}"#
                ),
                call("call_b", "list_tasks", r#"{"status": "all"}"#),
                ModelEvent::Completed,
            ]
        );
    }

    #[test]
    fn whole_calls_without_index_or_id_and_a_stream_without_done() {
        // Ollama-style: each call whole in one chunk; here without index, and one without id.
        let events = run(&[
            chunk(
                json!({"tool_calls": [{"id": "call_1", "function": {"name": "complete_task", "arguments": "{\"task_id\":\"t1\"}"}}]}),
                None,
            ),
            chunk(
                json!({"tool_calls": [{"id": "call_2", "function": {"name": "delete_task", "arguments": "{\"task_id\":\"t2\"}"}}]}),
                None,
            ),
            chunk(
                json!({"tool_calls": [{"index": 2, "function": {"name": "list_tasks", "arguments": ""}}]}),
                Some("tool_calls"),
            ),
        ]);
        assert_eq!(events.len(), 5, "{events:?}");
        assert_eq!(
            events[1],
            call("call_1", "complete_task", r#"{"task_id":"t1"}"#)
        );
        assert_eq!(
            events[2],
            call("call_2", "delete_task", r#"{"task_id":"t2"}"#)
        );
        let ModelEvent::ToolCall(third) = &events[3] else {
            panic!("{events:?}")
        };
        assert!(
            third.call_id.starts_with("call_") && third.call_id.len() > 10,
            "{third:?}"
        );
        assert_eq!(
            (third.name.as_str(), third.arguments.as_str()),
            ("list_tasks", "{}")
        );
        assert_eq!(events[4], ModelEvent::Completed);
    }

    #[test]
    fn a_stream_cut_before_its_finish_completes_nothing() {
        let events = run(&[chunk(json!({"content": "Half"}), None)]);
        assert_eq!(events, vec![ModelEvent::TextDelta("Half".into())]);
    }

    #[test]
    fn length_limits_errors_and_garbage_fail_the_call() {
        let events = run(&[
            chunk(json!({"content": "Cut"}), Some("length")),
            "[DONE]".into(),
        ]);
        assert!(
            matches!(events.last(), Some(ModelEvent::Failed(ModelFailure::ModelError(m))) if m.contains("length")),
            "{events:?}"
        );
        let events = run(&[json!({"error": {"message": "registry.ollama.ai/library/gemma:2b does not support tools"}}).to_string()]);
        assert!(
            matches!(
                events.as_slice(),
                [ModelEvent::Failed(ModelFailure::NoTools(_))]
            ),
            "{events:?}"
        );
        let events = run(&["{not json".into()]);
        assert!(
            matches!(
                events.as_slice(),
                [ModelEvent::Failed(ModelFailure::StreamBroken(_))]
            ),
            "{events:?}"
        );
    }

    #[test]
    fn the_thread_becomes_messages_with_tool_runs_grouped() {
        let input = vec![
            json!({"role": "user", "content": [{"type": "input_text", "text": "Add milk and list"}]}),
            json!({"role": "assistant", "content": "On it."}),
            json!({"type": "function_call", "call_id": "c1", "name": "add_task", "arguments": "{}"}),
            json!({"type": "function_call_output", "call_id": "c1", "output": "{\"ok\":1}"}),
            json!({"type": "function_call", "call_id": "c2", "name": "list_tasks", "arguments": "{}"}),
            json!({"type": "function_call_output", "call_id": "c2", "output": "{\"tasks\":[]}"}),
            json!({"role": "developer", "content": "The user cancelled."}),
            json!({"type": "function_call", "call_id": "c3", "name": "list_tasks", "arguments": "{}"}),
            json!({"type": "function_call_output", "call_id": "c3", "output": "{}"}),
        ];
        let messages = messages("Be brief.", &input);
        let roles: Vec<&str> = messages
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(
            roles,
            [
                "system",
                "user",
                "assistant",
                "tool",
                "tool",
                "system",
                "assistant",
                "tool"
            ]
        );
        assert_eq!(messages[1]["content"], "Add milk and list");
        assert_eq!(messages[2]["content"], "On it.");
        let ids: Vec<&str> = messages[2]["tool_calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["c1", "c2"]);
        assert_eq!(
            messages[3],
            json!({"role": "tool", "tool_call_id": "c1", "content": "{\"ok\":1}"})
        );
        assert_eq!(
            messages[6]["tool_calls"][0]["function"]["name"],
            "list_tasks"
        );
        assert_eq!(messages[6]["content"], "");
    }

    #[test]
    fn attachments_become_chat_completions_image_and_file_parts() {
        let user = json!({"role": "user", "content": [
            {"type": "input_text", "text": "Add the tasks from this screenshot"},
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
            {"type": "input_file", "filename": "plan.pdf", "file_data": "data:application/pdf;base64,BBBB"},
        ]});
        let converted = message(&user).unwrap();
        assert_eq!(
            converted["content"],
            json!([
                {"type": "text", "text": "Add the tasks from this screenshot"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "auto"}},
                {"type": "file", "file": {"filename": "plan.pdf", "file_data": "data:application/pdf;base64,BBBB"}},
            ])
        );
        // Text alone stays a plain string.
        let plain = json!({"role": "user", "content": [{"type": "input_text", "text": "hi"}]});
        assert_eq!(message(&plain).unwrap()["content"], "hi");
    }
}
