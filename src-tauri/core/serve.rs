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
use crate::broker::connection::{ApiStyle, DEFAULT_MODEL, DEFAULT_OPENAI_BASE_URL};

use crate::chatkit::attachments::Attachments;
use crate::chatkit::gateway::ChatKitGateway;
use crate::chatkit::http::{self, CHATKIT_PATH};
use crate::chatkit::responder::Responder;
use crate::chatkit::server::ChatKitServer;
use crate::error::{AppError, AppResult};
use crate::storage::attachment_files::AttachmentFiles;
use crate::storage::documents::FileDocuments;
use crate::storage::thread_store::FileThreadStore;
use crate::tasks::store::TaskStore;

pub const APP_IDENTIFIER: &str = "dev.todoassistant.app";

/// Where the local connection's threads live inside a data folder (the app's, or `--data-dir`).
pub fn local_threads_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("threads").join("local")
}

/// Where chat attachments live inside a data folder, beside `threads/`.
pub fn attachments_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("attachments")
}

#[derive(Debug, PartialEq, clap::Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The data folder (default: the app's own)
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Who answers: the assistant, or (test builds) `echo`
    #[arg(long, default_value = "assistant", hide = true)]
    pub responder: String,
}

/// Which wire API `serve` speaks to the model server: automatic unless this names one.
pub const API_STYLE_VAR: &str = "TODO_ASSISTANT_API_STYLE";

/// The model settings `serve` takes from the environment; the key is never written anywhere.
fn model_config_from_env() -> AppResult<ModelConfig> {
    let env = crate::broker::environment::EnvironmentModel::from_env();
    let api_style = match std::env::var(API_STYLE_VAR) {
        Ok(raw) if !raw.trim().is_empty() => ApiStyle::parse(&raw)
            .map_err(|e| AppError::invalid_input(format!("{API_STYLE_VAR}: {}", e.message)))?,
        _ => ApiStyle::Automatic,
    };
    Ok(ModelConfig {
        base_url: env
            .base_url
            .unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.into()),
        api_key: env.api_key,
        model: env.model.unwrap_or_else(|| DEFAULT_MODEL.into()),
        api_style,
    })
}

fn responder_named(name: &str, data_dir: &std::path::Path) -> AppResult<Arc<dyn Responder>> {
    match name {
        "assistant" => {
            let tasks = Arc::new(TaskStore::open(data_dir)?);
            let config = model_config_from_env()?;
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
pub fn run(args: ServeArgs) -> AppResult<()> {
    crate::logging::init_stderr("info");
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let store = Arc::new(FileThreadStore::open(Arc::new(FileDocuments::new(
        local_threads_dir(&data_dir),
    )))?);
    let secrets = Arc::new(ClientSecrets::per_process()?);
    let server = ChatKitServer::new(store, responder_named(&args.responder, &data_dir)?);

    // One thread: a request is microseconds of work and writes take turns on the folder
    // lock anyway, while a second worker only added a cross-thread wake-up to every request
    // (two context switches instead of one; p50 threads.list 0.34 -> 0.22 ms). Tool calls
    // and task flushes still go to the blocking pool.
    let runtime = tokio::runtime::Builder::new_current_thread()
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
        // Uploads go to this same server, so their URL needs the port just bound.
        let files = AttachmentFiles::new(attachments_dir(&data_dir));
        let server = server.with_attachments(Attachments::new(files, move |id| {
            format!("http://127.0.0.1:{port}{}", http::upload_path(id))
        }));
        let gateway = Arc::new(ChatKitGateway::new(server, secrets.clone()));
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
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn parse(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        Wrapper::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .map(|w| w.serve)
    }

    #[test]
    fn parses_flags_and_rejects_unknown_ones() {
        let args = parse(&["--port", "8123", "--data-dir", "/tmp/d"]).unwrap();
        assert_eq!(args.port, 8123);
        assert_eq!(args.data_dir, Some(PathBuf::from("/tmp/d")));
        assert_eq!(parse(&[]).unwrap().port, 0);
        for bad in [&["--port"][..], &["--port", "99999"], &["--bogus"]] {
            assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }
}
