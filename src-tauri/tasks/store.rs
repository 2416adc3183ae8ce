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

pub const TASKS_DOC: &str = "tasks";
pub const TASKS_SCHEMA_VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
struct TasksDoc {
    schema_version: u64,
    tasks: Vec<Task>,
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
    tasks: Mutex<Vec<Task>>,
    changes: broadcast::Sender<TaskChange>,
}

fn not_found(id: &str) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No task with id {id}."))
}

impl TaskStore {
    pub fn open(docs: Arc<dyn DocumentStore>) -> AppResult<Self> {
        let tasks = match docs.read(TASKS_DOC)? {
            None => Vec::new(),
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
                serde_json::from_value::<TasksDoc>(Value::Object(doc))
                    .map_err(|e| {
                        AppError::new(
                            ErrorCode::StorageCorrupt,
                            format!("tasks.json does not have the expected shape: {e}"),
                        )
                    })?
                    .tasks
            }
        };
        Ok(Self {
            docs,
            tasks: Mutex::new(tasks),
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

    /// Applies `change` to a copy, writes it, and only then makes it current.
    fn change<T>(&self, change: impl FnOnce(&mut Vec<Task>) -> AppResult<T>) -> AppResult<T> {
        let mut tasks = self.tasks.lock().unwrap();
        let mut next = tasks.clone();
        let result = change(&mut next)?;
        let doc = serde_json::to_value(TasksDoc {
            schema_version: TASKS_SCHEMA_VERSION,
            tasks: next.clone(),
        })
        .map_err(|e| AppError::internal(format!("could not encode tasks: {e}")))?;
        let Value::Object(doc) = doc else {
            return Err(AppError::internal("tasks document is not an object"));
        };
        self.docs.write(TASKS_DOC, &doc)?;
        *tasks = next;
        Ok(result)
    }

    pub fn list(&self, filter: StatusFilter) -> Vec<Task> {
        self.tasks
            .lock()
            .unwrap()
            .iter()
            .filter(|task| filter.admits(task))
            .cloned()
            .collect()
    }

    pub fn get(&self, id: &str) -> AppResult<Task> {
        self.tasks
            .lock()
            .unwrap()
            .iter()
            .find(|task| task.id == id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    pub fn add(&self, title: &str, description: Option<&str>) -> AppResult<Task> {
        let title = valid_title(title)?;
        let description = valid_description(description)?;
        let task = self.change(|tasks| {
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
            Ok(task)
        })?;
        self.announce("added", &task);
        Ok(task)
    }

    fn edit(&self, kind: &str, id: &str, edit: impl FnOnce(&mut Task)) -> AppResult<Task> {
        let task = self.change(|tasks| {
            let task = tasks
                .iter_mut()
                .find(|task| task.id == id)
                .ok_or_else(|| not_found(id))?;
            edit(task);
            task.updated_at = now();
            Ok(task.clone())
        })?;
        self.announce(kind, &task);
        Ok(task)
    }

    pub fn set_completed(&self, id: &str, completed: bool) -> AppResult<Task> {
        let kind = if completed { "completed" } else { "reopened" };
        self.edit(kind, id, |task| task.completed = completed)
    }

    /// Puts a deleted task back as it was (undo).
    pub fn restore(&self, task: Task) -> AppResult<Task> {
        let title = valid_title(&task.title)?;
        let description = valid_description(task.description.as_deref())?;
        let restored = self.change(|tasks| {
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
        self.edit("updated", id, |task| {
            if let Some(title) = title {
                task.title = title;
            }
            if let Some(description) = description {
                task.description = description;
            }
        })
    }

    pub fn delete(&self, id: &str) -> AppResult<Task> {
        let task = self.change(|tasks| {
            let at = tasks
                .iter()
                .position(|task| task.id == id)
                .ok_or_else(|| not_found(id))?;
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
