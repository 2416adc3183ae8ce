//! What the Tauri shell keeps for the commands: the keychain, settings and threads on disk
//! (through tauri-plugin-store), the chat gateway once it is first needed, and paths.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tauri::Wry;
use tokio::sync::OnceCell;

use crate::agent::client::{ModelClient, ModelConfig, RetryPolicy};
use crate::agent::Agent;
use crate::broker::client_secret::ClientSecrets;
use crate::broker::connection::{Connection, Settings};
use crate::broker::environment::EnvironmentModel;
use crate::broker::keychain::{OsKeychain, SecretSlot};
use crate::chatkit::attachments::Attachments;
use crate::chatkit::gateway::ChatKitGateway;
use crate::chatkit::ipc::{ipc_upload_url, IpcStreams};
use crate::chatkit::responder::Responder;
use crate::chatkit::server::ChatKitServer;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::plugin_store::PluginDocuments;
use crate::storage::atomic::Recovery;
use crate::storage::attachment_files::AttachmentFiles;
use crate::storage::documents::DocumentStore;
use crate::storage::thread_store::FileThreadStore;
use crate::tasks::store::TaskStore;

pub const SETTINGS_DOC: &str = "settings";

/// The settings in `docs`; the defaults when none were saved yet.
pub fn read_settings(docs: &dyn DocumentStore) -> AppResult<Settings> {
    Ok(docs
        .read(SETTINGS_DOC)?
        .map(|doc| Settings::from_entries(&doc))
        .unwrap_or_default())
}

pub struct AppState {
    pub keychain: OsKeychain,
    pub settings_docs: Arc<PluginDocuments<Wry>>,
    pub thread_docs: Arc<PluginDocuments<Wry>>,
    pub chat: OnceCell<Arc<ChatKitGateway>>,
    /// Opened at start; an error (e.g. a file from a newer version) is kept to report.
    pub tasks: Result<Arc<TaskStore>, AppError>,
    pub backend_auth: crate::broker::backend::BackendAuth,
    pub session_secrets: crate::broker::backend::SessionSecrets,
    pub backend_chat: crate::chatkit::proxy::BackendChatKit,
    /// The hosted workflow session handed out last, to reuse and to cancel on a switch.
    pub hosted_session: tokio::sync::Mutex<Option<crate::broker::hosted::HostedSession>>,
    /// Background sync with a backend; present when the task store opened.
    pub sync: Option<Arc<crate::tasks::sync_runner::SyncRunner>>,
    pub streams: Arc<IpcStreams>,
    pub paths: AppPaths,
    /// `OPENAI_API_KEY` and friends from the environment the app was started in.
    pub environment: EnvironmentModel,
    /// What loading settings had to repair, shown in Settings.
    pub settings_recovery: Recovery,
}

/// Where the app keeps things, shown in Settings so people can find them.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppPaths {
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl AppState {
    pub fn settings(&self) -> AppResult<Settings> {
        read_settings(self.settings_docs.as_ref())
    }

    pub fn save_settings(&self, settings: &Settings) -> AppResult<()> {
        self.settings_docs
            .write(SETTINGS_DOC, &settings.to_entries())
    }

    pub fn tasks(&self) -> AppResult<Arc<TaskStore>> {
        self.tasks.clone()
    }

    /// The local ChatKit server, built on first use: its signing key comes from the
    /// keychain, which may be unavailable (then the next call tries again).
    pub async fn chat(&self) -> AppResult<Arc<ChatKitGateway>> {
        self.chat
            .get_or_try_init(|| async {
                let keychain = self.keychain.clone();
                let secrets = tauri::async_runtime::spawn_blocking(move || {
                    ClientSecrets::from_keychain_or_process(&keychain)
                })
                .await
                .map_err(|e| AppError::internal(format!("keychain task failed: {e}")))??;
                let store = Arc::new(FileThreadStore::open(self.thread_docs.clone())?);
                let responder = self.app_responder()?;
                let attachments = Attachments::new(
                    AttachmentFiles::new(crate::serve::attachments_dir(&self.paths.data_dir)),
                    ipc_upload_url,
                );
                Ok(Arc::new(ChatKitGateway::new(
                    ChatKitServer::new(store, responder).with_attachments(attachments),
                    Arc::new(secrets),
                )))
            })
            .await
            .cloned()
    }
}

impl AppState {
    /// The responder the app's chat uses: the agent, configured from Settings each turn.
    /// Test builds can pick the echo responder with `TODO_ASSISTANT_TEST_RESPONDER=echo`.
    fn app_responder(&self) -> AppResult<Arc<dyn Responder>> {
        #[cfg(feature = "test-support")]
        if std::env::var("TODO_ASSISTANT_TEST_RESPONDER").as_deref() == Ok("echo") {
            return Ok(Arc::new(crate::chatkit::echo::EchoResponder));
        }
        let settings_docs = self.settings_docs.clone();
        let keychain = self.keychain.clone();
        let environment = self.environment.clone();
        let config = move || {
            local_model_config(
                &read_settings(settings_docs.as_ref())?,
                &keychain,
                &environment,
            )
        };
        Ok(Arc::new(Agent::new(
            ModelClient::new(RetryPolicy::from_env())?,
            self.tasks()?,
            Arc::new(config),
        )))
    }
}

/// Where tasks sync: the Backend connection's URL, the user its token names, and the token.
pub async fn backend_sync_target(
    settings: &Settings,
    keychain: &OsKeychain,
) -> AppResult<
    Option<(
        crate::tasks::sync_state::SyncTarget,
        crate::broker::secret::SecretString,
    )>,
> {
    let Some(Connection::Backend(backend)) = &settings.connection else {
        return Ok(None);
    };
    // Renewed first when it is about to expire, like the token chat uses.
    let (token, info) = crate::broker::backend::BackendAuth::new(keychain.clone())
        .current_token(&backend.url)
        .await?;
    let user_id = info.user_id.ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidInput,
            "The backend token does not say which user it belongs to; sign in again in Settings.",
        )
    })?;
    Ok(Some((
        crate::tasks::sync_state::SyncTarget {
            backend_url: backend.url.clone(),
            user_id,
        },
        token,
    )))
}

/// The model settings of the Local connection: what the environment sets, else Settings,
/// with the key from the environment or else the keychain.
pub fn local_model_config(
    settings: &Settings,
    keychain: &OsKeychain,
    environment: &EnvironmentModel,
) -> AppResult<ModelConfig> {
    settings.local_model_config(environment, || keychain.read(SecretSlot::OpenaiApiKey))
}
