//! ChatKit threads on disk: one document per thread (its metadata and items) plus an index
//! of thread metadata, so adding a message rewrites only that thread's file. Every
//! document carries a schema version. The index can always be rebuilt from the thread
//! files, and is reconciled with them at start, so a crash between the two writes of one
//! change loses nothing.
//!
//! Write order keeps that true: a new thread's file is written before the index names it;
//! a deleted thread's file is removed before the index forgets it. Index changes are
//! lines appended to a journal (`index_journal`), so they cost the same with ten threads
//! or ten thousand.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chatkit::store::{page_after, ItemEdit, ThreadStore};
use crate::chatkit::types::{Order, Page, ThreadItem, ThreadMetadata};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::atomic::{Flush, Recovery};
use crate::storage::documents::{read_file_as, Document, DocumentStore, Stamp};
use crate::storage::index_journal::{Cursor, Entry, Journal, Tail};

pub const THREAD_SCHEMA_VERSION: u64 = 1;
pub(crate) const INDEX: &str = "index";
/// The journal is folded into the index once it has this many entries, or half as many
/// as there are threads, whichever is more: each thread change then costs O(1) amortized.
const COMPACT_AFTER: usize = 1000;
/// How often a reader that raced a compaction rereads before it settles.
const RACE_RETRIES: usize = 20;

#[derive(Serialize, Deserialize)]
struct IndexDoc {
    schema_version: u64,
    /// The generation the journal that continues this index names (see `index_journal`);
    /// absent in indexes written before the journal existed.
    #[serde(default)]
    generation: u64,
    next_seq: u64,
    threads: Vec<IndexEntry>,
}

#[derive(Clone, Serialize, Deserialize)]
struct IndexEntry {
    seq: u64,
    thread: ThreadMetadata,
}

#[derive(Serialize, Deserialize)]
struct ThreadDoc {
    schema_version: u64,
    /// The thread's place in the list; stable, unlike timestamps, which can tie.
    seq: u64,
    thread: ThreadMetadata,
    items: Vec<ThreadItem>,
}

#[derive(Default)]
struct Index {
    /// The version of `index.json` this copy was read from or written as; another
    /// process's write changes it, and the copy is then reread.
    stamp: Option<Stamp>,
    /// `index.json`'s generation.
    generation: u64,
    /// How far the journal has been applied.
    journal: Cursor,
    /// Set when a write failed half-way: the copy may not match the disk.
    stale: bool,
    next_seq: u64,
    by_seq: BTreeMap<u64, ThreadMetadata>,
    seq_of: HashMap<String, u64>,
}

impl Index {
    fn insert(&mut self, seq: u64, thread: ThreadMetadata) {
        self.next_seq = self.next_seq.max(seq + 1);
        if let Some(old) = self.seq_of.insert(thread.id.clone(), seq) {
            if old != seq {
                self.by_seq.remove(&old);
            }
        }
        self.by_seq.insert(seq, thread);
    }

    fn remove(&mut self, thread_id: &str) {
        if let Some(seq) = self.seq_of.remove(thread_id) {
            self.by_seq.remove(&seq);
        }
    }

    fn apply(&mut self, entries: Vec<Entry>) {
        for entry in entries {
            match entry {
                Entry::Put { seq, thread } => self.insert(seq, thread),
                Entry::Deleted { deleted } => self.remove(&deleted),
                Entry::Header { .. } => {}
            }
        }
    }

    fn compaction_due(&self, compact_after: usize) -> bool {
        self.journal.entries >= compact_after.max(self.by_seq.len() / 2)
            || self
                .journal
                .generation
                .is_some_and(|g| g != self.generation)
    }

    fn to_doc(&self) -> IndexDoc {
        IndexDoc {
            schema_version: THREAD_SCHEMA_VERSION,
            generation: self.generation,
            next_seq: self.next_seq,
            threads: self
                .by_seq
                .iter()
                .map(|(seq, thread)| IndexEntry {
                    seq: *seq,
                    thread: thread.clone(),
                })
                .collect(),
        }
    }
}

pub struct FileThreadStore {
    docs: Arc<dyn DocumentStore>,
    journal: Journal,
    index: Mutex<Index>,
    compact_after: usize,
}

fn not_found(what: &str, id: &str) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No {what} with id {id}."))
}

/// The documents here, which say which schema wrote them.
trait Versioned: DeserializeOwned {
    fn schema_version(&self) -> u64;
}

impl Versioned for IndexDoc {
    fn schema_version(&self) -> u64 {
        self.schema_version
    }
}

impl Versioned for ThreadDoc {
    fn schema_version(&self) -> u64 {
        self.schema_version
    }
}

fn decode<T: Versioned>(name: &str, doc: Document) -> AppResult<T> {
    let version = doc
        .get("schema_version")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if version > THREAD_SCHEMA_VERSION {
        return Err(AppError::new(
            ErrorCode::StorageFailed,
            format!("{name} was written by a newer version of Todo Assistant (schema {version}); update the app to read it."),
        ));
    }
    // Through bytes, so documents have one parser (`read_file_as`'s), not a second for
    // `Value`s in the binary; this is only the path of files that needed a look first.
    let bytes = serde_json::to_vec(&doc)
        .map_err(|e| AppError::internal(format!("could not re-encode {name}: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        AppError::new(
            ErrorCode::StorageCorrupt,
            format!("{name} does not have the expected shape: {e}"),
        )
    })
}

/// A document's bytes for `write_encoded`: serialized once, with no `Value` tree.
fn encode<T: Serialize>(value: &T) -> AppResult<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| AppError::internal(format!("could not encode a document: {e}")))
}

fn apply_edit(items: &mut Vec<ThreadItem>, edit: &ItemEdit) -> AppResult<()> {
    match edit {
        ItemEdit::Add(item) => items.push(item.clone()),
        ItemEdit::Save(item) => match items.iter_mut().find(|existing| existing.id == item.id) {
            Some(existing) => *existing = item.clone(),
            None => items.push(item.clone()),
        },
        ItemEdit::Delete(item_id) => {
            let before = items.len();
            items.retain(|item| &item.id != item_id);
            if items.len() == before {
                return Err(not_found("item", item_id));
            }
        }
    }
    Ok(())
}

impl FileThreadStore {
    /// Opens the store, rebuilding or reconciling the index with the thread files.
    pub fn open(docs: Arc<dyn DocumentStore>) -> AppResult<Self> {
        Self::open_compacting_after(docs, COMPACT_AFTER)
    }

    /// `open`, folding the journal after `compact_after` entries (tests use a few).
    fn open_compacting_after(
        docs: Arc<dyn DocumentStore>,
        compact_after: usize,
    ) -> AppResult<Self> {
        let store = Self {
            journal: Journal::new(docs.root()),
            docs,
            index: Mutex::new(Index::default()),
            compact_after,
        };
        // Reconciling reads the whole folder: no other process may change it meanwhile.
        let _folder = store.docs.lock_folder()?;
        let (mut index, mut changed) = match store.load_index(0) {
            Ok(index) => (index, false),
            Err(e) if e.code == ErrorCode::StorageCorrupt => {
                tracing::warn!("thread index unreadable, rebuilding: {}", e.message);
                let index = Index {
                    journal: store.journal.read_all()?.1,
                    ..Index::default()
                };
                (index, true)
            }
            Err(e) => return Err(e),
        };
        changed |= index.stamp.is_none();

        let on_disk: HashSet<String> = store
            .docs
            .names()?
            .into_iter()
            .filter(|name| name != INDEX)
            .collect();
        let vanished: Vec<String> = index
            .seq_of
            .keys()
            .filter(|id| !on_disk.contains(*id))
            .cloned()
            .collect();
        for id in vanished {
            index.remove(&id);
            changed = true;
        }
        for name in on_disk {
            if index.seq_of.contains_key(&name) {
                continue;
            }
            match store
                .docs
                .read(&name)?
                .map(|doc| decode::<ThreadDoc>(&name, doc))
            {
                Some(Ok(thread)) => {
                    let seq = if index.by_seq.contains_key(&thread.seq) {
                        index.next_seq
                    } else {
                        thread.seq
                    };
                    index.insert(seq, thread.thread);
                    changed = true;
                }
                Some(Err(e)) => tracing::warn!("skipping thread file {name}: {}", e.message),
                None => {}
            }
        }
        if changed || index.compaction_due(store.compact_after) {
            store.compact(&mut index)?;
        }
        *store.index.lock().unwrap() = index;
        drop(_folder);
        Ok(store)
    }

    /// Reads `index.json` and applies its journal. A reader that raced another process's
    /// compaction (the index and the journal of different generations) reads again, up to
    /// `retries` times; under the folder lock no race is possible, so none are needed.
    fn load_index(&self, retries: usize) -> AppResult<Index> {
        let mut attempt = 0;
        loop {
            let stamp = self.docs.stamp(INDEX)?;
            let mut index = Index::default();
            if let Some(stored) = self.read_doc::<IndexDoc>(INDEX)? {
                index.generation = stored.generation;
                index.next_seq = stored.next_seq;
                for entry in stored.threads {
                    index.insert(entry.seq, entry.thread);
                }
            }
            let (entries, cursor) = self.journal.read_all()?;
            let settled = cursor.generation.is_none_or(|g| g == index.generation)
                && self.docs.stamp(INDEX)? == stamp;
            if !settled && attempt < retries {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(2));
                continue;
            }
            // Still different: a crash interrupted a compaction. An older journal is in
            // the index already; a newer one (the index came back from its `.bak`) adds
            // what it has, and the next start's reconcile the rest. The next write
            // compacts either way.
            if cursor.generation.is_none_or(|g| g >= index.generation) {
                index.apply(entries);
            }
            index.stamp = stamp;
            index.journal = cursor;
            return Ok(index);
        }
    }

    /// The index as it is on disk now: only the journal's new lines are read, unless
    /// another process compacted it.
    fn fresh(&self) -> AppResult<MutexGuard<'_, Index>> {
        let mut index = self.index.lock().unwrap();
        if !index.stale && self.docs.stamp(INDEX)? == index.stamp {
            match self.journal.read_new(&index.journal)? {
                Tail::Same => return Ok(index),
                Tail::Appended(entries, cursor) if cursor.generation == Some(index.generation) => {
                    index.apply(entries);
                    index.journal = cursor;
                    return Ok(index);
                }
                Tail::Appended(..) | Tail::Replaced => {}
            }
        }
        *index = self.load_index(RACE_RETRIES)?;
        Ok(index)
    }

    /// Folds the journal into a new `index.json` and starts an empty journal. Callers
    /// hold `lock_folder`.
    fn compact(&self, index: &mut Index) -> AppResult<()> {
        index.generation = index.generation.max(index.journal.generation.unwrap_or(0)) + 1;
        self.docs
            .write_encoded(INDEX, &encode(&index.to_doc())?, Flush::Now)?;
        index.stamp = self.docs.stamp(INDEX)?;
        index.journal = self.journal.restart(index.generation)?;
        Ok(())
    }

    /// Records a change the in-memory index already has: one journal line, or a
    /// compaction when one is due. Callers hold `lock_folder`.
    fn record(&self, index: &mut Index, entry: Entry, flush: bool) -> AppResult<()> {
        let written = if index.compaction_due(self.compact_after) {
            self.compact(index)
        } else {
            let generation = index.generation;
            self.journal
                .append(&mut index.journal, generation, &entry, flush)
        };
        if written.is_err() {
            index.stale = true;
        }
        written
    }

    /// Reads a document. items.list and threads.get_by_id read a thread on every request:
    /// a whole file of this schema is parsed once, straight into `T`; any other goes
    /// through `docs.read`, which repairs and reports, and `decode`.
    fn read_doc<T: Versioned>(&self, name: &str) -> AppResult<Option<T>> {
        if let Some(doc) = read_file_as::<T>(self.docs.root(), name) {
            if doc.schema_version() <= THREAD_SCHEMA_VERSION {
                return Ok(Some(doc));
            }
        }
        self.docs
            .read(name)?
            .map(|doc| decode(name, doc))
            .transpose()
    }

    fn read_thread_doc(&self, thread_id: &str) -> AppResult<ThreadDoc> {
        self.read_doc(thread_id)?
            .ok_or_else(|| not_found("thread", thread_id))
    }

    fn require_thread(&self, index: &Index, thread_id: &str) -> AppResult<u64> {
        index
            .seq_of
            .get(thread_id)
            .copied()
            .ok_or_else(|| not_found("thread", thread_id))
    }

    /// Writes a new thread's file (flushed: it is what a lost journal line is rebuilt
    /// from), then names it in the in-memory index. Callers hold `lock_folder`.
    fn create_file(
        &self,
        index: &mut Index,
        thread: &ThreadMetadata,
        items: &[ThreadItem],
    ) -> AppResult<u64> {
        if index.seq_of.contains_key(&thread.id) {
            return Err(AppError::invalid_input(format!(
                "thread {} exists",
                thread.id
            )));
        }
        let seq = index.next_seq;
        let doc = ThreadDoc {
            schema_version: THREAD_SCHEMA_VERSION,
            seq,
            thread: thread.clone(),
            items: items.to_vec(),
        };
        self.docs
            .write_encoded(&thread.id, &encode(&doc)?, Flush::Now)?;
        index.insert(seq, thread.clone());
        Ok(seq)
    }

    /// Reads a thread's document, applies `edits`, and writes it back.
    fn edit_items(&self, thread_id: &str, edits: &[ItemEdit], flush: Flush) -> AppResult<()> {
        // Another process may append to the same thread: read, change and write under the lock.
        let _folder = self.docs.lock_folder()?;
        let index = self.fresh()?;
        self.require_thread(&index, thread_id)?;
        drop(index);
        let mut doc = self.read_thread_doc(thread_id)?;
        for edit in edits {
            apply_edit(&mut doc.items, edit)?;
        }
        self.docs.write_encoded(thread_id, &encode(&doc)?, flush)
    }
}

impl FileThreadStore {
    /// Adds many new threads with one index write (imports, benchmarks).
    pub fn create_threads(&self, threads: &[ThreadMetadata]) -> AppResult<()> {
        let _folder = self.docs.lock_folder()?;
        let mut index = self.fresh()?;
        for thread in threads {
            self.create_file(&mut index, thread, &[])?;
        }
        let compacted = self.compact(&mut index);
        if compacted.is_err() {
            index.stale = true;
        }
        compacted
    }
}

impl ThreadStore for FileThreadStore {
    fn load_thread(&self, thread_id: &str) -> AppResult<ThreadMetadata> {
        let index = self.fresh()?;
        let seq = self.require_thread(&index, thread_id)?;
        Ok(index.by_seq[&seq].clone())
    }

    fn create_thread(&self, thread: &ThreadMetadata, items: &[ThreadItem]) -> AppResult<()> {
        let _folder = self.docs.lock_folder()?;
        let mut index = self.fresh()?;
        let seq = self.create_file(&mut index, thread, items)?;
        // Unflushed: after a power cut the next start finds the flushed thread file.
        self.record(
            &mut index,
            Entry::Put {
                seq,
                thread: thread.clone(),
            },
            false,
        )
    }

    fn save_thread(&self, thread: &ThreadMetadata) -> AppResult<()> {
        let _folder = self.docs.lock_folder()?;
        let mut index = self.fresh()?;
        let Some(seq) = index.seq_of.get(&thread.id).copied() else {
            drop(index);
            drop(_folder);
            return self.create_thread(thread, &[]);
        };
        // The index is the authority for metadata; the file's copy serves rebuilds, so
        // it need not be flushed.
        index.insert(seq, thread.clone());
        self.record(
            &mut index,
            Entry::Put {
                seq,
                thread: thread.clone(),
            },
            true,
        )?;
        drop(index);
        let mut doc = self.read_thread_doc(&thread.id)?;
        doc.thread = thread.clone();
        self.docs
            .write_encoded(&thread.id, &encode(&doc)?, Flush::Later)
    }

    fn load_threads(
        &self,
        limit: usize,
        after: Option<&str>,
        order: Order,
    ) -> AppResult<Page<ThreadMetadata>> {
        let index = self.fresh()?;
        // Starting from the cursor's sequence number keeps a page O(limit), not O(threads).
        let cursor = after.and_then(|after| index.seq_of.get(after).copied());
        let page = match (order, cursor) {
            (Order::Desc, Some(seq)) => page_after(
                index.by_seq.range(..seq).rev().map(|(_, t)| t.clone()),
                None,
                limit,
            ),
            (Order::Asc, Some(seq)) => page_after(
                index.by_seq.range(seq + 1..).map(|(_, t)| t.clone()),
                None,
                limit,
            ),
            (_, None) if after.is_some() => Page::default(),
            (Order::Desc, None) => page_after(index.by_seq.values().rev().cloned(), None, limit),
            (Order::Asc, None) => page_after(index.by_seq.values().cloned(), None, limit),
        };
        Ok(page)
    }

    fn delete_thread(&self, thread_id: &str) -> AppResult<()> {
        let _folder = self.docs.lock_folder()?;
        let mut index = self.fresh()?;
        self.require_thread(&index, thread_id)?;
        // File first: a crash before the journal line leaves an index entry that the
        // next start's reconcile drops.
        self.docs.remove(thread_id)?;
        // The removal is on disk before the journal says so: a thread file that came back
        // after a power cut would be added again by the next start's reconcile.
        crate::storage::atomic::sync_dir(self.docs.root());
        index.remove(thread_id);
        self.record(
            &mut index,
            Entry::Deleted {
                deleted: thread_id.to_string(),
            },
            true,
        )
    }

    fn load_items(
        &self,
        thread_id: &str,
        after: Option<&str>,
        limit: usize,
        order: Order,
    ) -> AppResult<Page<ThreadItem>> {
        let items = {
            let index = self.fresh()?;
            self.require_thread(&index, thread_id)?;
            drop(index);
            self.read_thread_doc(thread_id)?.items
        };
        Ok(match order {
            Order::Asc => page_after(items.into_iter(), after, limit),
            Order::Desc => page_after(items.into_iter().rev(), after, limit),
        })
    }

    fn load_item(&self, thread_id: &str, item_id: &str) -> AppResult<ThreadItem> {
        let index = self.fresh()?;
        self.require_thread(&index, thread_id)?;
        drop(index);
        self.read_thread_doc(thread_id)?
            .items
            .into_iter()
            .find(|item| item.id == item_id)
            .ok_or_else(|| not_found("item", item_id))
    }

    fn add_item(&self, thread_id: &str, item: &ThreadItem) -> AppResult<()> {
        self.edit_items(thread_id, &[ItemEdit::Add(item.clone())], Flush::Now)
    }

    fn save_item(&self, thread_id: &str, item: &ThreadItem) -> AppResult<()> {
        self.edit_items(thread_id, &[ItemEdit::Save(item.clone())], Flush::Now)
    }

    fn delete_item(&self, thread_id: &str, item_id: &str) -> AppResult<()> {
        self.edit_items(thread_id, &[ItemEdit::Delete(item_id.into())], Flush::Now)
    }

    fn stage_items(&self, thread_id: &str, edits: &[ItemEdit]) -> AppResult<()> {
        self.edit_items(thread_id, edits, Flush::Later)
    }

    fn flush_items(&self, thread_id: &str) -> AppResult<()> {
        self.docs.sync(thread_id)
    }

    fn take_recoveries(&self) -> Vec<Recovery> {
        self.docs.take_recoveries()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chatkit::types::{now, AssistantMessageContent, ItemKind, ThreadStatus};
    use crate::storage::documents::FileDocuments;

    fn thread(id: &str) -> ThreadMetadata {
        ThreadMetadata {
            title: None,
            id: id.into(),
            created_at: now(),
            status: ThreadStatus::Active,
            allowed_image_domains: None,
            metadata: Default::default(),
        }
    }

    fn message(thread_id: &str, id: &str, text: &str) -> ThreadItem {
        ThreadItem {
            id: id.into(),
            thread_id: thread_id.into(),
            created_at: now(),
            kind: ItemKind::AssistantMessage {
                content: vec![AssistantMessageContent::text(text)],
            },
        }
    }

    fn open(dir: &std::path::Path) -> FileThreadStore {
        FileThreadStore::open(Arc::new(FileDocuments::new(dir))).unwrap()
    }

    #[test]
    fn threads_and_items_persist_in_a_stable_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        // Same timestamps on purpose: order must come from the sequence, not the clock.
        let at = now();
        for n in 0..5 {
            let mut t = thread(&format!("thr_{n}"));
            t.created_at = at;
            store.save_thread(&t).unwrap();
        }
        store
            .add_item("thr_1", &message("thr_1", "m1", "one"))
            .unwrap();
        store
            .add_item("thr_1", &message("thr_1", "m2", "two"))
            .unwrap();

        let store = open(dir.path());
        let first = store.load_threads(2, None, Order::Desc).unwrap();
        let ids: Vec<_> = first.data.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["thr_4", "thr_3"]);
        let next = store
            .load_threads(10, first.after.as_deref(), Order::Desc)
            .unwrap();
        let ids: Vec<_> = next.data.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["thr_2", "thr_1", "thr_0"]);
        assert!(!next.has_more);
        let asc = store.load_threads(2, Some("thr_2"), Order::Asc).unwrap();
        let ids: Vec<_> = asc.data.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["thr_3", "thr_4"]);

        let items = store.load_items("thr_1", None, 10, Order::Asc).unwrap();
        let ids: Vec<_> = items.data.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["m1", "m2"]);
        let desc = store
            .load_items("thr_1", Some("m2"), 10, Order::Desc)
            .unwrap();
        assert_eq!(desc.data.len(), 1);
        assert_eq!(desc.data[0].id, "m1");
    }

    #[test]
    fn two_stores_on_one_folder_keep_each_others_threads() {
        // Two processes on one data folder (the app and `serve`), each with its own copy.
        let dir = tempfile::tempdir().unwrap();
        let app = open(dir.path());
        let serve = open(dir.path());
        app.save_thread(&thread("thr_app")).unwrap();
        serve.save_thread(&thread("thr_serve")).unwrap();
        app.save_thread(&thread("thr_app2")).unwrap();
        let ids = |store: &FileThreadStore| -> Vec<String> {
            let page = store.load_threads(100, None, Order::Asc).unwrap();
            page.data.into_iter().map(|t| t.id).collect()
        };
        assert_eq!(ids(&app), ["thr_app", "thr_serve", "thr_app2"]);
        assert_eq!(
            ids(&serve),
            ids(&app),
            "each sees the other's new thread, no restart"
        );

        // A rename in one and a delete in the other: both kept.
        let mut renamed = thread("thr_app");
        renamed.title = Some("Groceries".into());
        serve.save_thread(&renamed).unwrap();
        app.delete_thread("thr_serve").unwrap();
        serve
            .add_item("thr_app2", &message("thr_app2", "msg_1", "from serve"))
            .unwrap();
        app.add_item("thr_app2", &message("thr_app2", "msg_2", "from the app"))
            .unwrap();
        for store in [&app, &serve, &open(dir.path())] {
            assert_eq!(ids(store), ["thr_app", "thr_app2"]);
            assert_eq!(
                store.load_thread("thr_app").unwrap().title.as_deref(),
                Some("Groceries")
            );
            let items = store.load_items("thr_app2", None, 10, Order::Asc).unwrap();
            let got: Vec<_> = items.data.iter().map(|i| i.id.as_str()).collect();
            assert_eq!(got, ["msg_1", "msg_2"]);
        }
    }

    #[test]
    fn threads_created_at_once_from_many_stores_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stores: Vec<_> = (0..4).map(|_| Arc::new(open(dir.path()))).collect();
        let workers: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(w, store)| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for n in 0..10 {
                        store.save_thread(&thread(&format!("thr_{w}_{n}"))).unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        let page = open(dir.path())
            .load_threads(100, None, Order::Asc)
            .unwrap();
        assert_eq!(
            page.data.len(),
            40,
            "a thread was dropped by another store's write"
        );
    }

    fn journal_lines(dir: &std::path::Path) -> usize {
        std::fs::read_to_string(dir.join("index.jsonl"))
            .unwrap()
            .lines()
            .count()
    }

    fn all_ids(store: &FileThreadStore) -> Vec<String> {
        let page = store.load_threads(200, None, Order::Asc).unwrap();
        page.data.into_iter().map(|t| t.id).collect()
    }

    #[test]
    fn thread_changes_append_to_the_journal_without_rewriting_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let index_before = std::fs::read(dir.path().join("index.json")).unwrap();
        store.save_thread(&thread("thr_a")).unwrap();
        store.save_thread(&thread("thr_b")).unwrap();
        let mut renamed = thread("thr_a");
        renamed.title = Some("Groceries".into());
        store.save_thread(&renamed).unwrap();
        store.delete_thread("thr_b").unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("index.json")).unwrap(),
            index_before,
            "index.json was rewritten"
        );
        // The header and one line per change.
        assert_eq!(journal_lines(dir.path()), 5);
        let reopened = open(dir.path());
        assert_eq!(all_ids(&reopened), ["thr_a"]);
        assert_eq!(
            reopened.load_thread("thr_a").unwrap().title.as_deref(),
            Some("Groceries")
        );
    }

    #[test]
    fn compaction_folds_the_journal_and_other_stores_follow_it() {
        let dir = tempfile::tempdir().unwrap();
        let docs = || Arc::new(FileDocuments::new(dir.path()));
        let writer = FileThreadStore::open_compacting_after(docs(), 4).unwrap();
        let reader = FileThreadStore::open_compacting_after(docs(), 4).unwrap();
        let mut expected = Vec::new();
        for n in 0..11 {
            let id = format!("thr_{n:02}");
            writer.save_thread(&thread(&id)).unwrap();
            expected.push(id);
            // The reader follows every step, across compactions, without reopening.
            assert_eq!(all_ids(&reader), expected, "after {n}");
        }
        assert!(
            journal_lines(dir.path()) < 1 + 11,
            "the journal was never folded"
        );
        let index: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
        assert!(index["generation"].as_u64().unwrap() >= 2);
        assert!(index["threads"].as_array().unwrap().len() >= 8);
        // The reader writes too: it starts from the compacted index, drops nothing.
        reader.delete_thread("thr_03").unwrap();
        expected.retain(|id| id != "thr_03");
        assert_eq!(all_ids(&writer), expected);
        assert_eq!(all_ids(&open(dir.path())), expected);
    }

    #[test]
    fn a_torn_journal_line_is_skipped_and_the_next_write_continues() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.save_thread(&thread("thr_a")).unwrap();
        drop(store);
        // kill -9 in the middle of appending the next line.
        let mut journal = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("index.jsonl"))
            .unwrap();
        std::io::Write::write_all(&mut journal, br#"{"seq":1,"thread":{"id":"thr_"#).unwrap();
        let store = open(dir.path());
        assert_eq!(all_ids(&store), ["thr_a"]);
        store.save_thread(&thread("thr_b")).unwrap();
        let reopened = open(dir.path());
        assert_eq!(all_ids(&reopened), ["thr_a", "thr_b"]);
        let text = std::fs::read_to_string(dir.path().join("index.jsonl")).unwrap();
        assert!(
            text.lines()
                .all(|l| serde_json::from_str::<Value>(l).is_ok()),
            "{text}"
        );
    }

    #[test]
    fn a_journal_left_by_a_crash_during_compaction_adds_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            FileThreadStore::open_compacting_after(Arc::new(FileDocuments::new(dir.path())), 3)
                .unwrap();
        for id in ["thr_a", "thr_b"] {
            store.save_thread(&thread(id)).unwrap();
        }
        let old_journal = std::fs::read(dir.path().join("index.jsonl")).unwrap();
        store.delete_thread("thr_a").unwrap(); // the third entry: compaction
        drop(store);
        // The crash: the new index was written, the old journal not yet replaced.
        std::fs::write(dir.path().join("index.jsonl"), old_journal).unwrap();
        let store = open(dir.path());
        assert_eq!(
            all_ids(&store),
            ["thr_b"],
            "the older journal brought thr_a back"
        );
        store.save_thread(&thread("thr_c")).unwrap();
        assert_eq!(all_ids(&open(dir.path())), ["thr_b", "thr_c"]);
    }

    #[test]
    fn adding_an_item_rewrites_only_its_thread_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.save_thread(&thread("thr_a")).unwrap();
        store.save_thread(&thread("thr_b")).unwrap();
        let index_before = std::fs::read(dir.path().join("index.json")).unwrap();
        let other_before = std::fs::read(dir.path().join("thr_b.json")).unwrap();
        store
            .add_item("thr_a", &message("thr_a", "m1", "hi"))
            .unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("index.json")).unwrap(),
            index_before
        );
        assert_eq!(
            std::fs::read(dir.path().join("thr_b.json")).unwrap(),
            other_before
        );
        let doc: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("thr_a.json")).unwrap()).unwrap();
        assert_eq!(doc["schema_version"], THREAD_SCHEMA_VERSION);
        assert_eq!(doc["items"][0]["id"], "m1");
    }

    #[test]
    fn a_lost_or_corrupt_index_is_rebuilt_from_thread_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.save_thread(&thread("thr_a")).unwrap();
        store.save_thread(&thread("thr_b")).unwrap();
        let mut titled = store.load_thread("thr_a").unwrap();
        titled.title = Some("Groceries".into());
        store.save_thread(&titled).unwrap();
        drop(store);

        std::fs::write(dir.path().join("index.json"), b"{ broken").unwrap();
        // No last good copy either (the journal keeps the index from being rewritten,
        // so there may be none).
        let _ = std::fs::remove_file(dir.path().join("index.json.bak"));
        std::fs::remove_file(dir.path().join("index.jsonl")).unwrap();
        let store = open(dir.path());
        let all = store.load_threads(10, None, Order::Asc).unwrap();
        let ids: Vec<_> = all.data.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["thr_a", "thr_b"]);
        assert_eq!(
            store.load_thread("thr_a").unwrap().title.as_deref(),
            Some("Groceries")
        );
        assert!(matches!(
            store.take_recoveries().as_slice(),
            [Recovery::Quarantined {
                restored_from_backup: false,
                ..
            }]
        ));
    }

    #[test]
    fn a_damaged_thread_file_is_read_from_its_last_good_copy_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.save_thread(&thread("thr_a")).unwrap();
        store
            .add_item("thr_a", &message("thr_a", "m1", "one"))
            .unwrap();
        store
            .add_item("thr_a", &message("thr_a", "m2", "two"))
            .unwrap();
        // Torn by something other than our writes; `.bak` holds the version before.
        std::fs::write(
            dir.path().join("thr_a.json"),
            br#"{"schema_version":1,"seq""#,
        )
        .unwrap();
        let items = store.load_items("thr_a", None, 10, Order::Asc).unwrap();
        let ids: Vec<_> = items.data.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["m1"]);
        assert!(matches!(
            store.take_recoveries().as_slice(),
            [Recovery::Quarantined {
                restored_from_backup: true,
                ..
            }]
        ));
        // Whole again: read without a second report.
        assert_eq!(store.load_item("thr_a", "m1").unwrap().id, "m1");
        assert!(store.take_recoveries().is_empty());
    }

    #[test]
    fn reconcile_adds_threads_written_before_a_crash_and_drops_deleted_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.save_thread(&thread("thr_a")).unwrap();
        store.save_thread(&thread("thr_b")).unwrap();
        drop(store);
        // A crash after a delete removed the file but before the index was rewritten…
        std::fs::remove_file(dir.path().join("thr_a.json")).unwrap();
        // …and one after a create wrote the file but not the index.
        let orphan = ThreadDoc {
            schema_version: 1,
            seq: 7,
            thread: thread("thr_c"),
            items: vec![],
        };
        std::fs::write(
            dir.path().join("thr_c.json"),
            serde_json::to_vec(&orphan).unwrap(),
        )
        .unwrap();
        let store = open(dir.path());
        let all = store.load_threads(10, None, Order::Asc).unwrap();
        let ids: Vec<_> = all.data.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["thr_b", "thr_c"]);
        store.save_thread(&thread("thr_d")).unwrap();
        let newest = store.load_threads(1, None, Order::Desc).unwrap();
        assert_eq!(newest.data[0].id, "thr_d");
    }

    #[test]
    fn missing_threads_and_items_are_not_found_and_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.save_thread(&thread("thr_a")).unwrap();
        let err = store
            .add_item("thr_x", &message("thr_x", "m", "x"))
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
        assert_eq!(
            store.delete_item("thr_a", "nope").unwrap_err().code,
            ErrorCode::NotFound
        );
        assert_eq!(
            store.load_thread("thr_x").unwrap_err().code,
            ErrorCode::NotFound
        );
        assert!(!dir.path().join("thr_x.json").exists());
    }

    #[test]
    fn files_from_a_newer_schema_are_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("index.json"),
            br#"{"schema_version": 99, "next_seq": 0, "threads": []}"#,
        )
        .unwrap();
        let err = FileThreadStore::open(Arc::new(FileDocuments::new(dir.path())))
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::StorageFailed);
        assert!(std::fs::read_to_string(dir.path().join("index.json"))
            .unwrap()
            .contains("99"));
    }
}
