//! The model's input, built from the thread's stored items: user and assistant messages,
//! and each completed tool run as a function call plus its output. Bounded: the newest
//! items that fit, never splitting a call from its output.

use serde_json::{json, Value};

use crate::chatkit::types::{user_text, ItemKind, ThreadItem, ToolCallStatus};

pub const MAX_INPUT_ITEMS: usize = 60;
pub const MAX_INPUT_CHARS: usize = 48_000;

/// How a server-side tool run is kept in the thread (a hidden item the client never sees).
pub fn tool_run_record(call_id: &str, name: &str, arguments: &str, output: &str) -> Value {
    json!({"kind": "tool_run", "call_id": call_id, "name": name, "arguments": arguments, "output": output})
}

pub fn function_call(call_id: &str, name: &str, arguments: &str) -> Value {
    json!({"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments})
}

pub fn function_call_output(call_id: &str, output: &str) -> Value {
    json!({"type": "function_call_output", "call_id": call_id, "output": output})
}

/// The input entries one stored item stands for (none for display-only items).
pub fn entries(item: &ThreadItem) -> Vec<Value> {
    match &item.kind {
        ItemKind::UserMessage {
            content,
            quoted_text,
            ..
        } => {
            let mut text = user_text(content);
            if let Some(quote) = quoted_text.as_deref().filter(|q| !q.is_empty()) {
                text = format!("> {quote}\n\n{text}");
            }
            if text.trim().is_empty() {
                return vec![];
            }
            vec![json!({"role": "user", "content": [{"type": "input_text", "text": text}]})]
        }
        ItemKind::AssistantMessage { content } => {
            let text: String = content.iter().map(|part| part.text.as_str()).collect();
            if text.trim().is_empty() {
                return vec![];
            }
            vec![json!({"role": "assistant", "content": text})]
        }
        ItemKind::ClientToolCall {
            status: ToolCallStatus::Completed,
            call_id,
            name,
            arguments,
            output,
        } => {
            let output = output.clone().unwrap_or(Value::Null).to_string();
            vec![
                function_call(call_id, name, &Value::Object(arguments.clone()).to_string()),
                function_call_output(call_id, &output),
            ]
        }
        ItemKind::HiddenContext { content } if content["kind"] == "tool_run" => {
            let field = |name: &str| content[name].as_str().unwrap_or_default().to_string();
            vec![
                function_call(&field("call_id"), &field("name"), &field("arguments")),
                function_call_output(&field("call_id"), &field("output")),
            ]
        }
        // What the person did outside the conversation (a widget's button), for the model.
        ItemKind::HiddenContext { content } if content["kind"] == "note" => {
            let text = content["text"].as_str().unwrap_or_default();
            vec![json!({"role": "developer", "content": text})]
        }
        ItemKind::SdkHiddenContext { content } => {
            vec![json!({"role": "developer", "content": content})]
        }
        _ => vec![],
    }
}

/// `items` oldest first; returns the newest entries that fit the bounds, oldest first.
pub fn model_input(items: &[ThreadItem]) -> Vec<Value> {
    let mut kept: Vec<Vec<Value>> = Vec::new();
    let (mut count, mut chars) = (0, 0);
    for group in items.iter().rev().map(entries).filter(|g| !g.is_empty()) {
        let size: usize = group.iter().map(|entry| entry.to_string().len()).sum();
        let fits = count + group.len() <= MAX_INPUT_ITEMS && chars + size <= MAX_INPUT_CHARS;
        if !fits && !kept.is_empty() {
            break;
        }
        count += group.len();
        chars += size;
        kept.push(group);
    }
    kept.into_iter().rev().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chatkit::types::{
        now, AssistantMessageContent, InferenceOptions, UserMessageContent,
    };

    fn item(kind: ItemKind) -> ThreadItem {
        ThreadItem {
            id: crate::chatkit::store::new_id("i"),
            thread_id: "thr".into(),
            created_at: now(),
            kind,
        }
    }

    fn user(text: &str) -> ThreadItem {
        item(ItemKind::UserMessage {
            content: vec![UserMessageContent::InputText { text: text.into() }],
            attachments: vec![],
            quoted_text: None,
            inference_options: InferenceOptions::default(),
        })
    }

    #[test]
    fn messages_and_tool_runs_become_input_in_order() {
        let items = vec![
            user("Add a task to buy groceries"),
            item(ItemKind::HiddenContext {
                content: tool_run_record(
                    "call_1",
                    "add_task",
                    r#"{"title":"Buy groceries"}"#,
                    r#"{"status":"created"}"#,
                ),
            }),
            item(ItemKind::Task {
                task: json!({"type": "custom", "title": "Added"}),
            }),
            item(ItemKind::AssistantMessage {
                content: vec![AssistantMessageContent::text("Added it.")],
            }),
        ];
        let input = model_input(&items);
        assert_eq!(input.len(), 4);
        assert_eq!(input[0]["role"], "user");
        assert_eq!(input[1]["type"], "function_call");
        assert_eq!(input[1]["call_id"], "call_1");
        assert_eq!(input[2]["type"], "function_call_output");
        assert_eq!(input[2]["call_id"], "call_1");
        assert_eq!(
            input[3],
            json!({"role": "assistant", "content": "Added it."})
        );
    }

    #[test]
    fn long_threads_keep_the_newest_items_within_bounds() {
        let items: Vec<_> = (0..200).map(|n| user(&format!("message {n}"))).collect();
        let input = model_input(&items);
        assert_eq!(input.len(), MAX_INPUT_ITEMS);
        assert_eq!(input.last().unwrap()["content"][0]["text"], "message 199");
        let huge: Vec<_> = (0..5).map(|_| user(&"x".repeat(20_000))).collect();
        assert_eq!(model_input(&huge).len(), 2);
    }
}
