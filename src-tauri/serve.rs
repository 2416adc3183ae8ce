//! `todo-assistant serve`: the app's ChatKit server with no window and no display, on
//! loopback HTTP, storing threads in the same format as the app.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use crate::agent::client::{ModelClient, ModelConfig, RetryPolicy};
use crate::agent::Agent;
use crate::broker::client_secret::ClientSecrets;
use crate::broker::connection::{DEFAULT_MODEL, DEFAULT_OPENAI_BASE_URL};
use crate::broker::secret::SecretString;
use crate::chatkit::gateway::ChatKitGateway;
use crate::chatkit::http::{self, CHATKIT_PATH};
use crate::chatkit::responder::Responder;
use crate::chatkit::server::ChatKitServer;
use crate::error::{AppError, AppResult};
use crate::storage::documents::FileDocuments;
use crate::storage::thread_store::FileThreadStore;
use crate::tasks::store::TaskStore;

pub const APP_IDENTIFIER: &str = "dev.todoassistant.app";

/// Where the local connection's threads live inside a data folder (the app's, or `--data-dir`).
pub fn local_threads_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("threads").join("local")
}

#[derive(Debug, PartialEq)]
pub struct ServeArgs {
    pub port: u16,
    pub data_dir: Option<PathBuf>,
    pub responder: String,
}

const USAGE: &str = "usage: todo-assistant serve [--port P] [--data-dir D]";

pub fn parse_args(args: &[String]) -> AppResult<ServeArgs> {
    let mut parsed = ServeArgs {
        port: 0,
        data_dir: None,
        responder: "assistant".into(),
    };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .cloned()
                .ok_or_else(|| AppError::invalid_input(format!("{flag} needs a value. {USAGE}")))
        };
        match flag.as_str() {
            "--port" => {
                let raw = value()?;
                parsed.port = raw.parse().map_err(|_| {
                    AppError::invalid_input(format!("--port must be 0-65535, not {raw}"))
                })?;
            }
            "--data-dir" => parsed.data_dir = Some(PathBuf::from(value()?)),
            "--responder" => parsed.responder = value()?,
            "-h" | "--help" => return Err(AppError::invalid_input(USAGE)),
            other => {
                return Err(AppError::invalid_input(format!(
                    "unknown option {other}. {USAGE}"
                )))
            }
        }
    }
    Ok(parsed)
}

/// The model settings `serve` takes from the environment; the key is never written anywhere.
fn model_config_from_env() -> ModelConfig {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    ModelConfig {
        base_url: var("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.into()),
        api_key: var("OPENAI_API_KEY").map(SecretString::new),
        model: var("OPENAI_MODEL").unwrap_or_else(|| DEFAULT_MODEL.into()),
    }
}

fn responder_named(name: &str, data_dir: &std::path::Path) -> AppResult<Arc<dyn Responder>> {
    match name {
        "assistant" => {
            let tasks = Arc::new(TaskStore::open(Arc::new(FileDocuments::new(data_dir)))?);
            let config = model_config_from_env();
            Ok(Arc::new(Agent::new(
                ModelClient::new(RetryPolicy::from_env())?,
                tasks,
                Arc::new(move || Ok(config.clone())),
            )))
        }
        #[cfg(feature = "test-support")]
        "echo" => Ok(Arc::new(crate::chatkit::echo::EchoResponder)),
        other => Err(AppError::invalid_input(format!(
            "unknown responder {other}"
        ))),
    }
}

/// The app's own data folder, as Tauri resolves it (`dirs::data_dir()/identifier`).
pub fn default_data_dir() -> AppResult<PathBuf> {
    dirs::data_dir()
        .map(|dir| dir.join(APP_IDENTIFIER))
        .ok_or_else(|| AppError::invalid_input("no data folder on this system; pass --data-dir"))
}

/// Runs until killed. Prints one JSON line when ready: the URL, a client secret, its expiry.
pub fn run(args: &[String]) -> AppResult<()> {
    let args = parse_args(args)?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let store = Arc::new(FileThreadStore::open(Arc::new(FileDocuments::new(
        local_threads_dir(&data_dir),
    )))?);
    let secrets = Arc::new(ClientSecrets::per_process()?);
    let gateway = Arc::new(ChatKitGateway::new(
        ChatKitServer::new(store, responder_named(&args.responder, &data_dir)?),
        secrets.clone(),
    ));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::internal(format!("no async runtime: {e}")))?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
                .await
                .map_err(|e| {
                    AppError::invalid_input(format!(
                        "cannot listen on 127.0.0.1:{}: {e}",
                        args.port
                    ))
                })?;
        let port = listener
            .local_addr()
            .map_err(|e| AppError::internal(e.to_string()))?
            .port();
        let secret = secrets.issue()?;
        let ready = json!({
            "chatkit_url": format!("http://127.0.0.1:{port}{CHATKIT_PATH}"),
            "client_secret": secret.client_secret,
            "expires_at": secret.expires_at,
        });
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{ready}")
            .and_then(|()| stdout.flush())
            .map_err(|e| AppError::internal(e.to_string()))?;
        drop(stdout);
        tracing::info!(port, data = %data_dir.display(), "serving ChatKit");
        http::serve(listener, gateway).await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_flags_and_rejects_unknown_ones() {
        let args = parse_args(&strings(&["--port", "8123", "--data-dir", "/tmp/d"])).unwrap();
        assert_eq!(args.port, 8123);
        assert_eq!(args.data_dir, Some(PathBuf::from("/tmp/d")));
        assert_eq!(parse_args(&[]).unwrap().port, 0);
        for bad in [&["--port"][..], &["--port", "99999"], &["--bogus"]] {
            assert!(parse_args(&strings(bad)).is_err(), "{bad:?}");
        }
    }
}
