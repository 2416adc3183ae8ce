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

/// A command-line group: arguments in, JSON to print out.
pub type Command = fn(&[String]) -> AppResult<Value>;

const USAGE: &str = "usage: todo-assistant tasks [--data-dir D] <list | add TITLE [--description T] | update ID [--title T] [--description T] | complete ID | reopen ID | delete ID | connect --backend URL --user-id U | sync>";

pub const BACKEND_TOKEN_ENV: &str = "TODO_ASSISTANT_BACKEND_TOKEN";

struct Args {
    data_dir: Option<PathBuf>,
    positional: Vec<String>,
    flags: Vec<(String, String)>,
}

const BACKEND_USAGE: &str = "usage: todo-assistant backend <sign-in --backend URL --email E (password in TODO_ASSISTANT_PASSWORD) | paste-token (token in TODO_ASSISTANT_BACKEND_TOKEN) | token-status --backend URL | sign-out | session-secret --backend URL [--current S] [--concurrent N] | chatkit --backend URL [--path /chatkit] (request on stdin)>";
const HOSTED_USAGE: &str = "usage: todo-assistant hosted [--data-dir D] <save-key | session --workflow wf_… [--openai-base URL] | cancel --session ID [--openai-base URL]> (key in OPENAI_API_KEY or the keychain)";

fn wants_help(args: &[String]) -> bool {
    args.iter()
        .any(|a| a == "--help" || a == "-h" || a == "help")
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

fn runtime() -> AppResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::internal(format!("no async runtime: {e}")))
}

fn required_env(name: &str) -> AppResult<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(SecretString::new)
        .ok_or_else(|| AppError::invalid_input(format!("Set {name}.")))
}

fn required_flag<'a>(args: &'a Args, name: &str) -> AppResult<&'a str> {
    args.flag(name)
        .ok_or_else(|| AppError::invalid_input(format!("--{name} is missing.")))
}

/// `backend …`: sign-in, token custody, session secrets, and the ChatKit relay.
pub fn run_backend(args: &[String]) -> AppResult<Value> {
    use crate::broker::backend::{BackendAuth, SessionSecrets};
    use crate::broker::keychain::OsKeychain;
    if wants_help(args) {
        return Ok(json!({ "usage": BACKEND_USAGE }));
    }
    let args = parse(args)?;
    let auth = BackendAuth::new(OsKeychain::for_app());
    let rt = runtime()?;
    Ok(match args.arg(0, "a command")? {
        "sign-in" => {
            let password = required_env("TODO_ASSISTANT_PASSWORD")?;
            to_json(&rt.block_on(auth.sign_in(
                required_flag(&args, "backend")?,
                required_flag(&args, "email")?,
                &password,
            ))?)
        }
        "paste-token" => to_json(&auth.paste_token(required_env(BACKEND_TOKEN_ENV)?.expose())?),
        "token-status" => to_json(
            &rt.block_on(auth.current_token(required_flag(&args, "backend")?))?
                .1,
        ),
        "sign-out" => {
            auth.sign_out()?;
            json!({"signed_out": true})
        }
        "session-secret" => {
            let backend = required_flag(&args, "backend")?;
            let concurrent: usize = args
                .flag("concurrent")
                .and_then(|n| n.parse().ok())
                .unwrap_or(1)
                .max(1);
            rt.block_on(async {
                let (token, _) = auth.current_token(backend).await?;
                let secrets = Arc::new(SessionSecrets::new());
                if let Some(current) = args.flag("current") {
                    let secret = secrets
                        .client_secret(backend, &token, Some(current))
                        .await?;
                    return Ok::<_, AppError>(to_json(&secret));
                }
                let calls = (0..concurrent).map(|_| {
                    let (secrets, token) = (secrets.clone(), token.clone());
                    let backend = backend.to_string();
                    async move { secrets.client_secret(&backend, &token, None).await }
                });
                let results: Vec<_> = futures_util::future::join_all(calls)
                    .await
                    .into_iter()
                    .collect::<AppResult<_>>()?;
                let first: &crate::broker::client_secret::ClientSecret = &results[0];
                let reused = secrets
                    .client_secret(backend, &token, Some(&first.client_secret))
                    .await?;
                Ok(json!({
                    "secrets": results.iter().map(|s| &s.client_secret).collect::<Vec<_>>(),
                    "expires_at": first.expires_at,
                    "reused": reused.client_secret,
                    "requests": secrets.requests_made(),
                }))
            })?
        }
        "chatkit" => {
            use crate::chatkit::proxy::{BackendChatKit, ProxyAnswer};
            use std::io::{Read, Write};
            let backend = required_flag(&args, "backend")?;
            let url = format!(
                "{}{}",
                backend.trim_end_matches('/'),
                args.flag("path").unwrap_or("/chatkit")
            );
            let mut body = String::new();
            std::io::stdin()
                .read_to_string(&mut body)
                .map_err(|e| AppError::invalid_input(format!("no request on stdin: {e}")))?;
            rt.block_on(async {
                let (token, _) = auth.current_token(backend).await?;
                match BackendChatKit::new().forward(&url, &token, body).await? {
                    ProxyAnswer::Json { status, body } if (200..300).contains(&status) => {
                        Ok(serde_json::from_str(&body).unwrap_or(Value::String(body)))
                    }
                    ProxyAnswer::Json { status, body } => Err(AppError::new(
                        crate::error::ErrorCode::BackendError,
                        format!(
                            "The backend's chat answered HTTP {status}: {}",
                            crate::broker::http::error_message(&body)
                        ),
                    )),
                    ProxyAnswer::Stream(mut events) => {
                        let mut stdout = std::io::stdout();
                        while let Some(event) = events.recv().await {
                            let _ = writeln!(stdout, "{event}").and_then(|()| stdout.flush());
                        }
                        Ok(Value::Null)
                    }
                }
            })?
        }
        other => {
            return Err(AppError::invalid_input(format!(
                "unknown backend command {other}"
            )))
        }
    })
}

/// `hosted …`: legacy Agent Builder sessions.
pub fn run_hosted(args: &[String]) -> AppResult<Value> {
    use crate::broker::hosted::{install_id, HostedSessions};
    use crate::broker::keychain::{OsKeychain, SecretSlot};
    if wants_help(args) {
        return Ok(json!({ "usage": HOSTED_USAGE }));
    }
    let args = parse(args)?;
    let keychain = OsKeychain::for_app();
    let data_dir = match args.data_dir.clone() {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let key = || -> AppResult<SecretString> {
        match required_env("OPENAI_API_KEY") {
            Ok(key) => Ok(key),
            Err(_) => keychain.read(SecretSlot::OpenaiApiKey)?.ok_or_else(|| {
                AppError::invalid_input("Set OPENAI_API_KEY or run `hosted save-key` first.")
            }),
        }
    };
    let sessions = HostedSessions::new(
        args.flag("openai-base")
            .unwrap_or(crate::broker::connection::DEFAULT_OPENAI_BASE_URL),
    );
    let rt = runtime()?;
    Ok(match args.arg(0, "a command")? {
        "save-key" => to_json(&keychain.save_typed(
            SecretSlot::OpenaiApiKey,
            required_env("OPENAI_API_KEY")?.expose(),
        )?),
        "session" => {
            let user = install_id(&FileDocuments::new(&data_dir))?;
            to_json(&rt.block_on(sessions.start(
                &key()?,
                &user,
                required_flag(&args, "workflow")?,
            ))?)
        }
        "cancel" => {
            rt.block_on(sessions.cancel(&key()?, required_flag(&args, "session")?))?;
            json!({"cancelled": true})
        }
        other => {
            return Err(AppError::invalid_input(format!(
                "unknown hosted command {other}"
            )))
        }
    })
}

/// Runs one command and returns what to print.
pub fn run(args: &[String]) -> AppResult<Value> {
    if wants_help(args) {
        return Ok(json!({ "usage": USAGE }));
    }
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
            let user_id = user_id.trim();
            if user_id.is_empty() || user_id.contains(['/', '?', '#']) {
                return Err(AppError::invalid_input(
                    "--user-id must be a user id, without slashes.",
                ));
            }
            store.connect(SyncTarget {
                backend_url: crate::broker::connection::http_url("--backend", backend_url)?,
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
            let client = BackendClient::new(target, SecretString::new(token));
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
