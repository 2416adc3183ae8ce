//! The assistant: streams the model's answer into ChatKit and runs the task tools it calls,
//! feeding their outputs back, until the model answers or the step limit stops it.

pub mod client;
pub mod input;
pub mod sse;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::agent::client::{ModelClient, ModelConfig, ModelFailure};
use crate::agent::input::{
    entries, function_call, function_call_output, model_input, tool_run_record,
};
use crate::chatkit::responder::{AssistantMessageWriter, EventSink, RespondError, Responder, Turn};
use crate::chatkit::store::MAX_PAGE_SIZE;
use crate::chatkit::types::{
    user_text, ItemKind, NoticeLevel, Order, ThreadItem, ThreadStreamEvent,
};
use crate::error::AppResult;
use crate::tasks::model::{StatusFilter, Task};
use crate::tasks::store::TaskStore;
use crate::tasks::tools::{run_tool, tool_definitions, ToolEffect, ToolRun};

/// Model calls in one turn, at most: tool rounds plus the final answer.
pub const MAX_MODEL_CALLS: usize = 8;
const TITLE_CHARS: usize = 40;

const INSTRUCTIONS: &str = "You are Todo Assistant, a friendly assistant that manages the user's \
to-do list with the tools add_task, list_tasks, complete_task, delete_task and update_task. \
Use the tools for every change and to look tasks up: never claim a change you did not make. \
When the user refers to a task by name, call list_tasks to find its id. Answer briefly, in the \
user's language, and confirm what you changed.";

/// Where the agent gets its model settings each turn (they can change in Settings).
pub type ConfigSource = Arc<dyn Fn() -> AppResult<ModelConfig> + Send + Sync>;

pub struct Agent {
    client: ModelClient,
    /// Tool calls commit unflushed; each step's calls are flushed together (`run_calls`).
    tasks: Arc<TaskStore>,
    config: ConfigSource,
}

#[derive(Debug, Clone)]
struct FunctionCall {
    call_id: String,
    name: String,
    arguments: String,
}

impl Agent {
    pub fn new(client: ModelClient, tasks: Arc<TaskStore>, config: ConfigSource) -> Self {
        Self {
            client,
            tasks: Arc::new(tasks.deferred()),
            config,
        }
    }

    /// One model call: streams its text into the thread; returns what it said, in order,
    /// as input entries (its messages, then the tools it called).
    async fn model_call(
        &self,
        config: &ModelConfig,
        input: &[Value],
        sink: &mut EventSink,
    ) -> Result<(Vec<Value>, Vec<FunctionCall>), RespondError> {
        let body = json!({
            "model": config.model,
            "instructions": INSTRUCTIONS,
            "input": input,
            "tools": tool_definitions(),
            "stream": true,
            "store": false,
            "parallel_tool_calls": true,
        });
        let (first, mut stream) = match self.client.stream(config, &body).await {
            Ok(started) => started,
            Err(failure) => return Err(self.fail(failure, sink).await),
        };
        let mut writer: Option<AssistantMessageWriter> = None;
        let mut said: Vec<Value> = Vec::new();
        let mut calls = Vec::new();
        let mut next = Some(first);
        while let Some(event) = next {
            match event["type"].as_str().unwrap_or_default() {
                "response.output_text.delta" => {
                    let delta = event["delta"].as_str().unwrap_or_default().to_string();
                    if writer.is_none() {
                        writer = Some(AssistantMessageWriter::begin(sink).await?);
                    }
                    if let Some(writer) = writer.as_mut() {
                        writer.delta(sink, delta).await?;
                    }
                }
                "response.output_item.done" => match event["item"]["type"].as_str() {
                    Some("message") => {
                        if let Some(done) = writer.take() {
                            said.extend(entries(&done.finish(sink).await?));
                        }
                    }
                    Some("function_call") => {
                        let item = &event["item"];
                        let text = |name: &str| item[name].as_str().unwrap_or_default().to_string();
                        calls.push(FunctionCall {
                            call_id: text("call_id"),
                            name: text("name"),
                            arguments: text("arguments"),
                        });
                    }
                    _ => {}
                },
                "response.completed" => {
                    if let Some(done) = writer.take() {
                        said.extend(entries(&done.finish(sink).await?));
                    }
                    return Ok((said, calls));
                }
                "response.failed" | "response.incomplete" => {
                    let detail = event["response"]["error"]["message"]
                        .as_str()
                        .or(event["response"]["incomplete_details"]["reason"].as_str())
                        .unwrap_or("the response failed")
                        .to_string();
                    return Err(self
                        .fail_keeping(writer, ModelFailure::ModelError(detail), sink)
                        .await);
                }
                "error" => {
                    let detail = event["message"]
                        .as_str()
                        .unwrap_or("the model sent an error")
                        .to_string();
                    return Err(self
                        .fail_keeping(writer, ModelFailure::ModelError(detail), sink)
                        .await);
                }
                _ => {}
            }
            next = match stream.next_event().await {
                Ok(event) => event,
                Err(failure) => return Err(self.fail_keeping(writer, failure, sink).await),
            };
        }
        let cut =
            ModelFailure::StreamBroken("the stream ended before the response was complete".into());
        Err(self.fail_keeping(writer, cut, sink).await)
    }

    /// Keeps the text that arrived before a failure as a finished message, then fails.
    async fn fail_keeping(
        &self,
        writer: Option<AssistantMessageWriter>,
        failure: ModelFailure,
        sink: &mut EventSink,
    ) -> RespondError {
        if let Some(partial) = writer.filter(|w| !w.text().trim().is_empty()) {
            if let Err(e) = partial.finish(sink).await {
                return e;
            }
        }
        self.fail(failure, sink).await
    }

    async fn fail(&self, failure: ModelFailure, sink: &mut EventSink) -> RespondError {
        if let ModelFailure::InvalidKey(_) = failure {
            let notice = ThreadStreamEvent::Notice {
                level: NoticeLevel::Danger,
                title: Some("Check your API key".into()),
                message: "The model service did not accept the API key. Open Settings and enter a valid key for this connection.".into(),
            };
            if let Err(e) = sink.emit(notice).await {
                return e;
            }
        }
        failure.into_respond_error()
    }

    /// Runs a step's tool calls in order, on one blocking thread, and flushes their task
    /// changes once; then shows each run in the thread. Returns each call's output for the
    /// model, which is told only after the changes are on disk.
    async fn run_calls(
        &self,
        calls: &[FunctionCall],
        sink: &mut EventSink,
    ) -> Result<Vec<String>, RespondError> {
        let tasks = self.tasks.clone();
        let batch: Vec<(String, String)> = calls
            .iter()
            .map(|call| (call.name.clone(), call.arguments.clone()))
            .collect();
        let runs = tokio::task::spawn_blocking(move || {
            let runs: Vec<ToolRun> = batch
                .iter()
                .map(|(name, arguments)| run_tool(&tasks, name, arguments))
                .collect();
            tasks.flush().map(|()| runs)
        })
        .await
        .map_err(|e| RespondError::failed(format!("a tool crashed: {e}"), true))??;
        let mut outputs = Vec::with_capacity(runs.len());
        for (call, run) in calls.iter().zip(runs) {
            let record = sink.item(
                "ctx",
                ItemKind::HiddenContext {
                    content: tool_run_record(
                        &call.call_id,
                        &call.name,
                        &call.arguments,
                        &run.output,
                    ),
                },
            );
            sink.emit(ThreadStreamEvent::ItemDone { item: record })
                .await?;
            if let Some(shown) = display_item(sink, &run.effect) {
                sink.emit(ThreadStreamEvent::ItemDone { item: shown })
                    .await?;
            }
            outputs.push(run.output);
        }
        Ok(outputs)
    }
}

#[async_trait]
impl Responder for Agent {
    async fn respond(&self, turn: Turn, sink: &mut EventSink) -> Result<(), RespondError> {
        if let Turn::Action { action, .. } = &turn {
            return Err(RespondError::failed(
                format!("This assistant has no action named {}.", action.action_type),
                false,
            ));
        }
        let config = (self.config)()
            .map_err(|e| RespondError::coded("assistant_not_configured", e.message, false))?;
        let thread_id = sink.thread().id.clone();
        let mut history = sink
            .store()
            .load_items(&thread_id, None, MAX_PAGE_SIZE, Order::Desc)?
            .data;
        history.reverse();
        let mut input = model_input(&history);

        for call_number in 1..=MAX_MODEL_CALLS {
            let (said, calls) = self.model_call(&config, &input, sink).await?;
            if calls.is_empty() {
                break;
            }
            // What the model said before calling tools is part of what it sees next.
            input.extend(said);
            let outputs = self.run_calls(&calls, sink).await?;
            for (call, output) in calls.iter().zip(outputs) {
                input.push(function_call(&call.call_id, &call.name, &call.arguments));
                input.push(function_call_output(&call.call_id, &output));
            }
            if call_number == MAX_MODEL_CALLS {
                sink.emit(ThreadStreamEvent::Notice {
                    level: NoticeLevel::Info,
                    title: None,
                    message: format!("The assistant stopped after {MAX_MODEL_CALLS} steps; ask again to continue."),
                })
                .await?;
            }
        }

        if sink.thread().title.is_none() {
            if let Some(title) = first_user_text(&history).map(|text| short_title(&text)) {
                sink.thread_mut().title = Some(title);
            }
        }
        Ok(())
    }
}

fn first_user_text(items: &[ThreadItem]) -> Option<String> {
    items.iter().find_map(|item| match &item.kind {
        ItemKind::UserMessage { content, .. } => Some(user_text(content)),
        _ => None,
    })
}

/// A thread title from the first message: whole words, at most 40 characters.
pub fn short_title(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut title = String::new();
    for word in &words {
        let next_len =
            title.chars().count() + word.chars().count() + usize::from(!title.is_empty());
        if next_len > TITLE_CHARS {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        title = text.trim().chars().take(TITLE_CHARS).collect();
    } else if title.split_whitespace().count() < words.len() {
        title.push('…');
    }
    title
}

/// How a tool run looks in the thread: a task line for a change, a list for a listing.
fn display_item(sink: &EventSink, effect: &ToolEffect) -> Option<ThreadItem> {
    match effect {
        ToolEffect::Changed { verb, task } => {
            let icon = match *verb {
                "Added" => "plus",
                "Completed" => "check-circle-filled",
                "Deleted" => "empty-circle",
                _ => "write",
            };
            Some(sink.item(
                "task",
                ItemKind::Task {
                    task: json!({
                        "type": "custom",
                        "title": format!("{verb} “{}”", task.title),
                        "icon": icon,
                        "status_indicator": "complete",
                    }),
                },
            ))
        }
        ToolEffect::Listed { filter, tasks } => Some(
            sink.item(
                "wdg",
                ItemKind::Widget {
                    widget: task_list_widget(*filter, tasks),
                    copy_text: Some(
                        tasks
                            .iter()
                            .map(|t| {
                                format!("{} {}", if t.completed { "[x]" } else { "[ ]" }, t.title)
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                },
            ),
        ),
        ToolEffect::Failed { .. } => None,
    }
}

/// A ChatKit ListView of tasks, completed ones struck through.
pub fn task_list_widget(filter: StatusFilter, tasks: &[Task]) -> Value {
    let heading = match filter {
        StatusFilter::All => "Tasks",
        StatusFilter::Pending => "Pending tasks",
        StatusFilter::Completed => "Completed tasks",
    };
    let items: Vec<Value> = tasks
        .iter()
        .map(|task| {
            let mut text = json!({"type": "Text", "value": task.title});
            if task.completed {
                text["lineThrough"] = true.into();
                text["color"] = "secondary".into();
            }
            json!({"type": "ListViewItem", "key": task.id, "children": [text]})
        })
        .collect();
    json!({
        "type": "ListView",
        "status": {"text": format!("{heading} ({})", tasks.len()), "icon": "check-circle"},
        "children": items,
    })
}

#[cfg(test)]
mod tests {
    use super::short_title;

    #[test]
    fn titles_keep_whole_words_within_forty_characters() {
        assert_eq!(
            short_title("Add a task to buy groceries"),
            "Add a task to buy groceries"
        );
        let long =
            short_title("Please add a task to buy groceries and another to call the plumber");
        assert!(long.chars().count() <= 41, "{long}");
        assert!(long.ends_with('…'));
        assert_eq!(short_title("   "), "");
    }
}
