//! Actions the server itself answers, for the app's built-in chat view: sent as
//! `threads.custom_action` without an `item_id` (ChatKit's own `sendCustomAction` shape), so
//! they travel the one protocol path and never reach the assistant.
//!
//! - `chat.feedback`: streams a `client_effect` named `feedback` whose data is
//!   `{"items": {item_id: "positive" | "negative"}}`, the thread's stored thumbs.
//! - `chat.edit_message` `{item_id, text}`: replaces a user message with new text and
//!   answers it again; the message and everything after it are removed (streamed as
//!   `thread.item.removed`), like `threads.retry_after_item` with a new question.

use serde_json::Value;

use crate::chatkit::store::ThreadStore;
use crate::chatkit::types::{Action, ItemKind, ThreadItem, UserMessageContent, UserMessageInput};
use crate::error::{excerpt, AppError, AppResult, ErrorCode};

pub const FEEDBACK: &str = "chat.feedback";
pub const EDIT_MESSAGE: &str = "chat.edit_message";

pub enum AppAction {
    Feedback,
    Edit {
        message: Box<ThreadItem>,
        input: UserMessageInput,
    },
}

fn refuse(message: String) -> AppError {
    AppError::new(ErrorCode::InvalidRequest, message)
}

/// The app action `action` names, checked; `None` when it is not one (the assistant's).
pub fn parse(
    store: &dyn ThreadStore,
    thread_id: &str,
    action: &Action,
) -> AppResult<Option<AppAction>> {
    match action.action_type.as_str() {
        FEEDBACK => Ok(Some(AppAction::Feedback)),
        EDIT_MESSAGE => {
            let field = |name: &str| action.payload.get(name).and_then(Value::as_str);
            let item_id = field("item_id").ok_or_else(|| {
                refuse(format!(
                    "{EDIT_MESSAGE} needs the message's item_id in its payload."
                ))
            })?;
            let text = field("text").map(str::trim).unwrap_or_default();
            if text.is_empty() {
                return Err(refuse(
                    "An edited message needs some text; type what to ask instead.".into(),
                ));
            }
            let message = store.load_item(thread_id, item_id)?;
            let ItemKind::UserMessage {
                attachments,
                quoted_text,
                inference_options,
                ..
            } = &message.kind
            else {
                return Err(refuse(format!(
                    "Item {} is not a user message, so it cannot be edited.",
                    excerpt(item_id)
                )));
            };
            let input = UserMessageInput {
                content: vec![UserMessageContent::InputText { text: text.into() }],
                attachments: attachments
                    .iter()
                    .filter_map(|a| a["id"].as_str().map(str::to_string))
                    .collect(),
                quoted_text: quoted_text.clone(),
                inference_options: inference_options.clone(),
            };
            Ok(Some(AppAction::Edit {
                message: Box::new(message),
                input,
            }))
        }
        _ => Ok(None),
    }
}
