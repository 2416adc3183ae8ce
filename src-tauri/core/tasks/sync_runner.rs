//! Keeps tasks in sync in the background while a backend is configured: at start, every
//! minute, soon after each local change, and on demand. Reports its status to a callback
//! (the app turns it into an event for the webview).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::broker::secret::SecretString;
use crate::error::{AppResult, ErrorCode};
use crate::tasks::store::TaskStore;
use crate::tasks::sync::{sync_once, BackendClient, SyncPhase};
use crate::tasks::sync_state::{Conflict, SyncTarget};

pub const SYNC_INTERVAL: Duration = Duration::from_secs(60);
/// Edits made in a burst go out together.
pub const SYNC_DEBOUNCE: Duration = Duration::from_secs(2);

/// What the UI shows: "3 changes waiting to sync", conflicts, when it last synced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct SyncStatus {
    /// False on the Local connection: tasks live on this device only.
    pub backend: bool,
    pub phase: Option<SyncPhase>,
    pub syncing: bool,
    pub pending_changes: u32,
    pub pending_task_ids: Vec<String>,
    pub conflicts: Vec<Conflict>,
    #[specta(type = Option<String>)]
    pub last_synced_at: Option<DateTime<Utc>>,
    pub message: Option<String>,
}

/// Where to sync right now: the backend and its token, or `None` on a local connection.
pub type TargetSource = Arc<
    dyn Fn() -> futures_util::future::BoxFuture<
            'static,
            AppResult<Option<(SyncTarget, SecretString)>>,
        > + Send
        + Sync,
>;

pub struct SyncRunner {
    store: Arc<TaskStore>,
    kick: Notify,
    last: Mutex<(Option<SyncPhase>, Option<String>)>,
}

impl SyncRunner {
    pub fn new(store: Arc<TaskStore>) -> Arc<Self> {
        Arc::new(Self {
            store,
            kick: Notify::new(),
            last: Mutex::new((None, None)),
        })
    }

    /// Ask for a sync soon (after a local change, or "Sync now").
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    pub fn status(&self, backend: bool, syncing: bool) -> SyncStatus {
        let snapshot = self.store.snapshot();
        let (phase, message) = self.last.lock().unwrap().clone();
        let mut pending_task_ids: Vec<String> = snapshot
            .sync
            .outbox
            .iter()
            .map(|q| q.op.local_id().to_string())
            .collect();
        pending_task_ids.dedup();
        SyncStatus {
            backend,
            phase: if backend { phase } else { None },
            syncing,
            pending_changes: snapshot.sync.outbox.len() as u32,
            pending_task_ids,
            conflicts: snapshot.sync.conflicts,
            last_synced_at: snapshot.sync.last_synced_at,
            message: if backend { message } else { None },
        }
    }

    /// Runs until the process ends.
    pub async fn run(
        self: Arc<Self>,
        target: TargetSource,
        report: impl Fn(SyncStatus) + Send + Sync,
    ) {
        let mut changes = self.store.subscribe();
        loop {
            match target().await {
                Ok(Some((target, token))) => {
                    if self.store.snapshot().sync.target.as_ref() != Some(&target) {
                        if let Err(e) = self.store.connect(target.clone()) {
                            tracing::error!("could not start syncing: {}", e.message);
                        }
                    }
                    report(self.status(true, true));
                    let outcome = sync_once(&self.store, &BackendClient::new(target, token)).await;
                    tracing::info!(state = ?outcome.state, pushed = outcome.pushed, pulled = outcome.pulled, "synced");
                    *self.last.lock().unwrap() = (Some(outcome.state), outcome.message);
                    report(self.status(true, false));
                }
                Ok(None) => report(self.status(false, false)),
                Err(e) => {
                    // No token, or one the backend refused to renew: ask to sign in.
                    let phase = if e.code == ErrorCode::SignInRequired {
                        SyncPhase::SignInRequired
                    } else {
                        SyncPhase::Error
                    };
                    *self.last.lock().unwrap() = (Some(phase), Some(e.message));
                    report(self.status(true, false));
                }
            }
            // Sleep until the interval passes, someone asks, or a local change settles.
            tokio::select! {
                _ = tokio::time::sleep(SYNC_INTERVAL) => {}
                _ = self.kick.notified() => {}
                changed = changes.recv() => {
                    if changed.is_err() {
                        changes = self.store.subscribe();
                    }
                    tokio::time::sleep(SYNC_DEBOUNCE).await;
                    while changes.try_recv().is_ok() {}
                }
            }
        }
    }
}
