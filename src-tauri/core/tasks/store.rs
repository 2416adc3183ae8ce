//! Tasks on disk: one crash-safe document (`tasks.json`) with a schema version, held in
//! memory; every change is written before it is reported done.

use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chatkit::store::new_id;
use crate::chatkit::types::now;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::documents::DocumentStore;
use crate::tasks::model::{valid_description, valid_title, StatusFilter, Task};
use crate::tasks::sync_state::{Field, SyncState};

pub const TASKS_DOC: &str = "tasks";
/// 2 added the sync state; a version 1 file reads as having none.
pub const TASKS_SCHEMA_VERSION: u64 = 2;

#[derive(Serialize, Deserialize)]
struct TasksDoc {
    schema_version: u64,
    tasks: Vec<Task>,
    #[serde(default)]
    sync: SyncState,
}

/// The tasks and their sync state live in one document, so a change and the outbox entry
/// that sends it to the backend are written together or not at all.
#[derive(Debug, Clone, Default)]
pub struct Inner {
    pub tasks: Vec<Task>,
    pub sync: SyncState,
}

/// What changed, for views that follow the store live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct TaskChange {
    /// `added`, `updated`, `completed`, `reopened`, `deleted` or `restored`.
    pub kind: String,
    pub task_id: String,
}

pub struct TaskStore {
    docs: Arc<dyn DocumentStore>,
    inner: Mutex<Inner>,
    changes: broadcast::Sender<TaskChange>,
}

fn not_found(id: &str) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No task with id {id}."))
}

impl TaskStore {
    pub fn open(docs: Arc<dyn DocumentStore>) -> AppResult<Self> {
        let inner = match docs.read(TASKS_DOC)? {
            None => Inner::default(),
            Some(doc) => {
                let version = doc
                    .get("schema_version")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                if version > TASKS_SCHEMA_VERSION {
                    return Err(AppError::new(
                        ErrorCode::StorageFailed,
                        format!("tasks.json was written by a newer version of Todo Assistant (schema {version}); update the app to read it."),
                    ));
                }
                let doc = serde_json::from_value::<TasksDoc>(Value::Object(doc)).map_err(|e| {
                    AppError::new(
                        ErrorCode::StorageCorrupt,
                        format!("tasks.json does not have the expected shape: {e}"),
                    )
                })?;
                Inner {
                    tasks: doc.tasks,
                    sync: doc.sync,
                }
            }
        };
        Ok(Self {
            docs,
            inner: Mutex::new(inner),
            changes: broadcast::channel(256).0,
        })
    }

    /// Every change made from now on, whoever made it (the UI, the assistant, sync).
    pub fn subscribe(&self) -> broadcast::Receiver<TaskChange> {
        self.changes.subscribe()
    }

    fn announce(&self, kind: &str, task: &Task) {
        // No subscribers is fine: nobody is watching.
        let _ = self.changes.send(TaskChange {
            kind: kind.into(),
            task_id: task.id.clone(),
        });
    }

    /// Applies `change` to a copy of the tasks and their sync state, writes it, and only
    /// then makes it current: a change is reported done only once it is durable.
    pub fn transact<T>(&self, change: impl FnOnce(&mut Inner) -> AppResult<T>) -> AppResult<T> {
        let mut inner = self.inner.lock().unwrap();
        let mut next = inner.clone();
        let result = change(&mut next)?;
        let doc = serde_json::to_value(TasksDoc {
            schema_version: TASKS_SCHEMA_VERSION,
            tasks: next.tasks.clone(),
            sync: next.sync.clone(),
        })
        .map_err(|e| AppError::internal(format!("could not encode tasks: {e}")))?;
        let Value::Object(doc) = doc else {
            return Err(AppError::internal("tasks document is not an object"));
        };
        self.docs.write(TASKS_DOC, &doc)?;
        *inner = next;
        Ok(result)
    }

    fn change<T>(
        &self,
        change: impl FnOnce(&mut Vec<Task>, &mut SyncState) -> AppResult<T>,
    ) -> AppResult<T> {
        self.transact(|inner| change(&mut inner.tasks, &mut inner.sync))
    }

    /// From now on local changes are queued for `target`; tasks not on it yet are queued too.
    pub fn connect(&self, target: crate::tasks::sync_state::SyncTarget) -> AppResult<()> {
        self.transact(|inner| {
            let ids: Vec<String> = inner.tasks.iter().map(|t| t.id.clone()).collect();
            inner.sync.connect(target, ids.into_iter());
            Ok(())
        })
    }

    /// A consistent copy of the tasks and their sync state.
    pub fn snapshot(&self) -> Inner {
        self.inner.lock().unwrap().clone()
    }

    /// Tells views that `kind` happened to the task (sync uses it after pulling).
    pub fn notify(&self, kind: &str, task_id: &str) {
        let _ = self.changes.send(TaskChange {
            kind: kind.into(),
            task_id: task_id.into(),
        });
    }

    pub fn list(&self, filter: StatusFilter) -> Vec<Task> {
        self.inner
            .lock()
            .unwrap()
            .tasks
            .iter()
            .filter(|task| filter.admits(task))
            .cloned()
            .collect()
    }

    pub fn get(&self, id: &str) -> AppResult<Task> {
        self.inner
            .lock()
            .unwrap()
            .tasks
            .iter()
            .find(|task| task.id == id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    pub fn add(&self, title: &str, description: Option<&str>) -> AppResult<Task> {
        let title = valid_title(title)?;
        let description = valid_description(description)?;
        let task = self.change(|tasks, sync| {
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
            Ok(task)
        })?;
        self.announce("added", &task);
        Ok(task)
    }

    fn edit(
        &self,
        kind: &str,
        id: &str,
        fields: &[Field],
        edit: impl FnOnce(&mut Task),
    ) -> AppResult<Task> {
        let task = self.change(|tasks, sync| {
            let task = tasks
                .iter_mut()
                .find(|task| task.id == id)
                .ok_or_else(|| not_found(id))?;
            edit(task);
            task.updated_at = now();
            sync.record_edit(id, fields);
            Ok(task.clone())
        })?;
        self.announce(kind, &task);
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
        let restored = self.change(|tasks, sync| {
            if tasks.iter().any(|t| t.id == task.id) {
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
            tasks.push(restored.clone());
            tasks.sort_by_key(|t| t.created_at);
            sync.record_restore(&restored.id);
            Ok(restored)
        })?;
        self.announce("restored", &restored);
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
        let task = self.change(|tasks, sync| {
            let at = tasks
                .iter()
                .position(|task| task.id == id)
                .ok_or_else(|| not_found(id))?;
            sync.record_delete(id);
            Ok(tasks.remove(at))
        })?;
        self.announce("deleted", &task);
        Ok(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::documents::FileDocuments;

    fn open(dir: &std::path::Path) -> TaskStore {
        TaskStore::open(Arc::new(FileDocuments::new(dir))).unwrap()
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
    fn bad_input_and_unknown_ids_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.add("Keep me", None).unwrap();
        let before = std::fs::read(dir.path().join("tasks.json")).unwrap();
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
        assert_eq!(
            std::fs::read(dir.path().join("tasks.json")).unwrap(),
            before
        );
        assert_eq!(store.list(StatusFilter::All).len(), 1);
    }
}
