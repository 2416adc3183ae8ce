use serde_json::Value;
use tauri::State;

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tasks::model::{StatusFilter, Task};
use crate::tasks::search::{search, MENTION_LIMIT};
use crate::tasks::store::TaskChange;
use crate::tasks::sync_runner::SyncStatus;
use crate::tasks::tools::run_tool;

/// Sent to the webview whenever a task changes, whoever changed it (the Tasks view, the
/// assistant, sync), so views follow without polling.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type, tauri_specta::Event)]
pub struct TasksChanged(pub TaskChange);

/// Sync status changed: "3 changes waiting to sync", conflicts, sign in again, offline.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type, tauri_specta::Event)]
pub struct SyncChanged(pub SyncStatus);

#[tauri::command]
#[specta::specta]
pub fn sync_status(state: State<'_, AppState>) -> AppResult<SyncStatus> {
    let sync = state.sync.as_ref().ok_or_else(|| {
        state
            .tasks()
            .err()
            .unwrap_or_else(|| AppError::internal("sync is not running"))
    })?;
    let settings = state.settings()?;
    let backend = matches!(
        settings.connection,
        Some(crate::broker::connection::Connection::Backend(_))
    );
    Ok(sync.status(backend, false))
}

/// "Sync now": runs a sync pass soon; the result arrives as `SyncChanged`.
#[tauri::command]
#[specta::specta]
pub fn sync_now(state: State<'_, AppState>) {
    if let Some(sync) = &state.sync {
        sync.kick();
    }
}

#[tauri::command]
#[specta::specta]
pub fn tasks_list(state: State<'_, AppState>) -> AppResult<Vec<Task>> {
    Ok(state.tasks()?.list(StatusFilter::All))
}

/// The composer's `@` menu: tasks matching what follows the `@`, best first.
#[tauri::command]
#[specta::specta]
pub fn search_tasks(state: State<'_, AppState>, query: String) -> AppResult<Vec<Task>> {
    let tasks = state.tasks()?.list(StatusFilter::All);
    Ok(search(&tasks, &query, MENTION_LIMIT))
}

#[tauri::command]
#[specta::specta]
pub fn task_add(
    state: State<'_, AppState>,
    title: String,
    description: Option<String>,
) -> AppResult<Task> {
    state.tasks()?.add(&title, description.as_deref())
}

/// `None` leaves a field as it is; an empty description clears it.
#[tauri::command]
#[specta::specta]
pub fn task_update(
    state: State<'_, AppState>,
    id: String,
    title: Option<String>,
    description: Option<String>,
) -> AppResult<Task> {
    state
        .tasks()?
        .update(&id, title.as_deref(), description.as_deref())
}

#[tauri::command]
#[specta::specta]
pub fn task_set_completed(
    state: State<'_, AppState>,
    id: String,
    completed: bool,
) -> AppResult<Task> {
    state.tasks()?.set_completed(&id, completed)
}

#[tauri::command]
#[specta::specta]
pub fn task_delete(state: State<'_, AppState>, id: String) -> AppResult<Task> {
    state.tasks()?.delete(&id)
}

/// Undo of a delete: the task comes back with its id and fields.
#[tauri::command]
#[specta::specta]
pub fn task_restore(state: State<'_, AppState>, task: Task) -> AppResult<Task> {
    state.tasks()?.restore(task)
}

/// ChatKit client tools (hosted or backend agents): the same five tools the local
/// assistant uses, with the same outputs.
#[tauri::command]
#[specta::specta]
pub fn run_task_tool(state: State<'_, AppState>, name: String, params: Value) -> AppResult<Value> {
    let tasks = state.tasks()?;
    let run = run_tool(&tasks, &name, &params.to_string());
    Ok(serde_json::from_str(&run.output).unwrap_or(Value::Null))
}
