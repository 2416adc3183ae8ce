//! Tasks on disk: one crash-safe document (`tasks.json`) with a schema version, held in
//! memory; every change is written before it is reported done.

use std::sync::{Arc, Mutex};

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

pub struct TaskStore {
    docs: Arc<dyn DocumentStore>,
    tasks: Mutex<Vec<Task>>,
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
        })
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
        self.change(|tasks| {
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
        })
    }

    fn edit(&self, id: &str, edit: impl FnOnce(&mut Task)) -> AppResult<Task> {
        self.change(|tasks| {
            let task = tasks
                .iter_mut()
                .find(|task| task.id == id)
                .ok_or_else(|| not_found(id))?;
            edit(task);
            task.updated_at = now();
            Ok(task.clone())
        })
    }

    pub fn set_completed(&self, id: &str, completed: bool) -> AppResult<Task> {
        self.edit(id, |task| task.completed = completed)
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
        self.edit(id, |task| {
            if let Some(title) = title {
                task.title = title;
            }
            if let Some(description) = description {
                task.description = description;
            }
        })
    }

    pub fn delete(&self, id: &str) -> AppResult<Task> {
        self.change(|tasks| {
            let at = tasks
                .iter()
                .position(|task| task.id == id)
                .ok_or_else(|| not_found(id))?;
            Ok(tasks.remove(at))
        })
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
