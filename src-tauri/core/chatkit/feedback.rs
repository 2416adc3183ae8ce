//! Thumbs up and down on answers (`items.feedback`), kept with the thread: in its
//! server-side metadata under `feedback`, item id to kind. The protocol never sends thread
//! metadata to clients, so the built-in view asks for it with the `chat.feedback` action.

use serde_json::Value;

use crate::chatkit::store::ThreadStore;
use crate::chatkit::types::{FeedbackKind, Json, ThreadMetadata};
use crate::error::AppResult;

const KEY: &str = "feedback";

/// Records `kind` for every item (the newest word wins), and saves the thread.
pub fn record(
    store: &dyn ThreadStore,
    thread_id: &str,
    item_ids: &[String],
    kind: FeedbackKind,
) -> AppResult<()> {
    let mut meta = store.load_thread(thread_id)?;
    let mut map = of(&meta);
    let value = serde_json::to_value(kind).unwrap_or(Value::Null);
    for id in item_ids {
        map.insert(id.clone(), value.clone());
    }
    meta.metadata.insert(KEY.into(), Value::Object(map));
    store.save_thread(&meta)
}

/// The thread's feedback: item id to `"positive"` or `"negative"`.
pub fn of(meta: &ThreadMetadata) -> Json {
    match meta.metadata.get(KEY) {
        Some(Value::Object(map)) => map.clone(),
        _ => Json::new(),
    }
}

/// Drops the feedback on items that are gone (a retry or an edit removed them).
pub fn forget(store: &dyn ThreadStore, thread_id: &str, item_ids: &[String]) -> AppResult<()> {
    let mut meta = store.load_thread(thread_id)?;
    let mut map = of(&meta);
    let before = map.len();
    map.retain(|id, _| !item_ids.contains(id));
    if map.len() == before {
        return Ok(());
    }
    meta.metadata.insert(KEY.into(), Value::Object(map));
    store.save_thread(&meta)
}
