//! `tasks …`: the task store and backend sync from a terminal, on the same files as the
//! app. For scripting, and for tests that edit offline, kill a sync, and look.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::{json, Value};

use super::{runtime, to_json, Outcome};
use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult};
use crate::serve::default_data_dir;
use crate::tasks::model::Task;
use crate::tasks::store::TaskStore;
use crate::tasks::sync::{sync_once, BackendClient, SyncPhase};
use crate::tasks::sync_state::SyncTarget;

pub const BACKEND_TOKEN_ENV: &str = "TODO_ASSISTANT_BACKEND_TOKEN";

#[derive(Debug, Args)]
pub struct TasksCommand {
    /// The data folder (default: the app's own)
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    action: TasksAction,
}

#[derive(Debug, Subcommand)]
enum TasksAction {
    /// Print every task with its sync state, the changes waiting and the conflicts
    #[command(visible_alias = "status")]
    List,
    /// Add a task
    Add {
        title: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Change a task's title or description
    Update {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Mark a task done
    Complete { id: String },
    /// Mark a done task pending again
    Reopen { id: String },
    /// Delete a task
    Delete { id: String },
    /// Sync these tasks with a team backend's /api/{user_id}/tasks from now on
    Connect {
        /// The backend's URL
        #[arg(long, value_name = "URL")]
        backend: String,
        /// Your user id on that backend
        #[arg(long, value_name = "U")]
        user_id: String,
    },
    /// Send the queued changes and fetch the backend's (token in TODO_ASSISTANT_BACKEND_TOKEN);
    /// exits 1 when the sync did not complete
    Sync,
}

#[derive(Serialize)]
struct TaskLine {
    #[serde(flatten)]
    task: Task,
    server_id: Option<String>,
    sync: &'static str,
}

fn listing(store: &TaskStore) -> Value {
    let snapshot = store.snapshot();
    let connected = snapshot.sync.target.is_some();
    let tasks: Vec<TaskLine> = snapshot
        .tasks
        .iter()
        .map(|task| {
            let server_id = snapshot.sync.server_ids.get(&task.id).cloned();
            let sync = if !connected {
                "local"
            } else if snapshot.sync.is_pending(&task.id) {
                "pending"
            } else if server_id.is_some() {
                "synced"
            } else {
                "local"
            };
            TaskLine {
                task: task.clone(),
                server_id,
                sync,
            }
        })
        .collect();
    json!({
        "tasks": tasks,
        "pending_changes": snapshot.sync.outbox.len(),
        "conflicts": snapshot.sync.conflicts,
        "last_synced_at": snapshot.sync.last_synced_at,
    })
}

pub(super) fn run(command: TasksCommand) -> AppResult<Outcome> {
    let data_dir = match command.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let store = TaskStore::open(&data_dir)?;
    let answer = match command.action {
        TasksAction::List => listing(&store),
        TasksAction::Add { title, description } => {
            to_json(&store.add(&title, description.as_deref())?)
        }
        TasksAction::Update {
            id,
            title,
            description,
        } => to_json(&store.update(&id, title.as_deref(), description.as_deref())?),
        TasksAction::Complete { id } => to_json(&store.set_completed(&id, true)?),
        TasksAction::Reopen { id } => to_json(&store.set_completed(&id, false)?),
        TasksAction::Delete { id } => to_json(&store.delete(&id)?),
        TasksAction::Connect { backend, user_id } => {
            let user_id = user_id.trim();
            if user_id.is_empty() || user_id.contains(['/', '?', '#']) {
                return Err(AppError::invalid_input(
                    "--user-id must be a user id, without slashes.",
                ));
            }
            store.connect(SyncTarget {
                backend_url: crate::broker::connection::http_url("--backend", &backend)?,
                user_id: user_id.to_string(),
            })?;
            listing(&store)
        }
        TasksAction::Sync => {
            let target = store.snapshot().sync.target.ok_or_else(|| {
                AppError::invalid_input("Not connected to a backend: run `tasks connect` first.")
            })?;
            let token = std::env::var(BACKEND_TOKEN_ENV)
                .ok()
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    AppError::invalid_input(format!(
                        "Set {BACKEND_TOKEN_ENV} to the backend token."
                    ))
                })?;
            let client = BackendClient::new(target, SecretString::new(token));
            let outcome = runtime()?.block_on(sync_once(&store, &client));
            let synced = outcome.state == SyncPhase::Synced;
            let answer = to_json(&outcome);
            return Ok(if synced {
                Outcome::Done(answer)
            } else {
                Outcome::Failed(answer)
            });
        }
    };
    Ok(Outcome::Done(answer))
}
