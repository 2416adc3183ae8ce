//! The ChatKit protocol's wire types, field for field with `chatkit.types` (openai-chatkit
//! 1.6.x). JSON omits null fields, as the Python server does (`exclude_none`). Payloads we
//! only store and pass through (widgets, workflows, attachments, annotations) stay JSON.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub type Json = Map<String, Value>;

/// The current time at microsecond precision, as Python's datetimes carry.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            data: Vec::new(),
            has_more: false,
            after: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Asc,
    #[default]
    Desc,
}

// ---------------------------------------------------------------------------------------
// Requests

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type")]
pub enum ChatKitRequest {
    #[serde(rename = "threads.create")]
    ThreadsCreate { params: ThreadCreateParams },
    #[serde(rename = "threads.add_user_message")]
    ThreadsAddUserMessage { params: ThreadAddUserMessageParams },
    #[serde(rename = "threads.add_client_tool_output")]
    ThreadsAddClientToolOutput {
        params: ThreadAddClientToolOutputParams,
    },
    #[serde(rename = "threads.retry_after_item")]
    ThreadsRetryAfterItem { params: ThreadItemParams },
    #[serde(rename = "threads.custom_action")]
    ThreadsCustomAction { params: ThreadCustomActionParams },
    #[serde(rename = "threads.add_structured_input")]
    ThreadsAddStructuredInput {
        params: ThreadAddStructuredInputParams,
    },
    #[serde(rename = "threads.get_by_id")]
    ThreadsGetById { params: ThreadIdParams },
    #[serde(rename = "threads.list")]
    ThreadsList { params: ListParams },
    #[serde(rename = "items.list")]
    ItemsList { params: ItemsListParams },
    #[serde(rename = "threads.update")]
    ThreadsUpdate { params: ThreadUpdateParams },
    #[serde(rename = "threads.delete")]
    ThreadsDelete { params: ThreadIdParams },
    #[serde(rename = "items.feedback")]
    ItemsFeedback { params: ItemFeedbackParams },
    #[serde(rename = "threads.sync_custom_action")]
    ThreadsSyncCustomAction { params: ThreadCustomActionParams },
    #[serde(rename = "attachments.create")]
    AttachmentsCreate { params: AttachmentCreateParams },
    #[serde(rename = "attachments.delete")]
    AttachmentsDelete { params: AttachmentDeleteParams },
    #[serde(rename = "input.transcribe")]
    InputTranscribe { params: InputTranscribeParams },
}

impl ChatKitRequest {
    /// Streaming ops answer `text/event-stream`; the rest answer JSON.
    pub fn is_streaming(&self) -> bool {
        matches!(
            self,
            Self::ThreadsCreate { .. }
                | Self::ThreadsAddUserMessage { .. }
                | Self::ThreadsAddClientToolOutput { .. }
                | Self::ThreadsRetryAfterItem { .. }
                | Self::ThreadsCustomAction { .. }
                | Self::ThreadsAddStructuredInput { .. }
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ThreadCreateParams {
    pub input: UserMessageInput,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ThreadAddUserMessageParams {
    pub input: UserMessageInput,
    pub thread_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ThreadAddClientToolOutputParams {
    pub thread_id: String,
    pub result: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ThreadItemParams {
    pub thread_id: String,
    pub item_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ThreadIdParams {
    pub thread_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ThreadCustomActionParams {
    pub thread_id: String,
    #[serde(default)]
    pub item_id: Option<String>,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    #[serde(rename = "type")]
    pub action_type: String,
    #[serde(default)]
    pub payload: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ThreadAddStructuredInputParams {
    pub thread_id: String,
    pub item_id: String,
    pub input: StructuredInputSubmission,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StructuredInputSubmission {
    #[serde(default = "answered")]
    pub status: String,
    #[serde(default)]
    pub answers: Map<String, Value>,
}

fn answered() -> String {
    "answered".into()
}

#[derive(Debug, Clone, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub order: Order,
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ItemsListParams {
    pub thread_id: String,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub order: Order,
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ThreadUpdateParams {
    pub thread_id: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedbackKind {
    Positive,
    Negative,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ItemFeedbackParams {
    pub thread_id: String,
    pub item_ids: Vec<String>,
    pub kind: FeedbackKind,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttachmentCreateParams {
    pub name: String,
    pub size: u64,
    pub mime_type: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttachmentDeleteParams {
    pub attachment_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InputTranscribeParams {
    pub audio_base64: String,
    pub mime_type: String,
}

// ---------------------------------------------------------------------------------------
// Attachments

/// `chatkit.types.Attachment`: a file or an image a person attached to a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub mime_type: String,
    /// Where and how to send the bytes (two-phase upload); gone once they arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_descriptor: Option<UploadDescriptor>,
    /// Set when the message that carries it is saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    #[serde(flatten)]
    pub kind: AttachmentKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AttachmentKind {
    File,
    /// `preview_url` is required on the wire; stored items leave it out (it is a data URL
    /// of the image) and it is filled in when they are answered.
    Image {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preview_url: Option<String>,
    },
}

/// `chatkit.types.AttachmentUploadDescriptor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadDescriptor {
    pub url: String,
    pub method: String,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

// ---------------------------------------------------------------------------------------
// Threads

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub id: String,
    #[serde(serialize_with = "crate::chatkit::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub status: ThreadStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_image_domains: Option<Vec<String>>,
    #[serde(default)]
    pub metadata: Json,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ThreadStatus {
    #[default]
    Active,
    Locked {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Closed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// A thread as answered to the client: its metadata, with its items (or an empty page).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Thread {
    #[serde(flatten)]
    pub meta: ThreadMetadata,
    pub items: Page<ThreadItem>,
}

/// By hand, as the same flat object `#[serde(flatten)]` would write: flatten goes through
/// serde's map machinery, a large share of every `threads.list`.
impl Serialize for Thread {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let meta = &self.meta;
        let mut out = serializer.serialize_struct("Thread", 7)?;
        match &meta.title {
            Some(title) => out.serialize_field("title", title)?,
            None => out.skip_field("title")?,
        }
        out.serialize_field("id", &meta.id)?;
        out.serialize_field("created_at", &WireTime(&meta.created_at))?;
        out.serialize_field("status", &meta.status)?;
        match &meta.allowed_image_domains {
            Some(domains) => out.serialize_field("allowed_image_domains", domains)?,
            None => out.skip_field("allowed_image_domains")?,
        }
        out.serialize_field("metadata", &meta.metadata)?;
        out.serialize_field("items", &self.items)?;
        out.end()
    }
}

struct WireTime<'a>(&'a DateTime<Utc>);

impl Serialize for WireTime<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::chatkit::timestamp::serialize(self.0, serializer)
    }
}

// ---------------------------------------------------------------------------------------
// Items

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadItem {
    pub id: String,
    pub thread_id: String,
    #[serde(serialize_with = "crate::chatkit::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: ItemKind,
}

impl ThreadItem {
    /// Hidden items stay on the server: never listed, never streamed.
    pub fn is_hidden(&self) -> bool {
        matches!(
            self.kind,
            ItemKind::HiddenContext { .. } | ItemKind::SdkHiddenContext { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemKind {
    UserMessage {
        content: Vec<UserMessageContent>,
        #[serde(default)]
        attachments: Vec<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quoted_text: Option<String>,
        inference_options: InferenceOptions,
    },
    AssistantMessage {
        content: Vec<AssistantMessageContent>,
    },
    ClientToolCall {
        #[serde(default)]
        status: ToolCallStatus,
        call_id: String,
        name: String,
        arguments: Json,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Value>,
    },
    Widget {
        widget: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        copy_text: Option<String>,
    },
    GeneratedImage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image: Option<Value>,
    },
    StructuredInput {
        #[serde(default = "pending_text")]
        status: String,
        inputs: Vec<Value>,
    },
    Workflow {
        workflow: Value,
    },
    Task {
        task: Value,
    },
    #[serde(rename = "hidden_context_item")]
    HiddenContext {
        content: Value,
    },
    SdkHiddenContext {
        content: String,
    },
    EndOfTurn {},
}

fn pending_text() -> String {
    "pending".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolCallStatus {
    #[default]
    Pending,
    Completed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserMessageContent {
    InputText {
        text: String,
    },
    InputTag {
        id: String,
        text: String,
        #[serde(default)]
        data: Json,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
        #[serde(default)]
        interactive: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InferenceOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolChoice {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserMessageInput {
    pub content: Vec<UserMessageContent>,
    #[serde(default)]
    pub attachments: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_text: Option<String>,
    #[serde(default)]
    pub inference_options: InferenceOptions,
}

impl UserMessageInput {
    /// The text a person typed, with tags as their visible text.
    pub fn text(&self) -> String {
        user_text(&self.content)
    }
}

pub fn user_text(content: &[UserMessageContent]) -> String {
    content
        .iter()
        .map(|part| match part {
            UserMessageContent::InputText { text } | UserMessageContent::InputTag { text, .. } => {
                text.as_str()
            }
        })
        .collect::<Vec<_>>()
        .join("")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "output_text")]
pub struct AssistantMessageContent {
    #[serde(default)]
    pub annotations: Vec<Value>,
    pub text: String,
}

impl AssistantMessageContent {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            annotations: Vec::new(),
            text: text.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Streamed events

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ThreadStreamEvent {
    #[serde(rename = "thread.created")]
    ThreadCreated { thread: Thread },
    #[serde(rename = "thread.updated")]
    ThreadUpdated { thread: Thread },
    #[serde(rename = "thread.item.added")]
    ItemAdded { item: ThreadItem },
    #[serde(rename = "thread.item.done")]
    ItemDone { item: ThreadItem },
    #[serde(rename = "thread.item.updated")]
    ItemUpdated {
        item_id: String,
        update: ThreadItemUpdate,
    },
    #[serde(rename = "thread.item.removed")]
    ItemRemoved { item_id: String },
    #[serde(rename = "thread.item.replaced")]
    ItemReplaced { item: ThreadItem },
    #[serde(rename = "stream_options")]
    StreamOptions { stream_options: StreamOptions },
    #[serde(rename = "progress_update")]
    ProgressUpdate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        icon: Option<String>,
        text: String,
    },
    #[serde(rename = "client_effect")]
    ClientEffect {
        name: String,
        #[serde(default)]
        data: Json,
    },
    #[serde(rename = "error")]
    Error {
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(default)]
        allow_retry: bool,
    },
    #[serde(rename = "notice")]
    Notice {
        level: NoticeLevel,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOptions {
    pub allow_cancel: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeLevel {
    Info,
    Warning,
    Danger,
}

/// The stream error code chatkit-python uses for failures it has no better words for.
pub const STREAM_ERROR: &str = "stream.error";
/// The code for an error whose message is shown as is.
pub const CUSTOM_ERROR: &str = "custom";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ThreadItemUpdate {
    #[serde(rename = "assistant_message.content_part.added")]
    ContentPartAdded {
        content_index: usize,
        content: AssistantMessageContent,
    },
    #[serde(rename = "assistant_message.content_part.text_delta")]
    TextDelta { content_index: usize, delta: String },
    #[serde(rename = "assistant_message.content_part.annotation_added")]
    AnnotationAdded {
        content_index: usize,
        annotation_index: usize,
        annotation: Value,
    },
    #[serde(rename = "assistant_message.content_part.done")]
    ContentPartDone {
        content_index: usize,
        content: AssistantMessageContent,
    },
    #[serde(rename = "widget.streaming_text.value_delta")]
    WidgetStreamingTextValueDelta {
        component_id: String,
        delta: String,
        done: bool,
    },
    #[serde(rename = "widget.root.updated")]
    WidgetRootUpdated { widget: Value },
    #[serde(rename = "widget.component.updated")]
    WidgetComponentUpdated {
        component_id: String,
        component: Value,
    },
    #[serde(rename = "workflow.task.added")]
    WorkflowTaskAdded { task_index: usize, task: Value },
    #[serde(rename = "workflow.task.updated")]
    WorkflowTaskUpdated { task_index: usize, task: Value },
    #[serde(rename = "generated_image.updated")]
    GeneratedImageUpdated {
        image: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        progress: Option<f64>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_parse_by_type_with_defaults() {
        let req: ChatKitRequest = serde_json::from_value(json!({
            "type": "threads.list", "params": {}, "metadata": {"x": 1}
        }))
        .unwrap();
        match req {
            ChatKitRequest::ThreadsList { params } => {
                assert_eq!(params.order, Order::Desc);
                assert_eq!(params.limit, None);
            }
            other => panic!("{other:?}"),
        }
        let unknown = serde_json::from_value::<ChatKitRequest>(
            json!({"type": "threads.explode", "params": {}}),
        );
        assert!(unknown.is_err());
    }

    #[test]
    fn items_serialize_flat_with_their_type_and_without_nulls() {
        let item = ThreadItem {
            id: "msg_1".into(),
            thread_id: "thr_1".into(),
            created_at: "2026-11-21T09:00:00.123456Z".parse().unwrap(),
            kind: ItemKind::AssistantMessage {
                content: vec![AssistantMessageContent::text("Hi")],
            },
        };
        let value = serde_json::to_value(&item).unwrap();
        assert_eq!(
            value,
            json!({
                "id": "msg_1", "thread_id": "thr_1", "created_at": "2026-11-21T09:00:00.123456Z",
                "type": "assistant_message",
                "content": [{"type": "output_text", "text": "Hi", "annotations": []}]
            })
        );
        assert_eq!(serde_json::from_value::<ThreadItem>(value).unwrap(), item);

        let thread = Thread {
            meta: ThreadMetadata {
                title: None,
                id: "thr_1".into(),
                created_at: item.created_at,
                status: ThreadStatus::Active,
                allowed_image_domains: None,
                metadata: Json::new(),
            },
            items: Page::default(),
        };
        let text = serde_json::to_string(&thread).unwrap();
        assert!(!text.contains("null"), "{text}");
        assert!(text.contains(r#""status":{"type":"active"}"#), "{text}");
    }

    #[test]
    fn a_thread_serializes_as_its_flattened_metadata_and_items() {
        // What `#[serde(flatten)]` writes, the form the hand-written impl must keep.
        #[derive(Serialize)]
        struct Flat<'a> {
            #[serde(flatten)]
            meta: &'a ThreadMetadata,
            items: &'a Page<ThreadItem>,
        }
        let plain = ThreadMetadata {
            title: None,
            id: "thr_1".into(),
            created_at: "2026-11-21T09:00:00Z".parse().unwrap(),
            status: ThreadStatus::Active,
            allowed_image_domains: None,
            metadata: Json::new(),
        };
        let mut full = plain.clone();
        full.title = Some("Groceries \"weekly\"".into());
        full.created_at = "2026-11-21T09:00:00.120Z".parse().unwrap();
        full.status = ThreadStatus::Locked {
            reason: Some("read only".into()),
        };
        full.allowed_image_domains = Some(vec!["example.com".into()]);
        full.metadata.insert("model".into(), json!("gpt-5-mini"));
        let items = Page {
            data: vec![ThreadItem {
                id: "msg_1".into(),
                thread_id: "thr_1".into(),
                created_at: "2026-11-21T09:00:01.123456Z".parse().unwrap(),
                kind: ItemKind::AssistantMessage {
                    content: vec![AssistantMessageContent::text("Hi")],
                },
            }],
            has_more: true,
            after: Some("msg_1".into()),
        };
        for (meta, items) in [(plain, Page::default()), (full, items)] {
            let thread = Thread { meta, items };
            let flat = Flat {
                meta: &thread.meta,
                items: &thread.items,
            };
            let text = serde_json::to_string(&thread).unwrap();
            assert_eq!(text, serde_json::to_string(&flat).unwrap());
            assert_eq!(serde_json::from_str::<Thread>(&text).unwrap(), thread);
        }
    }

    #[test]
    fn events_carry_their_dotted_type() {
        let event = ThreadStreamEvent::ItemUpdated {
            item_id: "msg_1".into(),
            update: ThreadItemUpdate::TextDelta {
                content_index: 0,
                delta: "Hel".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({"type": "thread.item.updated", "item_id": "msg_1",
                   "update": {"type": "assistant_message.content_part.text_delta", "content_index": 0, "delta": "Hel"}})
        );
    }
}
