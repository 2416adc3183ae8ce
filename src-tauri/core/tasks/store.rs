//! Tasks on disk: `tasks.db` (see `db`), shared by every process on the data folder, with
//! a copy in memory for reads. Every write locks the database (`BEGIN IMMEDIATE`), first
//! rereads what another process committed since (`PRAGMA data_version` tells), changes
//! only the rows it must, and commits before it is reported done; so no process writes
//! back a stale copy, and a crash keeps an edit and its outbox entry both or neither.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::chatkit::store::new_id;
use crate::chatkit::types::now;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::atomic::Recovery;
use crate::tasks::db;
use crate::tasks::model::{valid_description, valid_title, StatusFilter, Task};
use crate::tasks::rows::{self, sql_error, Positions};
use crate::tasks::sync_state::{Field, SyncState};

/// How often a store that has subscribers looks for other processes' changes.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);
/// More changes than this at once reach views as one `many` (reload everything).
const MANY: usize = 64;

/// The tasks and their sync state: a change and the outbox entry that sends it to the
/// backend are committed together or not at all.
#[derive(Debug, Clone, Default)]
pub struct Inner {
    pub tasks: Vec<Task>,
    pub sync: SyncState,
}

/// What changed, for views that follow the store live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct TaskChange {
    /// `added`, `updated`, `completed`, `reopened`, `deleted`, `restored`, or `many`
    /// (with no task id: reload everything).
    pub kind: String,
    pub task_id: String,
}

fn change(kind: &str, task_id: &str) -> TaskChange {
    TaskChange {
        kind: kind.into(),
        task_id: task_id.into(),
    }
}

/// What another process did, as changes to announce.
fn changes_between(before: &[Task], after: &[Task]) -> Vec<TaskChange> {
    let old: HashMap<&str, &Task> = before.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut out = Vec::new();
    let mut seen = 0;
    for task in after {
        match old.get(task.id.as_str()) {
            None => out.push(change("added", &task.id)),
            Some(prev) => {
                seen += 1;
                if *prev != task {
                    let kind = match (prev.completed, task.completed) {
                        (false, true) => "completed",
                        (true, false) => "reopened",
                        _ => "updated",
                    };
                    out.push(change(kind, &task.id));
                }
            }
        }
    }
    if seen < before.len() {
        let now: std::collections::HashSet<&str> = after.iter().map(|t| t.id.as_str()).collect();
        for task in before.iter().filter(|t| !now.contains(t.id.as_str())) {
            out.push(change("deleted", &task.id));
        }
    }
    if out.len() > MANY {
        return vec![change("many", "")];
    }
    out
}

/// When a commit must be on the disk itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Flushed before the commit returns: survives a power cut. Every edit a user or
    /// another app is told about.
    Flushed,
    /// Committed to the WAL unflushed: a killed process keeps it, a power cut may take
    /// it back until the next flushed commit. Only for what sync can redo (an
    /// acknowledged op is replayed, idempotently).
    Deferred,
}

struct State {
    conn: Connection,
    inner: Inner,
    positions: Positions,
    /// The highest position in use; new tasks go after it.
    last_position: i64,
    /// `PRAGMA data_version` when `inner` was read; `None` after a failed write, so the
    /// next use rereads.
    seen: Option<i64>,
    /// Whether the connection is at `synchronous = NORMAL` (the last write was deferred).
    relaxed: bool,
}

impl State {
    fn data_version(&self) -> AppResult<i64> {
        self.conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)))
            .map_err(|e| sql_error("read", e))
    }

    /// Rereads everything if another connection committed since the last read; returns
    /// what changed. Inside a transaction it reads that transaction's view.
    fn refresh(&mut self) -> AppResult<Vec<TaskChange>> {
        let outside = self.conn.is_autocommit();
        if outside {
            self.conn
                .execute_batch("BEGIN")
                .map_err(|e| sql_error("read", e))?;
        }
        let result = self.reload_if_changed();
        if outside {
            let _ = self.conn.execute_batch("COMMIT");
        }
        result
    }

    fn reload_if_changed(&mut self) -> AppResult<Vec<TaskChange>> {
        let version = self.data_version()?;
        if self.seen == Some(version) {
            return Ok(Vec::new());
        }
        let (inner, positions) = rows::load(&self.conn)?;
        let changes = if self.seen.is_some() {
            changes_between(&self.inner.tasks, &inner.tasks)
        } else {
            // After a failed write nobody can tell what the views saw: reload them.
            vec![change("many", "")]
        };
        self.last_position = positions.values().copied().max().unwrap_or(0);
        self.inner = inner;
        self.positions = positions;
        self.seen = Some(version);
        Ok(changes)
    }

    /// Runs `write` in a write transaction that starts from the latest committed state.
    /// Returns its result and the other processes' changes found on the way.
    fn write<T>(
        &mut self,
        durability: Durability,
        write: impl FnOnce(&mut State) -> AppResult<T>,
    ) -> AppResult<(T, Vec<TaskChange>)> {
        let wanted = durability == Durability::Deferred;
        if self.relaxed != wanted {
            // WAL with `synchronous = NORMAL` commits to the log without flushing it.
            let pragma = if wanted {
                "PRAGMA synchronous = NORMAL"
            } else {
                "PRAGMA synchronous = FULL"
            };
            self.conn
                .execute_batch(pragma)
                .map_err(|e| sql_error("save", e))?;
            self.relaxed = wanted;
        }
        self.write_transaction(write)
    }

    fn write_transaction<T>(
        &mut self,
        write: impl FnOnce(&mut State) -> AppResult<T>,
    ) -> AppResult<(T, Vec<TaskChange>)> {
        if !self.conn.is_autocommit() {
            // A panic inside an earlier write left its transaction open.
            let _ = self.conn.execute_batch("ROLLBACK");
            self.seen = None;
        }
        // Waits (up to the busy timeout) while another process writes.
        crate::tasks::db::retry_busy(|| self.conn.execute_batch("BEGIN IMMEDIATE"))
            .map_err(|e| sql_error("lock", e))?;
        let result = self.refresh().and_then(|outside| {
            let value = write(self)?;
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| sql_error("save", e))?;
            Ok((value, outside))
        });
        if result.is_err() {
            let _ = self.conn.execute_batch("ROLLBACK");
            // The copy in memory may hold part of the failed change.
            self.seen = None;
        }
        result
    }
}

struct Shared {
    state: Mutex<State>,
    changes: broadcast::Sender<TaskChange>,
    recoveries: Mutex<Vec<Recovery>>,
    watching: AtomicBool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn announce(&self, changes: Vec<TaskChange>) {
        for change in changes {
            // No subscribers is fine: nobody is watching.
            let _ = self.changes.send(change);
        }
    }

    /// Reads under the lock, after taking in other processes' changes.
    fn read<T>(&self, read: impl FnOnce(&Inner) -> T) -> T {
        let mut state = self.state();
        let changes = state.refresh().unwrap_or_else(|e| {
            // Reads keep answering from the last good copy; writes report the failure.
            tracing::warn!("could not reread the task database: {}", e.message);
            Vec::new()
        });
        let value = read(&state.inner);
        drop(state);
        self.announce(changes);
        value
    }
}

pub struct TaskStore {
    shared: Arc<Shared>,
    /// How this handle's writes commit (see `deferred`).
    durability: Durability,
}

fn not_found(id: &str) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No task with id {id}."))
}

impl TaskStore {
    /// Opens (creating, migrating or importing as needed) the tasks of `data_dir`.
    pub fn open(data_dir: &Path) -> AppResult<Self> {
        let (conn, recoveries) = db::open(data_dir)?;
        let mut state = State {
            conn,
            inner: Inner::default(),
            positions: Positions::new(),
            last_position: 0,
            seen: None,
            relaxed: false,
        };
        state.refresh()?;
        Ok(Self {
            durability: Durability::Flushed,
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                changes: broadcast::channel(256).0,
                recoveries: Mutex::new(recoveries),
                watching: AtomicBool::new(false),
            }),
        })
    }

    /// Repairs made when opening (a damaged database or tasks.json set aside), to report.
    pub fn take_recoveries(&self) -> Vec<Recovery> {
        std::mem::take(&mut self.shared.recoveries.lock().unwrap())
    }

    /// Every change made from now on, whoever made it (the UI, the assistant, sync, or
    /// another process on the same folder, noticed within `WATCH_INTERVAL`).
    pub fn subscribe(&self) -> broadcast::Receiver<TaskChange> {
        let receiver = self.shared.changes.subscribe();
        if !self.shared.watching.swap(true, Ordering::SeqCst) {
            watch(Arc::downgrade(&self.shared));
        }
        receiver
    }

    /// Applies `change` to a copy of the latest tasks and sync state and commits what it
    /// changed; a change is reported done only once it is durable (on a `deferred`
    /// handle: once it is committed, and durable after `flush`).
    pub fn transact<T>(&self, change: impl FnOnce(&mut Inner) -> AppResult<T>) -> AppResult<T> {
        self.transact_with(self.durability, change)
    }

    /// The same store, whose writes commit without waiting for the disk until `flush`:
    /// for a run of edits that is acknowledged as a whole (the assistant's tool calls in
    /// one step, flushed before the model hears of them).
    pub fn deferred(&self) -> TaskStore {
        TaskStore {
            shared: self.shared.clone(),
            durability: Durability::Deferred,
        }
    }

    /// Makes every commit so far durable: flushes the write-ahead log, as a flushed commit
    /// would.
    pub fn flush(&self) -> AppResult<()> {
        let state = self.shared.state();
        let Some(db) = state.conn.path().filter(|p| !p.is_empty()) else {
            return Ok(());
        };
        let wal = std::path::PathBuf::from(format!("{db}-wal"));
        match std::fs::OpenOptions::new().write(true).open(&wal) {
            Ok(file) => file
                .sync_data()
                .map_err(|e| AppError::storage("flush", &wal, e)),
            // No log: everything is in the database file, checkpointed (and flushed).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(AppError::storage("flush", &wal, e)),
        }
    }

    /// `transact`, for a commit that `durability` says may wait for the next flushed one.
    pub fn transact_with<T>(
        &self,
        durability: Durability,
        change: impl FnOnce(&mut Inner) -> AppResult<T>,
    ) -> AppResult<T> {
        let mut state = self.shared.state();
        let (result, outside) = state.write(durability, |st| {
            let mut next = st.inner.clone();
            let result = change(&mut next)?;
            st.positions = rows::write_diff(&st.conn, &st.inner, &st.positions, &next)?;
            st.last_position = st.positions.values().copied().max().unwrap_or(0);
            st.inner = next;
            Ok(result)
        })?;
        drop(state);
        self.shared.announce(outside);
        Ok(result)
    }

    /// `transact_with` for a change confined to the task `local_id`: its row, its server
    /// id and base, the outbox, and conflicts added. Only the outbox is copied, not the
    /// tasks, so each step of a sync replay costs the same whatever the number of tasks.
    pub fn transact_task<T>(
        &self,
        local_id: &str,
        durability: Durability,
        change: impl FnOnce(&mut Inner) -> AppResult<T>,
    ) -> AppResult<T> {
        let mut state = self.shared.state();
        let (result, outside) = state.write(durability, |st| {
            let sync = &st.inner.sync;
            let task_before = st.inner.tasks.iter().find(|t| t.id == local_id).cloned();
            let others_before = st.inner.tasks.len() - usize::from(task_before.is_some());
            let outbox_before = sync.outbox.clone();
            let meta_before = SyncState {
                target: sync.target.clone(),
                next_seq: sync.next_seq,
                last_synced_at: sync.last_synced_at,
                ..SyncState::default()
            };
            let server_id_before = sync.server_ids.get(local_id).cloned();
            let base_before = sync.bases.get(local_id).cloned();
            let conflicts_before = sync.conflicts.len();

            let result = change(&mut st.inner)?;

            let at = st.inner.tasks.iter().position(|t| t.id == local_id);
            let others_after = st.inner.tasks.len() - usize::from(at.is_some());
            if others_after != others_before || st.inner.sync.conflicts.len() < conflicts_before {
                return Err(AppError::internal(
                    "a one-task change touched other tasks or dropped conflicts",
                ));
            }
            match (at, &task_before) {
                (Some(at), before) if before.as_ref() != Some(&st.inner.tasks[at]) => {
                    let position = match st.positions.get(local_id) {
                        Some(&p) => p,
                        None => st.last_position + rows::GAP,
                    };
                    rows::upsert_task(&st.conn, &st.inner.tasks[at], position)?;
                    st.positions.insert(local_id.to_string(), position);
                    st.last_position = st.last_position.max(position);
                }
                (None, Some(_)) => {
                    rows::delete_task(&st.conn, local_id)?;
                    st.positions.remove(local_id);
                }
                _ => {}
            }
            let sync = &st.inner.sync;
            rows::write_meta(&st.conn, &meta_before, sync)?;
            rows::write_outbox(&st.conn, &outbox_before, &sync.outbox)?;
            let server_id = sync.server_ids.get(local_id);
            if server_id != server_id_before.as_ref() {
                rows::write_server_id(&st.conn, local_id, server_id)?;
            }
            let base = sync.bases.get(local_id);
            if base != base_before.as_ref() {
                rows::write_base(&st.conn, local_id, base)?;
            }
            let added = &sync.conflicts[conflicts_before..];
            if !added.is_empty() {
                // Appends only: the rows before `conflicts_before` are unchanged.
                rows::write_conflicts(
                    &st.conn,
                    &sync.conflicts[..conflicts_before],
                    &sync.conflicts,
                )?;
            }
            Ok(result)
        })?;
        drop(state);
        self.shared.announce(outside);
        Ok(result)
    }

    /// One task's edit without copying the list: `change` names the task it touched, and
    /// only that task's row and the outbox rows that changed are written.
    fn change_one<T>(
        &self,
        change: impl FnOnce(&mut Vec<Task>, &mut SyncState) -> AppResult<(T, String)>,
    ) -> AppResult<T> {
        let mut state = self.shared.state();
        let (result, outside) = state.write(self.durability, |st| {
            let outbox_before = st.inner.sync.outbox.clone();
            let meta_before = SyncState {
                target: st.inner.sync.target.clone(),
                next_seq: st.inner.sync.next_seq,
                last_synced_at: st.inner.sync.last_synced_at,
                ..SyncState::default()
            };
            let (result, id) = change(&mut st.inner.tasks, &mut st.inner.sync)?;
            let at = st.inner.tasks.iter().rposition(|t| t.id == id);
            match at {
                Some(at) => {
                    let position = match st.positions.get(&id) {
                        Some(&p) => p,
                        None if at + 1 == st.inner.tasks.len() => st.last_position + rows::GAP,
                        None => return Err(AppError::internal("a new task must go last")),
                    };
                    rows::upsert_task(&st.conn, &st.inner.tasks[at], position)?;
                    st.positions.insert(id, position);
                    st.last_position = st.last_position.max(position);
                }
                None => {
                    rows::delete_task(&st.conn, &id)?;
                    st.positions.remove(&id);
                }
            }
            rows::write_meta(&st.conn, &meta_before, &st.inner.sync)?;
            rows::write_outbox(&st.conn, &outbox_before, &st.inner.sync.outbox)?;
            Ok(result)
        })?;
        drop(state);
        self.shared.announce(outside);
        Ok(result)
    }

    /// From now on local changes are queued for `target`; tasks not on it yet are queued too.
    pub fn connect(&self, target: crate::tasks::sync_state::SyncTarget) -> AppResult<()> {
        self.transact(|inner| {
            let ids: Vec<String> = inner.tasks.iter().map(|t| t.id.clone()).collect();
            inner.sync.connect(target, ids.into_iter());
            Ok(())
        })
    }

    /// Reads the latest tasks and sync state without copying them.
    pub fn read<T>(&self, read: impl FnOnce(&Inner) -> T) -> T {
        self.shared.read(read)
    }

    /// A consistent copy of the latest tasks and their sync state.
    pub fn snapshot(&self) -> Inner {
        self.shared.read(Inner::clone)
    }

    /// Tells views that `kind` happened to the task (sync uses it after pulling).
    pub fn notify(&self, kind: &str, task_id: &str) {
        self.shared.announce(vec![change(kind, task_id)]);
    }

    /// How many tasks are not done, without copying them (the sidebar's badge at start).
    pub fn pending_count(&self) -> usize {
        self.shared
            .read(|inner| inner.tasks.iter().filter(|task| !task.completed).count())
    }

    pub fn list(&self, filter: StatusFilter) -> Vec<Task> {
        self.shared.read(|inner| {
            inner
                .tasks
                .iter()
                .filter(|task| filter.admits(task))
                .cloned()
                .collect()
        })
    }

    pub fn get(&self, id: &str) -> AppResult<Task> {
        self.shared.read(|inner| {
            inner
                .tasks
                .iter()
                .find(|task| task.id == id)
                .cloned()
                .ok_or_else(|| not_found(id))
        })
    }

    pub fn add(&self, title: &str, description: Option<&str>) -> AppResult<Task> {
        let title = valid_title(title)?;
        let description = valid_description(description)?;
        let task = self.change_one(|tasks, sync| {
            let at = now();
            let task = Task {
                id: new_id("task"),
                title,
                description,
                completed: false,
                created_at: at,
                updated_at: at,
            };
            tasks.push(task.clone());
            sync.record_create(&task.id);
            let id = task.id.clone();
            Ok((task, id))
        })?;
        self.notify("added", &task.id);
        Ok(task)
    }

    fn edit(
        &self,
        kind: &str,
        id: &str,
        fields: &[Field],
        edit: impl FnOnce(&mut Task),
    ) -> AppResult<Task> {
        let task = self.change_one(|tasks, sync| {
            let task = tasks
                .iter_mut()
                .find(|task| task.id == id)
                .ok_or_else(|| not_found(id))?;
            edit(task);
            task.updated_at = now();
            sync.record_edit(id, fields);
            Ok((task.clone(), id.to_string()))
        })?;
        self.notify(kind, &task.id);
        Ok(task)
    }

    pub fn set_completed(&self, id: &str, completed: bool) -> AppResult<Task> {
        let kind = if completed { "completed" } else { "reopened" };
        self.edit(kind, id, &[Field::Completed], |task| {
            task.completed = completed
        })
    }

    /// Puts a deleted task back as it was (undo).
    pub fn restore(&self, task: Task) -> AppResult<Task> {
        let title = valid_title(&task.title)?;
        let description = valid_description(task.description.as_deref())?;
        let restored = self.transact(|inner| {
            if inner.tasks.iter().any(|t| t.id == task.id) {
                return Err(AppError::invalid_input(format!(
                    "Task {} already exists.",
                    task.id
                )));
            }
            let restored = Task {
                title,
                description,
                updated_at: now(),
                ..task
            };
            inner.tasks.push(restored.clone());
            inner.tasks.sort_by_key(|t| t.created_at);
            inner.sync.record_restore(&restored.id);
            Ok(restored)
        })?;
        self.notify("restored", &restored.id);
        Ok(restored)
    }

    /// Changes the given fields; `None` leaves a field as it is, an empty description
    /// clears it.
    pub fn update(
        &self,
        id: &str,
        title: Option<&str>,
        description: Option<&str>,
    ) -> AppResult<Task> {
        let title = title.map(valid_title).transpose()?;
        let description = description
            .map(|d| valid_description(Some(d)))
            .transpose()?;
        let mut fields = Vec::new();
        if title.is_some() {
            fields.push(Field::Title);
        }
        if description.is_some() {
            fields.push(Field::Description);
        }
        self.edit("updated", id, &fields, |task| {
            if let Some(title) = title {
                task.title = title;
            }
            if let Some(description) = description {
                task.description = description;
            }
        })
    }

    pub fn delete(&self, id: &str) -> AppResult<Task> {
        let task = self.change_one(|tasks, sync| {
            let at = tasks
                .iter()
                .position(|task| task.id == id)
                .ok_or_else(|| not_found(id))?;
            sync.record_delete(id);
            Ok((tasks.remove(at), id.to_string()))
        })?;
        self.notify("deleted", &task.id);
        Ok(task)
    }
}

/// Polls `PRAGMA data_version` (a few microseconds, no table read) while anyone listens,
/// and rereads only when another process committed. Ends when the store is dropped.
fn watch(shared: Weak<Shared>) {
    let spawned = std::thread::Builder::new()
        .name("tasks-watch".into())
        .spawn(move || loop {
            std::thread::sleep(WATCH_INTERVAL);
            let Some(shared) = shared.upgrade() else {
                break;
            };
            if shared.changes.receiver_count() > 0 {
                shared.read(|_| ());
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("changes by other processes will show after the next edit: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &std::path::Path) -> TaskStore {
        TaskStore::open(dir).unwrap()
    }

    #[test]
    fn deferred_writes_are_committed_at_once_and_later_writes_are_flushed_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let synchronous = |store: &TaskStore| -> i64 {
            let state = store.shared.state();
            state
                .conn
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap()
        };
        let deferred = store.deferred();
        let added = deferred.add("Unflushed but committed", None).unwrap();
        assert_eq!(synchronous(&store), 1, "a deferred write commits at NORMAL");
        // Another process sees it at once; flushing makes it durable.
        let other = open(dir.path());
        assert_eq!(other.list(StatusFilter::All)[0].id, added.id);
        deferred.flush().unwrap();
        assert!(dir.path().join("tasks.db-wal").exists());
        store.add("Flushed", None).unwrap();
        assert_eq!(synchronous(&store), 2, "the next plain write is FULL again");
        assert_eq!(open(dir.path()).list(StatusFilter::All).len(), 2);
    }

    #[test]
    fn the_pending_count_leaves_out_done_tasks_and_follows_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        assert_eq!(store.pending_count(), 0);
        let milk = store.add("Buy milk", None).unwrap();
        store.add("Call Anna", None).unwrap();
        store.add("Pay rent", None).unwrap();
        store.set_completed(&milk.id, true).unwrap();
        assert_eq!(store.pending_count(), 2);
        store.set_completed(&milk.id, false).unwrap();
        assert_eq!(store.pending_count(), 3);
        assert_eq!(
            store.pending_count(),
            store.list(StatusFilter::Pending).len()
        );
    }

    #[test]
    fn changes_persist_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let milk = store.add("  Buy milk ", Some("2 litres")).unwrap();
        let call = store.add("Call mom", None).unwrap();
        store.set_completed(&milk.id, true).unwrap();
        store.update(&call.id, Some("Call mum"), Some("")).unwrap();

        let store = open(dir.path());
        let all = store.list(StatusFilter::All);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].title, "Buy milk");
        assert_eq!(all[0].description.as_deref(), Some("2 litres"));
        assert!(all[0].completed);
        assert_eq!(store.list(StatusFilter::Pending)[0].title, "Call mum");
        assert_eq!(store.list(StatusFilter::Completed).len(), 1);
        store.delete(&milk.id).unwrap();
        assert_eq!(open(dir.path()).list(StatusFilter::All).len(), 1);
    }

    #[test]
    fn every_change_is_announced_and_undo_restores_a_deleted_task() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let mut changes = store.subscribe();
        let task = store.add("Water plants", None).unwrap();
        store.set_completed(&task.id, true).unwrap();
        let deleted = store.delete(&task.id).unwrap();
        let restored = store.restore(deleted.clone()).unwrap();
        assert_eq!(restored.id, task.id);
        assert!(restored.completed);
        assert!(store.restore(deleted).is_err());
        let kinds: Vec<String> = std::iter::from_fn(|| changes.try_recv().ok())
            .map(|c| c.kind)
            .collect();
        assert_eq!(kinds, ["added", "completed", "deleted", "restored"]);
        assert_eq!(
            open(dir.path()).get(&task.id).unwrap().title,
            "Water plants"
        );
    }

    #[test]
    fn another_process_s_changes_are_announced_without_a_read() {
        // Two stores on one folder are two processes: the app watching, the CLI writing.
        let dir = tempfile::tempdir().unwrap();
        let app = open(dir.path());
        let mut changes = app.subscribe();
        let cli = open(dir.path());
        let task = cli.add("Walk the dog", None).unwrap();
        cli.set_completed(&task.id, true).unwrap();

        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut seen = Vec::new();
        while seen.is_empty() && std::time::Instant::now() < deadline {
            match changes.try_recv() {
                Ok(change) => seen.push(change),
                Err(_) => std::thread::sleep(WATCH_INTERVAL / 5),
            }
        }
        assert_eq!(
            seen.first().map(|c| c.task_id.as_str()),
            Some(task.id.as_str()),
            "the watcher never announced the other store's task: {seen:?}"
        );
        assert!(app.get(&task.id).unwrap().completed);
    }

    #[test]
    fn bad_input_and_unknown_ids_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.add("Keep me", None).unwrap();
        let before = open(dir.path()).snapshot();
        assert_eq!(
            store.add("   ", None).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            store.add(&"x".repeat(201), None).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            store.add("ok", Some(&"d".repeat(1001))).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        assert_eq!(
            store.set_completed("task_nope", true).unwrap_err().code,
            ErrorCode::NotFound
        );
        assert_eq!(
            store.delete("task_nope").unwrap_err().code,
            ErrorCode::NotFound
        );
        let after = open(dir.path()).snapshot();
        assert_eq!(after.tasks, before.tasks);
        assert_eq!(after.sync, before.sync);
        assert_eq!(store.list(StatusFilter::All).len(), 1);
    }
}
