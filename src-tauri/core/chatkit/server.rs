//! The ChatKit op router: JSON ops answer at once; streaming ops check everything they can
//! up front (so a bad request is a coded JSON error that changes nothing), then stream
//! events from a task. Semantics follow chatkit-python's `ChatKitServer`.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::agent::models::THREAD_MODEL_KEY;
use crate::chatkit::app_actions::{self, AppAction};
use crate::chatkit::attachments::{stored, Attachments};
use crate::chatkit::feedback;
use crate::chatkit::responder::{thread_response, EventSink, RespondError, Responder, Turn};
use crate::chatkit::store::{new_id, ThreadStore, DEFAULT_PAGE_SIZE};
use crate::chatkit::types::{
    now, Attachment, ChatKitRequest, InferenceOptions, ItemKind, NoticeLevel, Order, Page,
    StreamOptions, ThreadItem, ThreadMetadata, ThreadStatus, ThreadStreamEvent, ToolCallStatus,
    UserMessageInput,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::atomic::Recovery;

/// How many events may wait for a slow client before the response itself waits.
const STREAM_BUFFER: usize = 64;

pub enum ChatKitResponse {
    /// `application/json`
    Json(Vec<u8>),
    /// `text/event-stream`: one event per frame, until the channel closes. Dropping the
    /// receiver cancels the response.
    Stream(mpsc::Receiver<ThreadStreamEvent>),
}

impl std::fmt::Debug for ChatKitResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Json(body) => write!(f, "Json({})", String::from_utf8_lossy(body)),
            Self::Stream(_) => f.write_str("Stream"),
        }
    }
}

pub struct ChatKitServer {
    store: Arc<dyn ThreadStore>,
    responder: Arc<dyn Responder>,
    /// Where attachments live; without it, attachments are `not_supported`.
    attachments: Option<Arc<Attachments>>,
}

fn invalid_request(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidRequest, message)
}

fn json_body(value: &impl serde::Serialize) -> AppResult<ChatKitResponse> {
    serde_json::to_vec(value)
        .map(ChatKitResponse::Json)
        .map_err(|e| AppError::internal(format!("could not encode a response: {e}")))
}

/// `threads.sync_custom_action`'s answer with an item, encoded straight from the item.
#[derive(serde::Serialize)]
struct UpdatedItem<'a> {
    updated_item: &'a ThreadItem,
}

/// What a streaming op does once its checks passed.
enum StreamPlan {
    CreateThread(UserMessageInput, Vec<Attachment>),
    AddMessage(ThreadMetadata, UserMessageInput, Vec<Attachment>),
    Continue(ThreadMetadata, Option<ThreadItem>),
    Retry(ThreadMetadata, ThreadItem),
    Action(ThreadMetadata, Turn),
    Refuse(ThreadMetadata, RespondError),
    /// `chat.feedback`: the thread's stored thumbs, as a client effect.
    Feedback(ThreadMetadata),
    /// `chat.edit_message`: the message and what followed go, the new text is answered.
    Edit(ThreadMetadata, ThreadItem, UserMessageInput),
}

impl ChatKitServer {
    pub fn new(store: Arc<dyn ThreadStore>, responder: Arc<dyn Responder>) -> Self {
        Self {
            store,
            responder,
            attachments: None,
        }
    }

    /// Accepts attachments, kept by `attachments`.
    pub fn with_attachments(mut self, attachments: Attachments) -> Self {
        self.attachments = Some(Arc::new(attachments));
        self
    }

    fn attachments(&self) -> AppResult<&Attachments> {
        self.attachments.as_deref().ok_or_else(|| {
            AppError::new(
                ErrorCode::NotSupported,
                "This chat server does not keep attachments.",
            )
        })
    }

    /// The upload step of an attachment: its bytes, sent where `attachments.create` said.
    /// Answers the finished attachment as JSON.
    pub fn upload(&self, attachment_id: &str, bytes: &[u8]) -> AppResult<ChatKitResponse> {
        json_body(&self.attachments()?.upload(attachment_id, bytes)?)
    }

    /// Items as the client sees them: image attachments carry their previews.
    fn answered(&self, mut items: Page<ThreadItem>) -> Page<ThreadItem> {
        if let Some(attachments) = &self.attachments {
            items.data = items
                .data
                .into_iter()
                .map(|item| attachments.answered_item(item))
                .collect();
        }
        items
    }

    /// The attachments a new message names, all checked before anything is stored.
    fn message_attachments(&self, input: &UserMessageInput) -> AppResult<Vec<Attachment>> {
        if input.attachments.is_empty() {
            return Ok(Vec::new());
        }
        self.attachments()?.for_message(&input.attachments)
    }

    /// Handles one request body. The caller has already checked the client secret.
    pub async fn handle(&self, body: &[u8]) -> AppResult<ChatKitResponse> {
        let request: ChatKitRequest = serde_json::from_slice(body).map_err(|e| {
            invalid_request(format!(
                "This is not a ChatKit request this server understands: {e}"
            ))
        })?;
        if request.is_streaming() {
            let plan = self.plan_stream(request)?;
            Ok(ChatKitResponse::Stream(self.start_stream(plan)))
        } else {
            self.handle_json(request)
        }
    }

    fn handle_json(&self, request: ChatKitRequest) -> AppResult<ChatKitResponse> {
        let store = &self.store;
        match request {
            ChatKitRequest::ThreadsGetById { params } => {
                let meta = store.load_thread(&params.thread_id)?;
                let items = store.load_items(&meta.id, None, DEFAULT_PAGE_SIZE, Order::Asc)?;
                json_body(&thread_response(meta, self.answered(items)))
            }
            ChatKitRequest::ThreadsList { params } => {
                let page = store.load_threads(
                    params.limit.unwrap_or(DEFAULT_PAGE_SIZE),
                    params.after.as_deref(),
                    params.order,
                )?;
                json_body(&Page {
                    data: page
                        .data
                        .into_iter()
                        .map(|meta| thread_response(meta, Page::default()))
                        .collect(),
                    has_more: page.has_more,
                    after: page.after,
                })
            }
            ChatKitRequest::ItemsList { params } => {
                let mut page = store.load_items(
                    &params.thread_id,
                    params.after.as_deref(),
                    params.limit.unwrap_or(DEFAULT_PAGE_SIZE),
                    params.order,
                )?;
                page.data.retain(|item| !item.is_hidden());
                json_body(&self.answered(page))
            }
            ChatKitRequest::ThreadsUpdate { params } => {
                let mut meta = store.load_thread(&params.thread_id)?;
                meta.title = Some(params.title);
                store.save_thread(&meta)?;
                json_body(&thread_response(meta, Page::default()))
            }
            ChatKitRequest::ThreadsDelete { params } => {
                store.delete_thread(&params.thread_id)?;
                // The thread is gone first, so a failure here leaves only unreachable files.
                if let Some(attachments) = &self.attachments {
                    if let Err(e) = attachments.files().delete_thread(&params.thread_id) {
                        tracing::warn!("attachments of a deleted thread stay: {}", e.message);
                    }
                }
                json_body(&json!({}))
            }
            ChatKitRequest::ItemsFeedback { params } => {
                store.load_thread(&params.thread_id)?;
                for item_id in &params.item_ids {
                    store.load_item(&params.thread_id, item_id)?;
                }
                feedback::record(
                    store.as_ref(),
                    &params.thread_id,
                    &params.item_ids,
                    params.kind,
                )?;
                json_body(&json!({}))
            }
            ChatKitRequest::ThreadsSyncCustomAction { params } => {
                let meta = store.load_thread(&params.thread_id)?;
                let sender = self.widget_sender(&meta, params.item_id.as_deref())?;
                let updated = self
                    .responder
                    .sync_action(&meta, &params.action, sender.as_ref())?;
                match updated {
                    Some(item) => {
                        store.save_item(&meta.id, &item)?;
                        json_body(&UpdatedItem {
                            updated_item: &item,
                        })
                    }
                    None => json_body(&json!({})),
                }
            }
            ChatKitRequest::AttachmentsCreate { params } => {
                json_body(&self.attachments()?.create(&params)?)
            }
            ChatKitRequest::AttachmentsDelete { params } => {
                self.attachments()?.delete(&params.attachment_id)?;
                json_body(&json!({}))
            }
            ChatKitRequest::InputTranscribe { .. } => Err(AppError::new(
                ErrorCode::NotSupported,
                "Dictation is not supported yet.",
            )),
            streaming => Err(AppError::internal(format!(
                "streaming op routed as JSON: {streaming:?}"
            ))),
        }
    }

    fn widget_sender(
        &self,
        meta: &ThreadMetadata,
        item_id: Option<&str>,
    ) -> AppResult<Option<ThreadItem>> {
        let Some(item_id) = item_id else {
            return Ok(None);
        };
        let item = self.store.load_item(&meta.id, item_id)?;
        if !matches!(item.kind, ItemKind::Widget { .. }) {
            return Err(invalid_request(format!(
                "Item {item_id} is not a widget, so it cannot send actions."
            )));
        }
        Ok(Some(item))
    }

    /// Every check a streaming op can fail, done before the stream starts.
    fn plan_stream(&self, request: ChatKitRequest) -> AppResult<StreamPlan> {
        let store = &self.store;
        Ok(match request {
            ChatKitRequest::ThreadsCreate { params } => {
                let attachments = self.message_attachments(&params.input)?;
                StreamPlan::CreateThread(params.input, attachments)
            }
            ChatKitRequest::ThreadsAddUserMessage { params } => {
                let meta = store.load_thread(&params.thread_id)?;
                let attachments = self.message_attachments(&params.input)?;
                StreamPlan::AddMessage(meta, params.input, attachments)
            }
            ChatKitRequest::ThreadsAddClientToolOutput { params } => {
                let meta = store.load_thread(&params.thread_id)?;
                let newest = store.load_items(&meta.id, None, 1, Order::Desc)?;
                let Some(mut call) = newest.data.into_iter().find(|item| {
                    matches!(
                        item.kind,
                        ItemKind::ClientToolCall {
                            status: ToolCallStatus::Pending,
                            ..
                        }
                    )
                }) else {
                    return Err(AppError::new(
                        ErrorCode::NoPendingToolCall,
                        format!(
                            "Thread {} has no client tool call waiting for a result.",
                            meta.id
                        ),
                    ));
                };
                if let ItemKind::ClientToolCall { status, output, .. } = &mut call.kind {
                    *status = ToolCallStatus::Completed;
                    *output = Some(params.result);
                }
                store.save_item(&meta.id, &call)?;
                self.drop_stale_tool_calls(&meta.id)?;
                StreamPlan::Continue(meta, None)
            }
            ChatKitRequest::ThreadsRetryAfterItem { params } => {
                let meta = store.load_thread(&params.thread_id)?;
                let item = store.load_item(&meta.id, &params.item_id)?;
                if !matches!(item.kind, ItemKind::UserMessage { .. }) {
                    return Err(invalid_request(format!(
                        "Item {} is not a user message, so there is nothing to retry.",
                        params.item_id
                    )));
                }
                StreamPlan::Retry(meta, item)
            }
            ChatKitRequest::ThreadsCustomAction { params } => {
                let meta = store.load_thread(&params.thread_id)?;
                if params.item_id.is_none() {
                    match app_actions::parse(store.as_ref(), &meta.id, &params.action)? {
                        Some(AppAction::Feedback) => return Ok(StreamPlan::Feedback(meta)),
                        Some(AppAction::Edit { message, input }) => {
                            return Ok(StreamPlan::Edit(meta, *message, input))
                        }
                        None => {}
                    }
                }
                match self.widget_sender(&meta, params.item_id.as_deref()) {
                    Ok(sender) => StreamPlan::Action(
                        meta,
                        Turn::Action {
                            action: params.action,
                            sender,
                        },
                    ),
                    Err(e) if e.code == ErrorCode::InvalidRequest => StreamPlan::Refuse(
                        meta,
                        RespondError::Failed {
                            message: None,
                            allow_retry: false,
                            app_code: None,
                        },
                    ),
                    Err(e) => return Err(e),
                }
            }
            ChatKitRequest::ThreadsAddStructuredInput { params } => {
                let meta = store.load_thread(&params.thread_id)?;
                let item = store.load_item(&meta.id, &params.item_id)?;
                let answered = apply_structured_input(item, &params.input)?;
                StreamPlan::Continue(meta, Some(answered))
            }
            json_op => {
                return Err(AppError::internal(format!(
                    "JSON op routed as streaming: {json_op:?}"
                )))
            }
        })
    }

    /// chatkit-python drops client tool calls that never got their output.
    fn drop_stale_tool_calls(&self, thread_id: &str) -> AppResult<()> {
        let recent = self
            .store
            .load_items(thread_id, None, DEFAULT_PAGE_SIZE, Order::Desc)?;
        for item in recent.data {
            if let ItemKind::ClientToolCall {
                status: ToolCallStatus::Pending,
                call_id,
                ..
            } = &item.kind
            {
                tracing::warn!(call_id, "client tool call was never completed; dropping it");
                self.store.delete_item(thread_id, &item.id)?;
            }
        }
        Ok(())
    }

    fn start_stream(&self, plan: StreamPlan) -> mpsc::Receiver<ThreadStreamEvent> {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let store = self.store.clone();
        let responder = self.responder.clone();
        let attachments = self.attachments.clone();
        tokio::spawn(async move {
            if let Err(e) = run_stream(store, responder, attachments, plan, tx.clone()).await {
                for event in e.to_events() {
                    let _ = tx.send(event).await;
                }
            }
        });
        rx
    }
}

async fn run_stream(
    store: Arc<dyn ThreadStore>,
    responder: Arc<dyn Responder>,
    attachments: Option<Arc<Attachments>>,
    plan: StreamPlan,
    tx: mpsc::Sender<ThreadStreamEvent>,
) -> Result<(), RespondError> {
    let (thread, turn, replaced) = match plan {
        StreamPlan::CreateThread(input, sent) => {
            let mut meta = ThreadMetadata {
                title: None,
                id: new_id("thr"),
                created_at: now(),
                status: ThreadStatus::Active,
                allowed_image_domains: None,
                metadata: Default::default(),
            };
            remember_model(&mut meta, &input);
            // The thread and its first message in one write, durable before either is
            // announced.
            let message = user_message(attachments.as_deref(), &meta, input, sent)?;
            store.create_thread(&meta, std::slice::from_ref(&message))?;
            send(
                &tx,
                ThreadStreamEvent::ThreadCreated {
                    thread: thread_response(meta.clone(), Page::default()),
                },
            )
            .await?;
            announce_user_message(attachments.as_deref(), &tx, &message).await?;
            (meta, Turn::UserMessage(message), None)
        }
        StreamPlan::AddMessage(mut meta, input, sent) => {
            if remember_model(&mut meta, &input) {
                store.save_thread(&meta)?;
            }
            let message =
                add_user_message(&store, attachments.as_deref(), &tx, &meta, input, sent).await?;
            (meta, Turn::UserMessage(message), None)
        }
        StreamPlan::Continue(meta, replaced) => (meta, Turn::Continue, replaced),
        StreamPlan::Retry(meta, user_message) => {
            let newer = items_after(&store, &meta.id, &user_message.id)?;
            remove_items(&store, &meta.id, &newer)?;
            (meta, Turn::UserMessage(user_message), None)
        }
        StreamPlan::Edit(meta, old, input) => {
            // The edited question keeps the files the original carried.
            let kept: Vec<Attachment> = match &old.kind {
                ItemKind::UserMessage { attachments, .. } => attachments
                    .iter()
                    .filter_map(|value| serde_json::from_value(value.clone()).ok())
                    .collect(),
                _ => Vec::new(),
            };
            let mut gone = items_after(&store, &meta.id, &old.id)?;
            gone.push(old);
            remove_items(&store, &meta.id, &gone)?;
            for item in gone.iter().rev().filter(|item| !item.is_hidden()) {
                send(
                    &tx,
                    ThreadStreamEvent::ItemRemoved {
                        item_id: item.id.clone(),
                    },
                )
                .await?;
            }
            let message =
                add_user_message(&store, attachments.as_deref(), &tx, &meta, input, kept).await?;
            (meta, Turn::UserMessage(message), None)
        }
        StreamPlan::Feedback(meta) => {
            send(&tx, stream_options()).await?;
            let mut data = crate::chatkit::types::Json::new();
            data.insert("items".into(), Value::Object(feedback::of(&meta)));
            send(
                &tx,
                ThreadStreamEvent::ClientEffect {
                    name: "feedback".into(),
                    data,
                },
            )
            .await?;
            return Ok(());
        }
        StreamPlan::Action(meta, turn) => (meta, turn, None),
        StreamPlan::Refuse(meta, error) => {
            send(&tx, stream_options()).await?;
            let _ = meta;
            return Err(error);
        }
    };

    let mut sink = EventSink::new(store.clone(), tx.clone(), thread).with_attachments(attachments);
    sink.send(stream_options()).await?;
    for notice in recovery_notices(store.take_recoveries()) {
        sink.send(notice).await?;
    }
    if let Some(item) = replaced {
        sink.emit(ThreadStreamEvent::ItemReplaced { item }).await?;
    }

    // The response races the client: when the client goes away, the responder's future is
    // dropped (which cancels its model request) and the partial answer is kept.
    let outcome = tokio::select! {
        outcome = responder.respond(turn, &mut sink) => outcome,
        _ = tx.closed() => Err(RespondError::Cancelled),
    };
    let ended = match outcome {
        Ok(()) => sink.flush_thread().await,
        Err(RespondError::Cancelled) => {
            sink.keep_partial_work();
            Err(RespondError::Cancelled)
        }
        Err(failure) => {
            let mut sent = Ok(());
            for event in failure.to_events() {
                sent = sent.and(sink.send(event).await);
            }
            sent.and(sink.flush_thread().await)
        }
    };
    // The turn's items reach the disk before the stream ends (its last event).
    sink.finish();
    ended
}

fn stream_options() -> ThreadStreamEvent {
    ThreadStreamEvent::StreamOptions {
        stream_options: StreamOptions { allow_cancel: true },
    }
}

async fn send(
    tx: &mpsc::Sender<ThreadStreamEvent>,
    event: ThreadStreamEvent,
) -> Result<(), RespondError> {
    tx.send(event).await.map_err(|_| RespondError::Cancelled)
}

async fn add_user_message(
    store: &Arc<dyn ThreadStore>,
    attachments: Option<&Attachments>,
    tx: &mpsc::Sender<ThreadStreamEvent>,
    meta: &ThreadMetadata,
    input: UserMessageInput,
    sent: Vec<Attachment>,
) -> Result<ThreadItem, RespondError> {
    let item = user_message(attachments, meta, input, sent)?;
    store.add_item(&meta.id, &item)?;
    announce_user_message(attachments, tx, &item).await?;
    Ok(item)
}

/// The stored form of the user's input; its attachments are claimed for the thread.
fn user_message(
    attachments: Option<&Attachments>,
    meta: &ThreadMetadata,
    input: UserMessageInput,
    mut sent: Vec<Attachment>,
) -> Result<ThreadItem, RespondError> {
    if let Some(attachments) = attachments {
        attachments.claim(&mut sent, &meta.id)?;
    }
    Ok(ThreadItem {
        id: new_id("msg"),
        thread_id: meta.id.clone(),
        created_at: now(),
        kind: ItemKind::UserMessage {
            content: input.content,
            attachments: sent.iter().map(stored).collect(),
            quoted_text: input.quoted_text,
            inference_options: InferenceOptions {
                tool_choice: input.inference_options.tool_choice,
                model: input.inference_options.model,
            },
        },
    })
}

/// Tells the client about a stored user message, with its image previews filled in.
async fn announce_user_message(
    attachments: Option<&Attachments>,
    tx: &mpsc::Sender<ThreadStreamEvent>,
    item: &ThreadItem,
) -> Result<(), RespondError> {
    let shown = match attachments {
        Some(attachments) => attachments.answered_item(item.clone()),
        None => item.clone(),
    };
    send(tx, ThreadStreamEvent::ItemDone { item: shown }).await
}

/// Deletes `items` from the thread, with any feedback they had.
fn remove_items(
    store: &Arc<dyn ThreadStore>,
    thread_id: &str,
    items: &[ThreadItem],
) -> AppResult<()> {
    for item in items {
        store.delete_item(thread_id, &item.id)?;
    }
    let ids: Vec<String> = items.iter().map(|item| item.id.clone()).collect();
    feedback::forget(store.as_ref(), thread_id, &ids)
}

/// Keeps the model a message picked as the thread's model (server-side metadata, never
/// sent to the client); true when it changed.
fn remember_model(meta: &mut ThreadMetadata, input: &UserMessageInput) -> bool {
    let Some(model) = input.inference_options.model.as_deref().map(str::trim) else {
        return false;
    };
    if model.is_empty()
        || meta.metadata.get(THREAD_MODEL_KEY).and_then(Value::as_str) == Some(model)
    {
        return false;
    }
    meta.metadata.insert(THREAD_MODEL_KEY.into(), model.into());
    true
}

/// The items added after `item_id`, newest first.
fn items_after(
    store: &Arc<dyn ThreadStore>,
    thread_id: &str,
    item_id: &str,
) -> AppResult<Vec<ThreadItem>> {
    let mut newer = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.load_items(thread_id, after.as_deref(), DEFAULT_PAGE_SIZE, Order::Desc)?;
        for item in page.data {
            if item.id == item_id {
                return Ok(newer);
            }
            newer.push(item);
        }
        if !page.has_more {
            return Ok(newer);
        }
        after = page.after;
    }
}

/// Records the answers in a pending structured-input item, as chatkit-python does.
fn apply_structured_input(
    mut item: ThreadItem,
    submission: &crate::chatkit::types::StructuredInputSubmission,
) -> AppResult<ThreadItem> {
    let ItemKind::StructuredInput { status, inputs } = &mut item.kind else {
        return Err(invalid_request(format!(
            "Item {} is not a structured input.",
            item.id
        )));
    };
    if status != "pending" {
        return Err(invalid_request(format!(
            "Structured input {} was already answered.",
            item.id
        )));
    }
    if !matches!(submission.status.as_str(), "answered" | "skipped") {
        return Err(invalid_request(
            "Structured input status must be answered or skipped.",
        ));
    }
    for question in inputs.iter_mut() {
        let Some(question) = question.as_object_mut() else {
            continue;
        };
        let id = question
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let answer = submission.answers.get(id);
        let values: Vec<Value> = answer
            .and_then(|a| a.get("values"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let skipped = submission.status == "skipped"
            || answer
                .and_then(|a| a.get("skipped"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
            || values.is_empty();
        let single = question.get("type").and_then(Value::as_str) == Some("multiple_choice")
            && !question
                .get("multiple")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let answer = if skipped {
            json!({"values": [], "skipped": true})
        } else {
            let values = if single { values[..1].to_vec() } else { values };
            json!({"values": values, "skipped": false})
        };
        question.insert("answer".into(), answer);
    }
    *status = submission.status.clone();
    Ok(item)
}

fn recovery_notices(recoveries: Vec<Recovery>) -> Vec<ThreadStreamEvent> {
    recoveries
        .into_iter()
        .filter_map(|recovery| match recovery {
            Recovery::Clean => None,
            Recovery::Quarantined {
                quarantined,
                restored_from_backup,
            } => Some(ThreadStreamEvent::Notice {
                level: NoticeLevel::Warning,
                title: Some("Some chat history was damaged".into()),
                message: if restored_from_backup {
                    format!("A damaged chat file was moved to {quarantined} and its last good copy restored; the newest message in it may be missing.")
                } else {
                    format!("A damaged chat file was moved to {quarantined}; the conversation in it could not be restored. Everything else is intact.")
                },
            }),
        })
        .collect()
}
