//! Noticing when any process (the app, `serve`, the MCP server, a script) creates, renames
//! or deletes a chat in a thread folder, so an open chat history follows without asking the
//! ChatKit server again and again. Two `stat`s per check: every such change appends a line
//! to the index's journal or, at a compaction, replaces the index and the journal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::storage::documents::{document_path, stamp_of, Stamp};
use crate::storage::index_journal::JOURNAL_FILE;
use crate::storage::thread_store::INDEX;

/// How often the watcher looks; a chat made elsewhere shows within about this long.
pub const HISTORY_WATCH_INTERVAL: Duration = Duration::from_millis(500);

/// The list of threads in a folder as it is on disk: equal stamps, same list.
#[derive(Debug, PartialEq, Eq)]
pub struct HistoryStamp {
    index: Option<Stamp>,
    journal: Option<Stamp>,
}

impl HistoryStamp {
    /// A file that cannot be inspected counts as absent: the next check sees it again.
    pub fn of(folder: &Path) -> Self {
        Self {
            index: document_path(folder, INDEX)
                .ok()
                .and_then(|path| stamp_of(&path).ok().flatten()),
            journal: stamp_of(&folder.join(JOURNAL_FILE)).ok().flatten(),
        }
    }
}

/// Calls `changed` from a thread of its own each time `folder`'s list of threads changes on
/// disk, checking every `every`, until `changed` returns false.
pub fn watch_history(
    folder: PathBuf,
    every: Duration,
    mut changed: impl FnMut() -> bool + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("thread-history-watch".into())
        .spawn(move || {
            let mut seen = HistoryStamp::of(&folder);
            loop {
                std::thread::sleep(every);
                let now = HistoryStamp::of(&folder);
                if now != seen {
                    seen = now;
                    if !changed() {
                        break;
                    }
                }
            }
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::sync::Arc;

    use crate::chatkit::store::ThreadStore;
    use crate::chatkit::types::{now, ThreadMetadata, ThreadStatus};
    use crate::storage::documents::FileDocuments;
    use crate::storage::thread_store::FileThreadStore;

    const EVERY: Duration = Duration::from_millis(20);
    /// Far longer than a check, so a missed change is a failure, not a slow machine.
    const WAIT: Duration = Duration::from_secs(10);

    fn thread(id: &str, title: &str) -> ThreadMetadata {
        ThreadMetadata {
            title: Some(title.into()),
            id: id.into(),
            created_at: now(),
            status: ThreadStatus::Active,
            allowed_image_domains: None,
            metadata: Default::default(),
        }
    }

    #[test]
    fn another_stores_create_rename_and_delete_are_each_noticed_and_quiet_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let open = || FileThreadStore::open(Arc::new(FileDocuments::new(dir.path()))).unwrap();
        // The watcher starts on a folder that already has a thread, as the app's does.
        let first = open();
        first.create_thread(&thread("thr_a", "First"), &[]).unwrap();
        let (sender, noticed) = mpsc::channel();
        watch_history(dir.path().to_path_buf(), EVERY, move || {
            sender.send(()).is_ok()
        })
        .unwrap();
        // Nothing changed: nothing is announced over many checks.
        assert!(noticed.recv_timeout(EVERY * 10).is_err());

        // Another process's store on the same folder.
        let other = open();
        other
            .create_thread(&thread("thr_b", "Second"), &[])
            .unwrap();
        noticed.recv_timeout(WAIT).expect("a new thread is noticed");
        other.save_thread(&thread("thr_b", "Renamed")).unwrap();
        noticed.recv_timeout(WAIT).expect("a rename is noticed");
        first.delete_thread("thr_a").unwrap();
        noticed.recv_timeout(WAIT).expect("a delete is noticed");
        assert!(noticed.recv_timeout(EVERY * 10).is_err());
    }

    #[test]
    fn stamps_differ_after_each_change_and_match_when_nothing_changed() {
        let dir = tempfile::tempdir().unwrap();
        let empty = HistoryStamp::of(dir.path());
        assert_eq!(empty, HistoryStamp::of(dir.path()));
        let store = FileThreadStore::open(Arc::new(FileDocuments::new(dir.path()))).unwrap();
        store.create_thread(&thread("thr_a", "A"), &[]).unwrap();
        let one = HistoryStamp::of(dir.path());
        assert_ne!(one, empty);
        assert_eq!(one, HistoryStamp::of(dir.path()));
    }
}
