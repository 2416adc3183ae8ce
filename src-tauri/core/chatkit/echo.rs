//! A scripted responder for tests only (feature `test-support`): it echoes, so protocol
//! tests can predict every event without a model. Production builds do not contain it.

use std::time::Duration;

use async_trait::async_trait;

use crate::chatkit::responder::{AssistantMessageWriter, EventSink, RespondError, Responder, Turn};
use crate::chatkit::types::{user_text, ItemKind, Order, ThreadStreamEvent, ToolCallStatus};

pub struct EchoResponder;

const CLIENT_TOOL_MARKER: &str = "[client-tool]";
const SLOW_MARKER: &str = "[slow]";
const TITLE_CHARS: usize = 40;

/// Splits text into words that keep their trailing space, as a model streams tokens.
fn words(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_string).collect()
}

async fn stream_reply(sink: &mut EventSink, reply: &str, slow: bool) -> Result<(), RespondError> {
    let mut writer = AssistantMessageWriter::begin(sink).await?;
    for word in words(reply) {
        if slow {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        writer.delta(sink, word).await?;
    }
    writer.finish(sink).await?;
    Ok(())
}

#[async_trait]
impl Responder for EchoResponder {
    async fn respond(&self, turn: Turn, sink: &mut EventSink) -> Result<(), RespondError> {
        match turn {
            Turn::UserMessage(message) => {
                let ItemKind::UserMessage { content, .. } = &message.kind else {
                    return Err(RespondError::failed("not a user message", false));
                };
                let text = user_text(content);
                if text.contains(CLIENT_TOOL_MARKER) {
                    let title = text.replace(CLIENT_TOOL_MARKER, "").trim().to_string();
                    let mut arguments = serde_json::Map::new();
                    arguments.insert("title".into(), title.into());
                    let call = sink.item(
                        "ctc",
                        ItemKind::ClientToolCall {
                            status: ToolCallStatus::Pending,
                            call_id: sink.new_item_id("call"),
                            name: "add_task".into(),
                            arguments,
                            output: None,
                        },
                    );
                    sink.emit(ThreadStreamEvent::ItemDone { item: call })
                        .await?;
                } else {
                    stream_reply(
                        sink,
                        &format!("You said: {text}"),
                        text.contains(SLOW_MARKER),
                    )
                    .await?;
                }
                if sink.thread().title.is_none() {
                    sink.thread_mut().title = Some(text.chars().take(TITLE_CHARS).collect());
                }
                Ok(())
            }
            Turn::Continue => {
                let newest = sink
                    .store()
                    .load_items(&sink.thread().id, None, 5, Order::Desc)?;
                let output = newest.data.iter().find_map(|item| match &item.kind {
                    ItemKind::ClientToolCall {
                        status: ToolCallStatus::Completed,
                        output,
                        ..
                    } => Some(output.clone().unwrap_or_default()),
                    _ => None,
                });
                let reply = match output {
                    Some(output) => format!("Tool result: {output}"),
                    None => "Thanks, noted.".to_string(),
                };
                stream_reply(sink, &reply, false).await
            }
            Turn::Action { action, .. } => {
                stream_reply(sink, &format!("Action: {}", action.action_type), false).await
            }
        }
    }
}
