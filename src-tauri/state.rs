//! What the Tauri shell keeps for the commands: the keychain, settings and threads on disk
//! (through tauri-plugin-store), the chat gateway once it is first needed, and paths.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tauri::Wry;
use tokio::sync::OnceCell;

use crate::broker::client_secret::ClientSecrets;
use crate::broker::connection::Settings;
use crate::broker::keychain::OsKeychain;
use crate::chatkit::gateway::ChatKitGateway;
use crate::chatkit::ipc::IpcStreams;
use crate::chatkit::responder::{NoAssistant, Responder};
use crate::chatkit::server::ChatKitServer;
use crate::error::{AppError, AppResult};
use crate::storage::app_store::PluginDocuments;
use crate::storage::atomic::Recovery;
use crate::storage::documents::DocumentStore;
use crate::storage::thread_store::FileThreadStore;

pub const SETTINGS_DOC: &str = "settings";

pub struct AppState {
    pub keychain: OsKeychain,
    pub settings_docs: Arc<PluginDocuments<Wry>>,
    pub thread_docs: Arc<PluginDocuments<Wry>>,
    pub chat: OnceCell<Arc<ChatKitGateway>>,
    pub streams: Arc<IpcStreams>,
    pub paths: AppPaths,
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
        Ok(self
            .settings_docs
            .read(SETTINGS_DOC)?
            .map(|doc| Settings::from_entries(&doc))
            .unwrap_or_default())
    }

    pub fn save_settings(&self, settings: &Settings) -> AppResult<()> {
        self.settings_docs
            .write(SETTINGS_DOC, &settings.to_entries())
    }

    /// The local ChatKit server, built on first use: its signing key comes from the
    /// keychain, which may be unavailable (then the next call tries again).
    pub async fn chat(&self) -> AppResult<Arc<ChatKitGateway>> {
        self.chat
            .get_or_try_init(|| async {
                let keychain = self.keychain.clone();
                let secrets = tauri::async_runtime::spawn_blocking(move || {
                    ClientSecrets::from_keychain(&keychain)
                })
                .await
                .map_err(|e| AppError::internal(format!("keychain task failed: {e}")))??;
                let store = Arc::new(FileThreadStore::open(self.thread_docs.clone())?);
                Ok(Arc::new(ChatKitGateway::new(
                    ChatKitServer::new(store, app_responder()),
                    Arc::new(secrets),
                )))
            })
            .await
            .cloned()
    }
}

/// The responder the app's chat uses. Test builds can pick the echo responder with
/// `TODO_ASSISTANT_TEST_RESPONDER=echo` for end-to-end tests.
fn app_responder() -> Arc<dyn Responder> {
    #[cfg(feature = "test-support")]
    if std::env::var("TODO_ASSISTANT_TEST_RESPONDER").as_deref() == Ok("echo") {
        return Arc::new(crate::chatkit::echo::EchoResponder);
    }
    Arc::new(NoAssistant)
}
