//! The model's input, built from the thread's stored items: user and assistant messages,
//! and each completed tool run as a function call plus its output. Bounded: the newest
//! items that fit, never splitting a call from its output.
//!
//! A user message's @-mentions become text naming the task's id, so the model acts on that
//! exact task; its attachments become `input_image` (a data URL), `input_file` (PDF) or
//! `input_text` (a text file's contents). Attachments are placeholders while the input is
//! bounded, and read from disk after, newest first, within `MAX_ATTACHMENT_INPUT_BYTES`.

use serde_json::{json, Value};

use crate::chatkit::attachments::{classify, data_url, Content};
use crate::chatkit::types::{ItemKind, ThreadItem, ToolCallStatus, UserMessageContent};
use crate::storage::attachment_files::AttachmentFiles;

pub const MAX_INPUT_ITEMS: usize = 60;
pub const MAX_INPUT_CHARS: usize = 48_000;
/// The attachment bytes one request carries at most; older ones beyond it are named only.
pub const MAX_ATTACHMENT_INPUT_BYTES: usize = 24 * 1024 * 1024;
/// The characters of one text attachment the model reads.
pub const MAX_TEXT_ATTACHMENT_CHARS: usize = 40_000;
const PLACEHOLDER: &str = "attachment_placeholder";

/// What the model reads for a message's content: text as typed, and each @-mention as the
/// task it names, with its id.
pub fn model_text(content: &[UserMessageContent]) -> String {
    content
        .iter()
        .map(|part| match part {
            UserMessageContent::InputText { text } => text.clone(),
            UserMessageContent::InputTag { id, text, .. } => {
                let title = text.trim_start_matches('@');
                format!("@“{title}” (task id {id})")
            }
        })
        .collect()
}

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
            attachments,
            ..
        } => {
            let mut text = model_text(content);
            if let Some(quote) = quoted_text.as_deref().filter(|q| !q.is_empty()) {
                text = format!("> {quote}\n\n{text}");
            }
            let mut parts = Vec::new();
            if !text.trim().is_empty() {
                parts.push(json!({"type": "input_text", "text": text}));
            }
            parts.extend(attachments.iter().map(|attachment| {
                json!({
                    "type": PLACEHOLDER,
                    "id": attachment["id"],
                    "name": attachment["name"],
                    "mime_type": attachment["mime_type"],
                })
            }));
            if parts.is_empty() {
                return vec![];
            }
            vec![json!({"role": "user", "content": parts})]
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
/// Attachments are named, not read: see `model_input_with`.
pub fn model_input(items: &[ThreadItem]) -> Vec<Value> {
    model_input_with(items, None)
}

/// `model_input`, with the attachments' contents read from `files`.
pub fn model_input_with(items: &[ThreadItem], files: Option<&AttachmentFiles>) -> Vec<Value> {
    let mut input = bounded(items);
    let mut budget = MAX_ATTACHMENT_INPUT_BYTES;
    for entry in input.iter_mut().rev() {
        let Some(parts) = entry.get_mut("content").and_then(Value::as_array_mut) else {
            continue;
        };
        for part in parts.iter_mut().rev() {
            if part["type"] == PLACEHOLDER {
                *part = attachment_part(part, files, &mut budget);
            }
        }
    }
    input
}

/// One attachment as Responses API content, or a note naming it when it cannot be read
/// (deleted, over the budget, or no attachment folder).
fn attachment_part(
    placeholder: &Value,
    files: Option<&AttachmentFiles>,
    budget: &mut usize,
) -> Value {
    let field = |name: &str| placeholder[name].as_str().unwrap_or_default().to_string();
    let (id, name, mime) = (field("id"), field("name"), field("mime_type"));
    let note = |why: &str| json!({"type": "input_text", "text": format!("[Attached file “{name}” ({mime}): {why}]")});
    let Ok((content, mime)) = classify(&name, &mime) else {
        return note("a type the assistant cannot read");
    };
    let bytes = match files.map(|files| files.read_bytes(&id)) {
        Some(Ok(Some(bytes))) => bytes,
        Some(Err(e)) => {
            tracing::warn!("attachment {id} unreadable: {}", e.message);
            return note("could not be read");
        }
        _ => return note("no longer available"),
    };
    if bytes.len() > *budget {
        return note("sent earlier, not repeated");
    }
    *budget -= bytes.len();
    match content {
        Content::Image => {
            json!({"type": "input_image", "image_url": data_url(&mime, &bytes), "detail": "auto"})
        }
        Content::Pdf => {
            json!({"type": "input_file", "filename": name, "file_data": data_url(&mime, &bytes)})
        }
        Content::Text => {
            let text = String::from_utf8_lossy(&bytes);
            let mut shown: String = text.chars().take(MAX_TEXT_ATTACHMENT_CHARS).collect();
            if shown.len() < text.len() {
                shown.push_str("\n[… the rest of the file was left out]");
            }
            json!({"type": "input_text", "text": format!("Attached file “{name}”:\n{shown}")})
        }
    }
}

fn bounded(items: &[ThreadItem]) -> Vec<Value> {
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

    #[test]
    fn a_mention_names_the_task_id_and_attachments_become_model_content() {
        use crate::chatkit::attachments::{stored, Attachments};
        use crate::chatkit::types::{AttachmentCreateParams, Json};

        let dir = tempfile::tempdir().unwrap();
        let service = Attachments::new(AttachmentFiles::new(dir.path()), |id| id.to_string());
        let png =
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
        let upload = |name: &str, mime: &str, bytes: &[u8]| {
            let params = AttachmentCreateParams {
                name: name.into(),
                size: bytes.len() as u64,
                mime_type: mime.into(),
            };
            let created = service.create(&params).unwrap();
            stored(&service.upload(&created.id, bytes).unwrap())
        };
        let image = upload("shot.png", "image/png", png);
        let notes = upload("notes.txt", "text/plain", b"milk\neggs");
        let pdf = upload("plan.pdf", "application/pdf", b"%PDF-1.4 minimal");
        let message = item(ItemKind::UserMessage {
            content: vec![
                UserMessageContent::InputText {
                    text: "mark ".into(),
                },
                UserMessageContent::InputTag {
                    id: "task_42".into(),
                    text: "Buy groceries".into(),
                    data: Json::new(),
                    group: None,
                    interactive: true,
                },
                UserMessageContent::InputText {
                    text: " done".into(),
                },
            ],
            attachments: vec![image.clone(), notes, pdf],
            quoted_text: None,
            inference_options: InferenceOptions::default(),
        });

        let input = model_input_with(std::slice::from_ref(&message), Some(service.files()));
        let parts = input[0]["content"].as_array().unwrap();
        assert_eq!(
            parts[0]["text"],
            "mark @“Buy groceries” (task id task_42) done"
        );
        assert_eq!(parts[1]["type"], "input_image");
        assert_eq!(parts[1]["image_url"], data_url("image/png", png));
        assert_eq!(
            parts[2],
            json!({"type": "input_text", "text": "Attached file “notes.txt”:\nmilk\neggs"})
        );
        assert_eq!(parts[3]["type"], "input_file");
        assert_eq!(parts[3]["filename"], "plan.pdf");
        assert!(parts[3]["file_data"]
            .as_str()
            .unwrap()
            .starts_with("data:application/pdf;base64,"));

        // Without the files (or once deleted), the model is told the file existed.
        let named = model_input(std::slice::from_ref(&message));
        assert_eq!(named[0]["content"][1]["type"], "input_text");
        assert!(named[0]["content"][1]["text"]
            .as_str()
            .unwrap()
            .contains("shot.png"));
        service
            .files()
            .delete(image["id"].as_str().unwrap())
            .unwrap();
        let gone = model_input_with(&[message], Some(service.files()));
        assert!(gone[0]["content"][1]["text"]
            .as_str()
            .unwrap()
            .contains("no longer available"));
    }
}
