//! `todo-assistant tasks …`: the task store and backend sync from a terminal, on the same
//! files as the app. For scripting and for tests that edit offline, kill a sync, and look.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult};
use crate::serve::default_data_dir;
use crate::storage::documents::FileDocuments;
use crate::tasks::model::Task;
use crate::tasks::store::TaskStore;
use crate::tasks::sync::{sync_once, BackendClient};
use crate::tasks::sync_state::SyncTarget;

const USAGE: &str = "usage: todo-assistant tasks [--data-dir D] <list | add TITLE [--description T] | update ID [--title T] [--description T] | complete ID | reopen ID | delete ID | connect --backend URL --user-id U | sync>";

pub const BACKEND_TOKEN_ENV: &str = "TODO_ASSISTANT_BACKEND_TOKEN";

struct Args {
    data_dir: Option<PathBuf>,
    positional: Vec<String>,
    flags: Vec<(String, String)>,
}

fn parse(args: &[String]) -> AppResult<Args> {
    let mut parsed = Args {
        data_dir: None,
        positional: Vec::new(),
        flags: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if let Some(flag) = arg.strip_prefix("--") {
            let value = rest.next().cloned().ok_or_else(|| {
                AppError::invalid_input(format!("--{flag} needs a value. {USAGE}"))
            })?;
            if flag == "data-dir" {
                parsed.data_dir = Some(PathBuf::from(value));
            } else {
                parsed.flags.push((flag.to_string(), value));
            }
        } else {
            parsed.positional.push(arg.clone());
        }
    }
    Ok(parsed)
}

impl Args {
    fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn arg(&self, at: usize, what: &str) -> AppResult<&str> {
        self.positional
            .get(at)
            .map(String::as_str)
            .ok_or_else(|| AppError::invalid_input(format!("{what} is missing. {USAGE}")))
    }
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

fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Runs one command and returns what to print.
pub fn run(args: &[String]) -> AppResult<Value> {
    let args = parse(args)?;
    let data_dir = match args.data_dir.clone() {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let store = TaskStore::open(Arc::new(FileDocuments::new(&data_dir)))?;
    let command = args.arg(0, "a command")?;
    Ok(match command {
        "list" => listing(&store),
        "add" => to_json(&store.add(args.arg(1, "TITLE")?, args.flag("description"))?),
        "update" => to_json(&store.update(
            args.arg(1, "ID")?,
            args.flag("title"),
            args.flag("description"),
        )?),
        "complete" => to_json(&store.set_completed(args.arg(1, "ID")?, true)?),
        "reopen" => to_json(&store.set_completed(args.arg(1, "ID")?, false)?),
        "delete" => to_json(&store.delete(args.arg(1, "ID")?)?),
        "connect" => {
            let backend_url = args
                .flag("backend")
                .ok_or_else(|| AppError::invalid_input(format!("--backend is missing. {USAGE}")))?;
            let user_id = args
                .flag("user-id")
                .ok_or_else(|| AppError::invalid_input(format!("--user-id is missing. {USAGE}")))?;
            store.connect(SyncTarget {
                backend_url: backend_url.trim_end_matches('/').to_string(),
                user_id: user_id.to_string(),
            })?;
            listing(&store)
        }
        "sync" => {
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
            let client = BackendClient::new(target, SecretString::new(token))?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| AppError::internal(format!("no async runtime: {e}")))?;
            to_json(&runtime.block_on(sync_once(&store, &client)))
        }
        "status" => listing(&store),
        other => {
            return Err(AppError::invalid_input(format!(
                "unknown command {other}. {USAGE}"
            )))
        }
    })
}
