//! `hosted …`: legacy Agent Builder sessions (OpenAI's hosted workflows).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::{required_env, runtime, to_json, Outcome};
use crate::broker::hosted::{install_id, HostedSessions};
use crate::broker::keychain::{OsKeychain, SecretSlot};
use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult};
use crate::serve::default_data_dir;
use crate::storage::documents::FileDocuments;

#[derive(Debug, Args)]
pub struct HostedCommand {
    /// The data folder (default: the app's own)
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// OpenAI's API base URL
    #[arg(long, global = true, value_name = "URL", default_value = crate::broker::connection::DEFAULT_OPENAI_BASE_URL)]
    openai_base: String,
    #[command(subcommand)]
    action: HostedAction,
}

#[derive(Debug, Subcommand)]
enum HostedAction {
    /// Keep the key in OPENAI_API_KEY in the keychain
    SaveKey,
    /// Start a ChatKit session for a workflow (key from OPENAI_API_KEY or the keychain)
    Session {
        #[arg(long, value_name = "wf_…")]
        workflow: String,
    },
    /// Cancel a session
    Cancel {
        #[arg(long, value_name = "ID")]
        session: String,
    },
}

pub(super) fn run(command: HostedCommand) -> AppResult<Outcome> {
    let keychain = OsKeychain::for_app();
    let key = || -> AppResult<SecretString> {
        match required_env("OPENAI_API_KEY") {
            Ok(key) => Ok(key),
            Err(_) => keychain.read(SecretSlot::OpenaiApiKey)?.ok_or_else(|| {
                AppError::invalid_input("Set OPENAI_API_KEY or run `hosted save-key` first.")
            }),
        }
    };
    let sessions = HostedSessions::new(&command.openai_base);
    let rt = runtime()?;
    Ok(Outcome::Done(match command.action {
        HostedAction::SaveKey => to_json(&keychain.save_typed(
            SecretSlot::OpenaiApiKey,
            required_env("OPENAI_API_KEY")?.expose(),
        )?),
        HostedAction::Session { workflow } => {
            let data_dir = match command.data_dir {
                Some(dir) => dir,
                None => default_data_dir()?,
            };
            let user = install_id(&FileDocuments::new(&data_dir))?;
            to_json(&rt.block_on(sessions.start(&key()?, &user, &workflow))?)
        }
        HostedAction::Cancel { session } => {
            rt.block_on(sessions.cancel(&key()?, &session))?;
            json!({"cancelled": true})
        }
    }))
}
