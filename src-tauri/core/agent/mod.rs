//! The assistant: streams the model's answer into ChatKit and runs the task tools it calls,
//! feeding their outputs back, until the model answers or the step limit stops it. The turn
//! loop is the same for every server; how one model call goes over the wire (Responses API
//! or Chat Completions) is behind `wire/`.

pub mod client;
pub mod input;
pub mod models;
pub mod sse;
pub mod task_actions;
pub mod task_widgets;
pub mod wire;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::agent::client::{ModelClient, ModelConfig, ModelFailure, ModelStream};
use crate::agent::input::{
    entries, function_call, function_call_output, model_input_with, tool_run_record,
};
use crate::agent::task_actions::ActionOutcome;
use crate::agent::task_widgets::display_item;
use crate::agent::wire::{FunctionCall, ModelEvent, ModelRequest, WireApi};
use crate::broker::connection::ApiStyle;
use crate::chatkit::responder::{AssistantMessageWriter, EventSink, RespondError, Responder, Turn};
use crate::chatkit::store::MAX_PAGE_SIZE;
use crate::chatkit::types::{
    user_text, Action, ItemKind, NoticeLevel, Order, ThreadItem, ThreadMetadata, ThreadStreamEvent,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::tasks::store::TaskStore;
use crate::tasks::tools::{run_tool, tool_definitions, ToolRun};

/// Model calls in one turn, at most: tool rounds plus the final answer.
pub const MAX_MODEL_CALLS: usize = 8;
const TITLE_CHARS: usize = 40;

const INSTRUCTIONS: &str = "You are Todo Assistant, a friendly assistant that manages the user's \
to-do list with the tools add_task, list_tasks, complete_task, delete_task and update_task. \
Use the tools for every change and to look tasks up: never claim a change you did not make. \
When the user refers to a task by name, call list_tasks to find its id; a task mentioned as \
@“title” (task id …) is that exact task, so use its id directly. When the user attaches an image \
or a file, read it and act on it (e.g. add the tasks it lists). Answer briefly, in the user's \
language, and confirm what you changed.";

/// Where the agent gets its model settings each turn (they can change in Settings).
pub type ConfigSource = Arc<dyn Fn() -> AppResult<ModelConfig> + Send + Sync>;

pub struct Agent {
    client: ModelClient,
    /// Tool calls commit unflushed; each step's calls are flushed together (`run_calls`).
    tasks: Arc<TaskStore>,
    config: ConfigSource,
    /// Base URLs found to have no Responses API (automatic style): asked over Chat
    /// Completions for as long as this process runs.
    learned: std::sync::Mutex<HashMap<String, WireApi>>,
}

impl Agent {
    pub fn new(client: ModelClient, tasks: Arc<TaskStore>, config: ConfigSource) -> Self {
        Self {
            client,
            tasks: Arc::new(tasks.deferred()),
            config,
            learned: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The wire API for this call: the one the setting names, or (automatic) the one that
    /// worked for this base URL before, else the Responses API.
    fn wire_for(&self, config: &ModelConfig) -> WireApi {
        match config.api_style {
            ApiStyle::Responses => WireApi::Responses,
            ApiStyle::ChatCompletions => WireApi::ChatCompletions,
            ApiStyle::Automatic => self
                .learned
                .lock()
                .ok()
                .and_then(|learned| learned.get(&config.base_url).copied())
                .unwrap_or(WireApi::Responses),
        }
    }

    /// Starts one streamed model call; in automatic mode a server without `/responses`
    /// (404 or 405) is asked over Chat Completions instead, and that is remembered.
    async fn start(
        &self,
        config: &ModelConfig,
        request: &ModelRequest<'_>,
    ) -> Result<(WireApi, String, ModelStream), ModelFailure> {
        let api = self.wire_for(config);
        match self.client.stream(config, api, &api.body(request)).await {
            Ok((first, stream)) => Ok((api, first, stream)),
            Err(ModelFailure::ApiMissing(detail))
                if config.api_style == ApiStyle::Automatic && api == WireApi::Responses =>
            {
                tracing::info!(
                    base_url = %config.base_url,
                    "no Responses API there ({detail}); using Chat Completions from now on"
                );
                let chat = WireApi::ChatCompletions;
                if let Ok(mut learned) = self.learned.lock() {
                    learned.insert(config.base_url.clone(), chat);
                }
                let (first, stream) = self
                    .client
                    .stream(config, chat, &chat.body(request))
                    .await?;
                Ok((chat, first, stream))
            }
            Err(failure) => Err(failure),
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
        let tools = tool_definitions();
        let request = ModelRequest {
            model: &config.model,
            instructions: INSTRUCTIONS,
            input,
            tools: &tools,
        };
        let (api, first, mut stream) = match self.start(config, &request).await {
            Ok(started) => started,
            Err(failure) => return Err(self.fail(failure, sink).await),
        };
        let mut decoder = api.decoder();
        let mut writer: Option<AssistantMessageWriter> = None;
        let mut said: Vec<Value> = Vec::new();
        let mut calls = Vec::new();
        let mut next = Some(first);
        loop {
            let events = match &next {
                Some(data) => decoder.data(data),
                None => decoder.end(),
            };
            for event in events {
                match event {
                    ModelEvent::TextDelta(delta) => {
                        if writer.is_none() {
                            writer = Some(AssistantMessageWriter::begin(sink).await?);
                        }
                        if let Some(writer) = writer.as_mut() {
                            writer.delta(sink, delta).await?;
                        }
                    }
                    ModelEvent::TextDone => {
                        if let Some(done) = writer.take() {
                            said.extend(entries(&done.finish(sink).await?));
                        }
                    }
                    ModelEvent::ToolCall(call) => calls.push(call),
                    ModelEvent::Completed => {
                        if let Some(done) = writer.take() {
                            said.extend(entries(&done.finish(sink).await?));
                        }
                        return Ok((said, calls));
                    }
                    ModelEvent::Failed(failure) => {
                        return Err(self.fail_keeping(writer, failure, sink).await)
                    }
                }
            }
            if next.is_none() {
                break;
            }
            next = match stream.next_data().await {
                Ok(data) => data,
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

    /// A task widget's button: the change applies at once and the widget is redrawn in
    /// place; the model is not asked, but learns what happened on its next turn.
    async fn act(
        &self,
        action: Action,
        sender: Option<ThreadItem>,
        sink: &mut EventSink,
    ) -> Result<(), RespondError> {
        let Some(sender) = sender else {
            return Err(RespondError::coded(
                "invalid_request",
                format!(
                    "The {} action must come from the widget that shows the task.",
                    crate::error::excerpt(&action.action_type)
                ),
                false,
            ));
        };
        let outcome = self
            .apply_action(action, sender.clone())
            .await
            .map_err(|e| {
                if e.code == ErrorCode::InvalidRequest {
                    RespondError::coded("invalid_request", e.message, false)
                } else {
                    RespondError::from(e)
                }
            })?;
        sink.update_widget(&sender, outcome.widget, outcome.copy_text)
            .await?;
        let note = sink.item(
            "ctx",
            ItemKind::HiddenContext {
                content: json!({"kind": "note", "text": outcome.note}),
            },
        );
        sink.emit(ThreadStreamEvent::ItemDone { item: note })
            .await?;
        if let Some(message) = outcome.notice {
            sink.emit(ThreadStreamEvent::Notice {
                level: NoticeLevel::Info,
                title: None,
                message,
            })
            .await?;
        }
        Ok(())
    }

    async fn apply_action(&self, action: Action, sender: ThreadItem) -> AppResult<ActionOutcome> {
        let ItemKind::Widget { widget, .. } = sender.kind else {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "Only a widget can send a task action.",
            ));
        };
        let tasks = self.tasks.clone();
        // The store commits unflushed (see `tasks`): flush before the widget says it is done.
        tokio::task::spawn_blocking(move || {
            let outcome = task_actions::apply(&tasks, &action, &widget)?;
            tasks.flush()?;
            Ok(outcome)
        })
        .await
        .map_err(|e| AppError::internal(format!("a task action crashed: {e}")))?
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
    fn sync_action(
        &self,
        _thread: &ThreadMetadata,
        action: &Action,
        sender: Option<&ThreadItem>,
    ) -> Result<Option<ThreadItem>, AppError> {
        let Some(sender) = sender else {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "A task action must come from the widget that shows the task.",
            ));
        };
        let ItemKind::Widget { widget, .. } = &sender.kind else {
            return Ok(None);
        };
        let outcome = task_actions::apply(&self.tasks, action, widget)?;
        let mut updated = sender.clone();
        updated.kind = ItemKind::Widget {
            widget: outcome.widget,
            copy_text: outcome.copy_text,
        };
        Ok(Some(updated))
    }

    async fn respond(&self, turn: Turn, sink: &mut EventSink) -> Result<(), RespondError> {
        if let Turn::Action { action, sender } = turn {
            return self.act(action, sender, sink).await;
        }
        let mut config = (self.config)()
            .map_err(|e| RespondError::coded("assistant_not_configured", e.message, false))?;
        // The model picked in the composer, for this message or earlier in the thread.
        let picked = match &turn {
            Turn::UserMessage(ThreadItem {
                kind:
                    ItemKind::UserMessage {
                        inference_options, ..
                    },
                ..
            }) => Some(inference_options),
            _ => None,
        };
        config.model = models::model_for_turn(&config.model, sink.thread(), picked);
        let thread_id = sink.thread().id.clone();
        let mut history = sink
            .store()
            .load_items(&thread_id, None, MAX_PAGE_SIZE, Order::Desc)?
            .data;
        history.reverse();
        let mut input = model_input_with(&history, sink.attachment_files());

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
