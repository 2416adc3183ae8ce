//! App updates through tauri-plugin-updater: the plugin reads the release feed, downloads the
//! bundle and checks its minisign signature against the public key in tauri.conf.json; this
//! file keeps the update between the UI's steps and turns the plugin's errors into our codes.

use std::time::Duration;

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Update, Updater, UpdaterExt};
use tokio::sync::Mutex;

use crate::error::{AppError, AppResult, ErrorCode};

/// Where people download a release by hand when an update cannot be applied.
pub const RELEASES_PAGE: &str = "https://github.com/todo-assistant/todo-assistant/releases";

/// A newer version on the release feed.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct UpdateInfo {
    pub version: String,
    pub current_version: String,
    /// The release notes (Markdown from the release's body), if any.
    pub notes: Option<String>,
    /// When it was published (RFC 3339), if the feed says.
    pub date: Option<String>,
}

/// Download progress for the progress bar.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UpdateProgress {
    Downloading {
        downloaded: u64,
        /// `None` when the server does not send the size.
        total: Option<u64>,
    },
    /// Every byte arrived; the signature is being checked.
    Verifying,
}

/// The update found by the last check, and its verified bytes once downloaded.
#[derive(Default)]
pub struct Updates {
    found: Mutex<Option<Update>>,
    downloaded: Mutex<Option<(Update, Vec<u8>)>>,
}

impl Updates {
    pub async fn check<R: Runtime>(&self, app: &AppHandle<R>) -> AppResult<Option<UpdateInfo>> {
        let update = updater(app)?.check().await.map_err(check_error)?;
        let info = update.as_ref().map(|update| UpdateInfo {
            version: update.version.clone(),
            current_version: update.current_version.clone(),
            notes: update.body.clone().filter(|notes| !notes.trim().is_empty()),
            date: update.raw_json["pub_date"].as_str().map(str::to_string),
        });
        *self.found.lock().await = update;
        Ok(info)
    }

    /// Downloads the update found by the last check; the plugin refuses bytes whose
    /// signature does not verify, so only a verified bundle is kept.
    pub async fn download(&self, progress: &Channel<UpdateProgress>) -> AppResult<String> {
        let update = self.found.lock().await.clone().ok_or_else(|| {
            AppError::invalid_input("No update to download: check for updates first.")
        })?;
        let mut downloaded = 0u64;
        let mut reported = 0u64;
        let bytes = update
            .download(
                |chunk, total| {
                    downloaded += chunk as u64;
                    // About a hundred messages per download, not one per network read.
                    let step = total.map_or(256 * 1024, |t| (t / 100).max(1));
                    if downloaded - reported >= step || Some(downloaded) == total {
                        reported = downloaded;
                        let _ = progress.send(UpdateProgress::Downloading { downloaded, total });
                    }
                },
                || {
                    let _ = progress.send(UpdateProgress::Verifying);
                },
            )
            .await
            .map_err(download_error)?;
        tracing::info!(version = %update.version, bytes = bytes.len(), "update downloaded and verified");
        let version = update.version.clone();
        *self.downloaded.lock().await = Some((update, bytes));
        Ok(version)
    }

    /// Installs the downloaded update (the plugin verifies it again first). On Windows the
    /// installer takes over and the app exits; elsewhere the UI relaunches it after this.
    pub async fn install(&self) -> AppResult<()> {
        let (update, bytes) = self.downloaded.lock().await.take().ok_or_else(|| {
            AppError::invalid_input("No downloaded update to install: download it first.")
        })?;
        let version = update.version.clone();
        tauri::async_runtime::spawn_blocking(move || update.install(bytes))
            .await
            .map_err(|e| AppError::internal(format!("the update install task failed: {e}")))?
            .map_err(install_error)?;
        tracing::info!(%version, "update installed");
        Ok(())
    }
}

fn updater<R: Runtime>(app: &AppHandle<R>) -> AppResult<Updater> {
    // Only test builds (below) change the builder.
    #[allow(unused_mut)]
    let mut builder = app.updater_builder().configure_client(|client| {
        // No total timeout: a large bundle on a slow line may take minutes.
        client
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(30))
    });
    // Tests point a test build at a feed on loopback signed with their own key. Release
    // builds never compile this, so only tauri.conf.json's endpoint and key count there.
    #[cfg(feature = "test-support")]
    {
        if let Some(endpoint) = std::env::var("TODO_ASSISTANT_TEST_UPDATE_ENDPOINT")
            .ok()
            .and_then(|url| url.parse().ok())
        {
            builder = builder
                .endpoints(vec![endpoint])
                .map_err(|e| AppError::internal(format!("test update endpoint: {e}")))?;
        }
        if let Ok(pubkey) = std::env::var("TODO_ASSISTANT_TEST_UPDATE_PUBKEY") {
            builder = builder.pubkey(pubkey);
        }
    }
    builder.build().map_err(|e| {
        AppError::new(
            ErrorCode::UpdateCheckFailed,
            format!("Updates are not available in this build ({e})."),
        )
    })
}

fn is_signature_error(e: &tauri_plugin_updater::Error) -> bool {
    use tauri_plugin_updater::Error as E;
    matches!(
        e,
        E::Minisign(_)
            | E::Base64(_)
            | E::SignatureUtf8(_)
            | E::SignedVersionMismatch { .. }
            | E::MissingSignedVersion
    )
}

fn signature_error(e: &tauri_plugin_updater::Error) -> AppError {
    AppError::new(
        ErrorCode::UpdateSignatureInvalid,
        format!(
            "The downloaded update is not signed with Todo Assistant's release key ({e}), so it \
             was discarded and nothing was installed. Try again later, or download the app from {RELEASES_PAGE}."
        ),
    )
}

fn check_error(e: tauri_plugin_updater::Error) -> AppError {
    use tauri_plugin_updater::Error as E;
    let message = match &e {
        E::TargetNotFound(_) | E::TargetsNotFound(_) => format!(
            "The latest release has no update for this system ({e}). Download it from {RELEASES_PAGE}."
        ),
        E::Reqwest(_) | E::Network(_) | E::ReleaseNotFound => format!(
            "Could not reach the update server ({e}). Check the internet connection; the app \
             will try again later."
        ),
        _ => format!("The update feed could not be read ({e}). Try again later."),
    };
    AppError::new(ErrorCode::UpdateCheckFailed, message)
}

fn download_error(e: tauri_plugin_updater::Error) -> AppError {
    if is_signature_error(&e) {
        return signature_error(&e);
    }
    AppError::new(
        ErrorCode::UpdateDownloadFailed,
        format!(
            "The update could not be downloaded ({e}); nothing was installed. Check the \
             internet connection and try again."
        ),
    )
}

fn install_error(e: tauri_plugin_updater::Error) -> AppError {
    if is_signature_error(&e) {
        return signature_error(&e);
    }
    AppError::new(
        ErrorCode::UpdateInstallFailed,
        format!(
            "The update could not be installed ({e}); the installed app is unchanged. \
             Download the new version from {RELEASES_PAGE}."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri_plugin_updater::Error as E;

    #[test]
    fn plugin_errors_become_our_codes() {
        let bad_signature = download_error(E::SignatureUtf8("not base64".into()));
        assert_eq!(bad_signature.code, ErrorCode::UpdateSignatureInvalid);
        assert!(bad_signature.message.contains("nothing was installed"));
        let mismatch = download_error(E::SignedVersionMismatch {
            signed: "0.1.0".into(),
            announced: "9.0.0".into(),
        });
        assert_eq!(mismatch.code, ErrorCode::UpdateSignatureInvalid);
        let cut = download_error(E::Network(
            "Download request failed with status: 503".into(),
        ));
        assert_eq!(cut.code, ErrorCode::UpdateDownloadFailed);
        let install = install_error(E::DebInstallFailed);
        assert_eq!(install.code, ErrorCode::UpdateInstallFailed);
        assert!(install.message.contains("unchanged"));
        let missing = check_error(E::TargetsNotFound(vec!["linux-x86_64".into()]));
        assert_eq!(missing.code, ErrorCode::UpdateCheckFailed);
        assert!(missing.message.contains(RELEASES_PAGE));
    }
}
