//! ChatKit threads on disk: one document per thread (its metadata and items) plus an index
//! of thread metadata, so adding a message rewrites only that thread's file. Every
//! document carries a schema version. The index can always be rebuilt from the thread
//! files, and is reconciled with them at start, so a crash between the two writes of one
//! change loses nothing.
//!
//! Write order keeps that true: a new thread's file is written before the index names it;
//! a deleted thread's file is removed before the index forgets it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chatkit::store::{page_after, ThreadStore};
use crate::chatkit::types::{Order, Page, ThreadItem, ThreadMetadata};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::atomic::Recovery;
use crate::storage::documents::{Document, DocumentStore, Stamp};

pub const THREAD_SCHEMA_VERSION: u64 = 1;
const INDEX: &str = "index";

#[derive(Serialize, Deserialize)]
struct IndexDoc {
    schema_version: u64,
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
    next_seq: u64,
    by_seq: BTreeMap<u64, ThreadMetadata>,
    seq_of: HashMap<String, u64>,
}

impl Index {
    fn insert(&mut self, seq: u64, thread: ThreadMetadata) {
        self.next_seq = self.next_seq.max(seq + 1);
        self.seq_of.insert(thread.id.clone(), seq);
        self.by_seq.insert(seq, thread);
    }

    fn to_doc(&self) -> IndexDoc {
        IndexDoc {
            schema_version: THREAD_SCHEMA_VERSION,
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
    index: Mutex<Index>,
}

fn not_found(what: &str, id: &str) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No {what} with id {id}."))
}

fn decode<T: for<'de> Deserialize<'de>>(name: &str, doc: Document) -> AppResult<T> {
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
    serde_json::from_value(Value::Object(doc)).map_err(|e| {
        AppError::new(
            ErrorCode::StorageCorrupt,
            format!("{name} does not have the expected shape: {e}"),
        )
    })
}

fn encode<T: Serialize>(value: &T) -> AppResult<Document> {
    match serde_json::to_value(value) {
        Ok(Value::Object(doc)) => Ok(doc),
        Ok(_) => Err(AppError::internal("a document must be a JSON object")),
        Err(e) => Err(AppError::internal(format!(
            "could not encode a document: {e}"
        ))),
    }
}

impl FileThreadStore {
    /// Opens the store, rebuilding or reconciling the index with the thread files.
    pub fn open(docs: Arc<dyn DocumentStore>) -> AppResult<Self> {
        let stored = match docs.read(INDEX)? {
            Some(doc) => match decode::<IndexDoc>(INDEX, doc) {
                Ok(index) => Some(index),
                Err(e) if e.code == ErrorCode::StorageCorrupt => {
                    tracing::warn!("thread index unreadable, rebuilding: {}", e.message);
                    None
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        let mut index = Index::default();
        let mut changed = stored.is_none();
        if let Some(stored) = stored {
            index.next_seq = stored.next_seq;
            for entry in stored.threads {
                index.insert(entry.seq, entry.thread);
            }
        }

        let on_disk: HashSet<String> = docs
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
            if let Some(seq) = index.seq_of.remove(&id) {
                index.by_seq.remove(&seq);
            }
            changed = true;
        }
        for name in on_disk {
            if index.seq_of.contains_key(&name) {
                continue;
            }
            match docs.read(&name)?.map(|doc| decode::<ThreadDoc>(&name, doc)) {
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
        if changed {
            let _folder = docs.lock_folder()?;
            docs.write(INDEX, &encode(&index.to_doc())?)?;
        }
        index.stamp = docs.stamp(INDEX)?;
        Ok(Self {
            docs,
            index: Mutex::new(index),
        })
    }

    /// The index as it is on disk now: reread when another process replaced it since.
    fn fresh(&self) -> AppResult<MutexGuard<'_, Index>> {
        let mut index = self.index.lock().unwrap();
        let on_disk = self.docs.stamp(INDEX)?;
        if on_disk != index.stamp {
            let mut reread = Index::default();
            if let Some(doc) = self.docs.read(INDEX)? {
                let stored = decode::<IndexDoc>(INDEX, doc)?;
                reread.next_seq = stored.next_seq;
                for entry in stored.threads {
                    reread.insert(entry.seq, entry.thread);
                }
            }
            reread.stamp = self.docs.stamp(INDEX)?;
            *index = reread;
        }
        Ok(index)
    }

    /// Writes the index and remembers the version written, so this process does not
    /// reread its own write. Callers hold `lock_folder`.
    fn write_index(&self, index: &mut Index) -> AppResult<()> {
        self.docs.write(INDEX, &encode(&index.to_doc())?)?;
        index.stamp = self.docs.stamp(INDEX)?;
        Ok(())
    }

    fn read_thread_doc(&self, thread_id: &str) -> AppResult<ThreadDoc> {
        match self.docs.read(thread_id)? {
            Some(doc) => decode(thread_id, doc),
            None => Err(not_found("thread", thread_id)),
        }
    }

    fn require_thread(&self, index: &Index, thread_id: &str) -> AppResult<u64> {
        index
            .seq_of
            .get(thread_id)
            .copied()
            .ok_or_else(|| not_found("thread", thread_id))
    }

    /// Writes a new thread's file, then names it in the (in-memory) index.
    fn create_file(&self, index: &mut Index, thread: &ThreadMetadata) -> AppResult<u64> {
        let seq = index.next_seq;
        let doc = ThreadDoc {
            schema_version: THREAD_SCHEMA_VERSION,
            seq,
            thread: thread.clone(),
            items: Vec::new(),
        };
        self.docs.write(&thread.id, &encode(&doc)?)?;
        index.insert(seq, thread.clone());
        Ok(seq)
    }

    /// Reads a thread's document, changes its items, and writes it back.
    fn edit_items(
        &self,
        thread_id: &str,
        edit: impl FnOnce(&mut Vec<ThreadItem>) -> AppResult<()>,
    ) -> AppResult<()> {
        // Another process may append to the same thread: read, change and write under the lock.
        let _folder = self.docs.lock_folder()?;
        let index = self.fresh()?;
        self.require_thread(&index, thread_id)?;
        let mut doc = self.read_thread_doc(thread_id)?;
        edit(&mut doc.items)?;
        self.docs.write(thread_id, &encode(&doc)?)
    }
}

impl FileThreadStore {
    /// Adds many new threads with one index write (imports, benchmarks).
    pub fn create_threads(&self, threads: &[ThreadMetadata]) -> AppResult<()> {
        let _folder = self.docs.lock_folder()?;
        let mut index = self.fresh()?;
        for thread in threads {
            if index.seq_of.contains_key(&thread.id) {
                return Err(AppError::invalid_input(format!(
                    "thread {} exists",
                    thread.id
                )));
            }
            self.create_file(&mut index, thread)?;
        }
        self.write_index(&mut index)
    }
}

impl ThreadStore for FileThreadStore {
    fn load_thread(&self, thread_id: &str) -> AppResult<ThreadMetadata> {
        let index = self.fresh()?;
        let seq = self.require_thread(&index, thread_id)?;
        Ok(index.by_seq[&seq].clone())
    }

    fn save_thread(&self, thread: &ThreadMetadata) -> AppResult<()> {
        let _folder = self.docs.lock_folder()?;
        let mut index = self.fresh()?;
        match index.seq_of.get(&thread.id).copied() {
            Some(seq) => {
                // The index is the authority for metadata; the file's copy serves rebuilds.
                let previous = index.by_seq.insert(seq, thread.clone());
                if let Err(e) = self.write_index(&mut index) {
                    if let Some(previous) = previous {
                        index.by_seq.insert(seq, previous);
                    }
                    return Err(e);
                }
                let mut doc = self.read_thread_doc(&thread.id)?;
                doc.thread = thread.clone();
                self.docs.write(&thread.id, &encode(&doc)?)
            }
            None => {
                let seq = self.create_file(&mut index, thread)?;
                let written = self.write_index(&mut index);
                if written.is_err() {
                    index.seq_of.remove(&thread.id);
                    index.by_seq.remove(&seq);
                }
                written
            }
        }
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
        let seq = self.require_thread(&index, thread_id)?;
        self.docs.remove(thread_id)?;
        let removed = index.by_seq.remove(&seq);
        index.seq_of.remove(thread_id);
        let written = self.write_index(&mut index);
        if written.is_err() {
            // The file is gone; the next start's reconcile drops the stale index entry.
            tracing::warn!(thread_id, "index not updated after delete: {removed:?}");
        }
        written
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
        self.read_thread_doc(thread_id)?
            .items
            .into_iter()
            .find(|item| item.id == item_id)
            .ok_or_else(|| not_found("item", item_id))
    }

    fn add_item(&self, thread_id: &str, item: &ThreadItem) -> AppResult<()> {
        self.edit_items(thread_id, |items| {
            items.push(item.clone());
            Ok(())
        })
    }

    fn save_item(&self, thread_id: &str, item: &ThreadItem) -> AppResult<()> {
        self.edit_items(thread_id, |items| {
            match items.iter_mut().find(|existing| existing.id == item.id) {
                Some(existing) => *existing = item.clone(),
                None => items.push(item.clone()),
            }
            Ok(())
        })
    }

    fn delete_item(&self, thread_id: &str, item_id: &str) -> AppResult<()> {
        self.edit_items(thread_id, |items| {
            let before = items.len();
            items.retain(|item| item.id != item_id);
            if items.len() == before {
                return Err(not_found("item", item_id));
            }
            Ok(())
        })
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
        std::fs::remove_file(dir.path().join("index.json.bak")).unwrap();
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
