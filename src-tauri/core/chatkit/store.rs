//! What the ChatKit server needs from storage. `storage::thread_store` implements it on
//! crash-safe files; tests and benchmarks use the same implementation in a temp folder.

use crate::chatkit::types::{Order, Page, ThreadItem, ThreadMetadata};
use crate::error::AppResult;
use crate::storage::atomic::Recovery;

/// ChatKit's default page size (chatkit-python's `DEFAULT_PAGE_SIZE`).
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// No page is larger than this, whatever the client asks.
pub const MAX_PAGE_SIZE: usize = 200;

pub trait ThreadStore: Send + Sync {
    /// The thread, or a `not_found` error.
    fn load_thread(&self, thread_id: &str) -> AppResult<ThreadMetadata>;
    /// Creates the thread or updates its metadata.
    fn save_thread(&self, thread: &ThreadMetadata) -> AppResult<()>;
    /// Creates a thread with its first items in one write, durable when this returns.
    fn create_thread(&self, thread: &ThreadMetadata, items: &[ThreadItem]) -> AppResult<()>;
    /// Threads in creation order (ties broken by a sequence number), keyset-paged by id.
    fn load_threads(
        &self,
        limit: usize,
        after: Option<&str>,
        order: Order,
    ) -> AppResult<Page<ThreadMetadata>>;
    fn delete_thread(&self, thread_id: &str) -> AppResult<()>;
    /// Items in the order they were added, keyset-paged by id; hidden items included.
    fn load_items(
        &self,
        thread_id: &str,
        after: Option<&str>,
        limit: usize,
        order: Order,
    ) -> AppResult<Page<ThreadItem>>;
    fn load_item(&self, thread_id: &str, item_id: &str) -> AppResult<ThreadItem>;
    /// Appends an item; durable when this returns.
    fn add_item(&self, thread_id: &str, item: &ThreadItem) -> AppResult<()>;
    /// Replaces the item with the same id, or appends it.
    fn save_item(&self, thread_id: &str, item: &ThreadItem) -> AppResult<()>;
    fn delete_item(&self, thread_id: &str, item_id: &str) -> AppResult<()>;
    /// Applies `edits` in one write that a killed process never loses but a power cut may,
    /// until `flush_items`: for the items of an answer still streaming.
    fn stage_items(&self, thread_id: &str, edits: &[ItemEdit]) -> AppResult<()>;
    /// Makes the staged edits of `thread_id` durable.
    fn flush_items(&self, thread_id: &str) -> AppResult<()>;
    /// Files repaired since the last call, for a notice to the user.
    fn take_recoveries(&self) -> Vec<Recovery>;
}

/// One change to a thread's items.
#[derive(Debug, Clone)]
pub enum ItemEdit {
    Add(ThreadItem),
    /// Replaces the item with the same id, or appends it.
    Save(ThreadItem),
    /// Removes the item with this id (`not_found` if there is none).
    Delete(String),
}

/// A new id such as `thr_3f9a0c1d2b4e5f60`: a prefix saying what it names, then 64 random bits.
pub fn new_id(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &random[..16])
}

/// Rows that keyset paging can point at.
pub trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for ThreadMetadata {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for ThreadItem {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for String {
    fn key(&self) -> &str {
        self
    }
}

/// Cuts one page out of `rows` (already in the requested order), after the row whose id
/// is `after`.
pub fn page_after<T: Keyed>(
    rows: impl Iterator<Item = T>,
    after: Option<&str>,
    limit: usize,
) -> Page<T> {
    let limit = limit.clamp(1, MAX_PAGE_SIZE);
    let mut rows = rows.peekable();
    if let Some(after) = after {
        for row in rows.by_ref() {
            if row.key() == after {
                break;
            }
        }
    }
    let data: Vec<T> = rows.by_ref().take(limit).collect();
    let has_more = rows.peek().is_some();
    let after = data.last().map(|row| row.key().to_string());
    Page {
        data,
        has_more,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_keyset() {
        let ids: Vec<String> = (0..5).map(|n| format!("i{n}")).collect();
        let first = page_after(ids.iter().cloned(), None, 2);
        assert_eq!(first.data, ["i0", "i1"]);
        assert!(first.has_more);
        assert_eq!(first.after.as_deref(), Some("i1"));
        let last = page_after(ids.iter().cloned(), Some("i3"), 2);
        assert_eq!(last.data, ["i4"]);
        assert!(!last.has_more);
    }

    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = new_id("thr");
        assert!(a.starts_with("thr_") && a.len() == 20, "{a}");
        assert_ne!(a, new_id("thr"));
    }
}
