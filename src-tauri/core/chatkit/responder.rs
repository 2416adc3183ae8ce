//! The seam between the ChatKit server and whatever answers: a `Responder` gets a turn and
//! an `EventSink`, and emits protocol events into it. The sink does the bookkeeping
//! chatkit-python's server does: `done`/`replaced`/`removed` items are stored as they are
//! emitted, in-flight items are tracked so a cancelled stream keeps its partial text, and a
//! changed thread (a new title) is saved and announced.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::chatkit::attachments::Attachments;
use crate::chatkit::store::{new_id, ItemEdit, ThreadStore};
use crate::chatkit::types::{
    now, Action, AssistantMessageContent, ItemKind, Page, Thread, ThreadItem, ThreadItemUpdate,
    ThreadMetadata, ThreadStreamEvent, CUSTOM_ERROR, STREAM_ERROR,
};
use crate::error::AppError;
use crate::storage::attachment_files::AttachmentFiles;

/// What the responder is asked to answer.
#[derive(Debug, Clone)]
pub enum Turn {
    /// A new (or retried) user message.
    UserMessage(ThreadItem),
    /// The thread moved on without a new message: a client tool's output or a structured
    /// input arrived, and the responder continues from the stored items.
    Continue,
    /// A widget or client action.
    Action {
        action: Action,
        sender: Option<ThreadItem>,
    },
}

/// Why a response stopped early.
#[derive(Debug, Clone, PartialEq)]
pub enum RespondError {
    /// The client went away; nothing more can be sent.
    Cancelled,
    /// The response failed; the user sees `message` (or ChatKit's generic text when `None`).
    /// `app_code`, when set, also reaches the app as a `client_effect` named `app_error`
    /// with the stable code, so the UI can act on it (e.g. open Settings).
    Failed {
        message: Option<String>,
        allow_retry: bool,
        app_code: Option<&'static str>,
    },
}

impl RespondError {
    pub fn failed(message: impl Into<String>, allow_retry: bool) -> Self {
        RespondError::Failed {
            message: Some(message.into()),
            allow_retry,
            app_code: None,
        }
    }

    pub fn coded(code: &'static str, message: impl Into<String>, allow_retry: bool) -> Self {
        RespondError::Failed {
            message: Some(message.into()),
            allow_retry,
            app_code: Some(code),
        }
    }
}

impl From<AppError> for RespondError {
    fn from(err: AppError) -> Self {
        tracing::error!(code = ?err.code, "response failed: {}", err.message);
        RespondError::Failed {
            message: Some(err.message),
            allow_retry: true,
            app_code: None,
        }
    }
}

impl RespondError {
    /// The events that tell the client: the app-level code (if any), then the error.
    pub fn to_events(&self) -> Vec<ThreadStreamEvent> {
        let RespondError::Failed {
            message, app_code, ..
        } = self
        else {
            return Vec::new();
        };
        let mut events = Vec::new();
        if let Some(code) = app_code {
            let mut data = crate::chatkit::types::Json::new();
            data.insert("code".into(), (*code).into());
            data.insert("message".into(), message.clone().unwrap_or_default().into());
            events.push(ThreadStreamEvent::ClientEffect {
                name: "app_error".into(),
                data,
            });
        }
        events.extend(self.to_event());
        events
    }

    pub fn to_event(&self) -> Option<ThreadStreamEvent> {
        match self {
            RespondError::Cancelled => None,
            RespondError::Failed {
                message,
                allow_retry,
                ..
            } => Some(ThreadStreamEvent::Error {
                code: if message.is_some() {
                    CUSTOM_ERROR
                } else {
                    STREAM_ERROR
                }
                .to_string(),
                message: message.clone(),
                allow_retry: *allow_retry,
            }),
        }
    }
}

#[async_trait]
pub trait Responder: Send + Sync {
    /// Streams the answer to `turn` into `sink`.
    async fn respond(&self, turn: Turn, sink: &mut EventSink) -> Result<(), RespondError>;

    /// Answers `threads.sync_custom_action`: the updated sender widget, if it changed.
    fn sync_action(
        &self,
        _thread: &ThreadMetadata,
        _action: &Action,
        _sender: Option<&ThreadItem>,
    ) -> Result<Option<ThreadItem>, AppError> {
        Ok(None)
    }
}

/// Where a response's events go: to the store when they change it, then to the client.
///
/// The answer's items are stored before they are sent, each write whole and renamed into
/// place (a killed process loses none), but flushed to the disk once, when the turn ends
/// (`finish`): one flush a turn instead of one per item. A hidden item (a tool run's
/// record) is never sent, so it waits and is written with the next item.
pub struct EventSink {
    pub(crate) store: Arc<dyn ThreadStore>,
    pub(crate) tx: mpsc::Sender<ThreadStreamEvent>,
    thread: ThreadMetadata,
    last_saved: ThreadMetadata,
    pending: HashMap<String, ThreadItem>,
    attachments: Option<Arc<Attachments>>,
    /// Edits not written yet: hidden items waiting for the next write.
    held: Vec<ItemEdit>,
    /// Whether anything was written unflushed this turn.
    unflushed: bool,
}

impl EventSink {
    pub fn new(
        store: Arc<dyn ThreadStore>,
        tx: mpsc::Sender<ThreadStreamEvent>,
        thread: ThreadMetadata,
    ) -> Self {
        Self {
            store,
            tx,
            last_saved: thread.clone(),
            thread,
            pending: HashMap::new(),
            attachments: None,
            held: Vec::new(),
            unflushed: false,
        }
    }

    /// Lets the responder read the bytes of the thread's attachments.
    pub fn with_attachments(mut self, attachments: Option<Arc<Attachments>>) -> Self {
        self.attachments = attachments;
        self
    }

    /// The attachment files, when this server keeps attachments.
    pub fn attachment_files(&self) -> Option<&AttachmentFiles> {
        self.attachments.as_deref().map(Attachments::files)
    }

    pub fn thread(&self) -> &ThreadMetadata {
        &self.thread
    }

    /// Change the thread (e.g. its title); the change is saved and announced after the
    /// next event.
    pub fn thread_mut(&mut self) -> &mut ThreadMetadata {
        &mut self.thread
    }

    pub fn store(&self) -> &Arc<dyn ThreadStore> {
        &self.store
    }

    /// A fresh item id for this thread.
    pub fn new_item_id(&self, prefix: &str) -> String {
        new_id(prefix)
    }

    /// A new item of this thread, stamped now.
    pub fn item(&self, prefix: &str, kind: ItemKind) -> ThreadItem {
        ThreadItem {
            id: new_id(prefix),
            thread_id: self.thread.id.clone(),
            created_at: now(),
            kind,
        }
    }

    /// Stores what the event changes, then sends it. Hidden items are stored, never sent.
    pub async fn emit(&mut self, event: ThreadStreamEvent) -> Result<(), RespondError> {
        let thread_id = self.thread.id.clone();
        let mut forward = true;
        match &event {
            ThreadStreamEvent::ItemAdded { item } => {
                self.pending.insert(item.id.clone(), item.clone());
            }
            ThreadStreamEvent::ItemDone { item } => {
                self.pending.remove(&item.id);
                forward = !item.is_hidden();
                if forward {
                    self.stage(&thread_id, ItemEdit::Add(item.clone()))?;
                } else {
                    self.held.push(ItemEdit::Add(item.clone()));
                }
            }
            ThreadStreamEvent::ItemRemoved { item_id } => {
                self.stage(&thread_id, ItemEdit::Delete(item_id.clone()))?;
                self.pending.remove(item_id);
            }
            ThreadStreamEvent::ItemReplaced { item } => {
                self.stage(&thread_id, ItemEdit::Save(item.clone()))?;
                self.pending.remove(&item.id);
            }
            ThreadStreamEvent::ItemUpdated { item_id, update } => {
                if let Some(item) = self.pending.get_mut(item_id) {
                    apply_update(item, update);
                }
            }
            _ => {}
        }
        if forward {
            self.send(event).await?;
        }
        self.flush_thread().await
    }

    /// Redraws a stored widget in place: the item is saved with its new root, and the
    /// client is sent `widget.root.updated` for it (chatkit-python's servers do the same).
    pub async fn update_widget(
        &mut self,
        item: &ThreadItem,
        widget: serde_json::Value,
        copy_text: Option<String>,
    ) -> Result<ThreadItem, RespondError> {
        let mut updated = item.clone();
        updated.kind = ItemKind::Widget {
            widget: widget.clone(),
            copy_text,
        };
        self.store.save_item(&self.thread.id, &updated)?;
        self.send(ThreadStreamEvent::ItemUpdated {
            item_id: updated.id.clone(),
            update: ThreadItemUpdate::WidgetRootUpdated { widget },
        })
        .await?;
        Ok(updated)
    }

    /// Writes `edit` with the held ones, before its event is sent.
    fn stage(&mut self, thread_id: &str, edit: ItemEdit) -> Result<(), AppError> {
        self.held.push(edit);
        let written = self.store.stage_items(thread_id, &self.held);
        if written.is_ok() {
            self.held.clear();
            self.unflushed = true;
        } else {
            // Not written: the client is not told about it either.
            self.held.pop();
        }
        written
    }

    /// Ends the turn: writes what is held and flushes the turn's writes to the disk.
    pub(crate) fn finish(&mut self) {
        let thread_id = self.thread.id.clone();
        if !self.held.is_empty() {
            match self.store.stage_items(&thread_id, &self.held) {
                Ok(()) => {
                    self.held.clear();
                    self.unflushed = true;
                }
                Err(e) => tracing::error!("could not store the turn's last items: {}", e.message),
            }
        }
        if std::mem::take(&mut self.unflushed) {
            if let Err(e) = self.store.flush_items(&thread_id) {
                tracing::error!("could not flush the turn's items: {}", e.message);
            }
        }
    }

    /// Sends an event that changes nothing stored (stream options, notices).
    pub(crate) async fn send(&self, event: ThreadStreamEvent) -> Result<(), RespondError> {
        self.tx
            .send(event)
            .await
            .map_err(|_| RespondError::Cancelled)
    }

    /// Saves and announces the thread if the responder changed it.
    pub(crate) async fn flush_thread(&mut self) -> Result<(), RespondError> {
        if self.thread == self.last_saved {
            return Ok(());
        }
        let merged = self.merged_thread();
        self.store.save_thread(&merged)?;
        self.thread = merged;
        self.last_saved = self.thread.clone();
        self.send(ThreadStreamEvent::ThreadUpdated {
            thread: thread_response(self.thread.clone(), Page::default()),
        })
        .await
    }

    /// The stored thread with this response's changes laid over it, so what others saved
    /// meanwhile (a rename, feedback in the metadata) is kept rather than overwritten.
    fn merged_thread(&self) -> ThreadMetadata {
        let Ok(mut stored) = self.store.load_thread(&self.thread.id) else {
            return self.thread.clone();
        };
        if self.thread.title != self.last_saved.title {
            stored.title = self.thread.title.clone();
        }
        if self.thread.status != self.last_saved.status {
            stored.status = self.thread.status.clone();
        }
        for (key, value) in &self.thread.metadata {
            if self.last_saved.metadata.get(key) != Some(value) {
                stored.metadata.insert(key.clone(), value.clone());
            }
        }
        stored
    }

    /// After a cancel: keeps non-empty partial assistant text and tells the model, through
    /// a hidden item, that the user stopped the previous answer.
    pub(crate) fn keep_partial_work(&mut self) {
        let thread_id = self.thread.id.clone();
        for (_, item) in self.pending.drain() {
            if let ItemKind::AssistantMessage { content } = &item.kind {
                if content.iter().any(|part| !part.text.trim().is_empty()) {
                    self.held.push(ItemEdit::Add(item));
                }
            }
        }
        let note = ThreadItem {
            id: new_id("sdk_hidden_context"),
            thread_id: thread_id.clone(),
            created_at: now(),
            kind: ItemKind::SdkHiddenContext {
                content: "The user cancelled the stream. Stop responding to the prior request."
                    .into(),
            },
        };
        self.held.push(ItemEdit::Add(note));
        self.finish();
        if self.thread != self.last_saved {
            if let Err(e) = self.store.save_thread(&self.merged_thread()) {
                tracing::error!("could not save the thread after cancel: {}", e.message);
            }
        }
    }
}

/// A thread as the protocol answers it; like chatkit-python, hidden items are left out and
/// server-side metadata stays on the server.
pub fn thread_response(mut meta: ThreadMetadata, mut items: Page<ThreadItem>) -> Thread {
    items.data.retain(|item| !item.is_hidden());
    meta.metadata = Default::default();
    Thread { meta, items }
}

fn apply_update(item: &mut ThreadItem, update: &ThreadItemUpdate) {
    let ItemKind::AssistantMessage { content } = &mut item.kind else {
        return;
    };
    let index = match update {
        ThreadItemUpdate::ContentPartAdded { content_index, .. }
        | ThreadItemUpdate::TextDelta { content_index, .. }
        | ThreadItemUpdate::AnnotationAdded { content_index, .. }
        | ThreadItemUpdate::ContentPartDone { content_index, .. } => *content_index,
        _ => return,
    };
    while content.len() <= index {
        content.push(AssistantMessageContent::text(""));
    }
    match update {
        ThreadItemUpdate::ContentPartAdded { content: part, .. }
        | ThreadItemUpdate::ContentPartDone { content: part, .. } => content[index] = part.clone(),
        ThreadItemUpdate::TextDelta { delta, .. } => content[index].text.push_str(delta),
        ThreadItemUpdate::AnnotationAdded {
            annotation_index,
            annotation,
            ..
        } => {
            let annotations = &mut content[index].annotations;
            let at = (*annotation_index).min(annotations.len());
            annotations.insert(at, annotation.clone());
        }
        _ => {}
    }
}

/// Streams one assistant message: `begin` adds it, `delta` appends text, `finish` completes
/// and stores it. Dropped half-way (a cancel), the sink keeps the text streamed so far.
pub struct AssistantMessageWriter {
    item: ThreadItem,
    text: String,
}

impl AssistantMessageWriter {
    pub async fn begin(sink: &mut EventSink) -> Result<Self, RespondError> {
        let item = sink.item("msg", ItemKind::AssistantMessage { content: vec![] });
        sink.emit(ThreadStreamEvent::ItemAdded { item: item.clone() })
            .await?;
        sink.emit(ThreadStreamEvent::ItemUpdated {
            item_id: item.id.clone(),
            update: ThreadItemUpdate::ContentPartAdded {
                content_index: 0,
                content: AssistantMessageContent::text(""),
            },
        })
        .await?;
        Ok(Self {
            item,
            text: String::new(),
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub async fn delta(&mut self, sink: &mut EventSink, delta: String) -> Result<(), RespondError> {
        self.text.push_str(&delta);
        sink.emit(ThreadStreamEvent::ItemUpdated {
            item_id: self.item.id.clone(),
            update: ThreadItemUpdate::TextDelta {
                content_index: 0,
                delta,
            },
        })
        .await
    }

    pub async fn finish(mut self, sink: &mut EventSink) -> Result<ThreadItem, RespondError> {
        let part = AssistantMessageContent::text(std::mem::take(&mut self.text));
        sink.emit(ThreadStreamEvent::ItemUpdated {
            item_id: self.item.id.clone(),
            update: ThreadItemUpdate::ContentPartDone {
                content_index: 0,
                content: part.clone(),
            },
        })
        .await?;
        self.item.kind = ItemKind::AssistantMessage {
            content: vec![part],
        };
        sink.emit(ThreadStreamEvent::ItemDone {
            item: self.item.clone(),
        })
        .await?;
        Ok(self.item)
    }
}
