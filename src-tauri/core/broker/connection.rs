//! Which service the chat and tasks talk to, and the non-secret settings that go with it.
//! Secrets for each connection live in the keychain (`keychain.rs`), never here.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{AppError, AppResult};

/// The model used when the user names none; a current, inexpensive general model.
pub const DEFAULT_MODEL: &str = "gpt-5-mini";
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// ChatKit wants a domain key; for a local server any placeholder the component accepts works.
pub const DEFAULT_CHATKIT_DOMAIN_KEY: &str = "domain_pk_localhost_dev";
pub const SETTINGS_SCHEMA_VERSION: u64 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Connection {
    /// The core's own ChatKit server, with the user's OpenAI (or compatible) key.
    Local(LocalConnection),
    /// A team backend of the seeds' kind (sign-in comes with the backend issue).
    Backend(BackendConnection),
    /// A legacy Agent Builder workflow hosted by OpenAI (ends 2026-11-30).
    HostedWorkflow(HostedWorkflowConnection),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct LocalConnection {
    /// An OpenAI-compatible API base URL; `None` means OpenAI itself.
    pub base_url: Option<String>,
    pub model: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct BackendConnection {
    pub url: String,
    /// How chat reaches the backend.
    #[serde(default)]
    pub chat: BackendChat,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum BackendChat {
    /// The backend serves the ChatKit protocol at `{url}/chatkit`; the core relays to it.
    #[default]
    ChatkitEndpoint,
    /// The backend mints OpenAI ChatKit client secrets at `{url}/api/chatkit/session`.
    SessionEndpoint,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct HostedWorkflowConnection {
    pub workflow_id: String,
}

/// Everything the app keeps in `settings.json` (through tauri-plugin-store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Settings {
    /// `None` until onboarding is finished.
    pub connection: Option<Connection>,
    pub chatkit_domain_key: String,
    /// The chat thread open when the app last closed, reopened at start.
    pub last_thread_id: Option<String>,
    /// What the app does when a new version is published.
    pub updates: UpdateMode,
}

/// Settings → Updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMode {
    /// Check at start and download in the background; ask only to restart.
    #[default]
    Automatic,
    /// Check at start and show what is new; download when the user says so.
    Ask,
    /// Check only when the user clicks "Check for updates".
    Never,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            connection: None,
            chatkit_domain_key: DEFAULT_CHATKIT_DOMAIN_KEY.to_string(),
            last_thread_id: None,
            updates: UpdateMode::default(),
        }
    }
}

impl Settings {
    /// Reads settings from the store's entries; missing keys take their defaults. A value
    /// that no longer fits its type is logged and defaulted, and stays on disk untouched
    /// until the user saves.
    pub fn from_entries(entries: &Map<String, Value>) -> Self {
        let mut settings = Settings::default();
        if let Some(value) = entries.get("connection") {
            match serde_json::from_value::<Option<Connection>>(value.clone()) {
                Ok(connection) => settings.connection = connection,
                Err(e) => tracing::warn!("stored connection is not readable, ignoring it: {e}"),
            }
        }
        if let Some(Value::String(key)) = entries.get("chatkit_domain_key") {
            settings.chatkit_domain_key = key.clone();
        }
        if let Some(Value::String(thread_id)) = entries.get("last_thread_id") {
            settings.last_thread_id = Some(thread_id.clone());
        }
        if let Some(value) = entries.get("updates") {
            match serde_json::from_value::<UpdateMode>(value.clone()) {
                Ok(mode) => settings.updates = mode,
                Err(e) => tracing::warn!("stored update mode is not readable, ignoring it: {e}"),
            }
        }
        settings
    }

    pub fn to_entries(&self) -> Map<String, Value> {
        let mut entries = Map::new();
        entries.insert("schema_version".into(), SETTINGS_SCHEMA_VERSION.into());
        entries.insert(
            "connection".into(),
            serde_json::to_value(&self.connection).unwrap_or(Value::Null),
        );
        entries.insert(
            "chatkit_domain_key".into(),
            Value::String(self.chatkit_domain_key.clone()),
        );
        if let Some(thread_id) = &self.last_thread_id {
            entries.insert("last_thread_id".into(), Value::String(thread_id.clone()));
        }
        entries.insert(
            "updates".into(),
            serde_json::to_value(self.updates).unwrap_or(Value::Null),
        );
        entries
    }
}

/// A ChatKit domain key as the user typed it: one token, no spaces.
pub fn validated_domain_key(raw: &str) -> AppResult<String> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 200 || key.contains(char::is_whitespace) {
        return Err(AppError::invalid_input(
            "The domain key must be one word, e.g. domain_pk_… from OpenAI's domain allowlist.",
        ));
    }
    Ok(key.to_string())
}

impl Connection {
    /// Checks and normalizes what a person typed; the error names the field to fix.
    pub fn validated(self) -> AppResult<Self> {
        Ok(match self {
            Connection::Local(local) => {
                let base_url = match local.base_url.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(url) => Some(http_url("Base URL", url)?),
                };
                let model = local.model.trim();
                if model.is_empty() || model.len() > 200 || model.contains(char::is_whitespace) {
                    return Err(AppError::invalid_input(
                        "Model must be a model name such as gpt-5-mini, without spaces.",
                    ));
                }
                Connection::Local(LocalConnection {
                    base_url,
                    model: model.to_string(),
                })
            }
            Connection::Backend(backend) => Connection::Backend(BackendConnection {
                url: http_url("Backend URL", backend.url.trim())?,
                chat: backend.chat,
            }),
            Connection::HostedWorkflow(hosted) => {
                let id = hosted.workflow_id.trim();
                if !id.starts_with("wf_") || id.len() < 4 || id.contains(char::is_whitespace) {
                    return Err(AppError::invalid_input(
                        "Workflow ID must look like wf_… (copy it from Agent Builder).",
                    ));
                }
                Connection::HostedWorkflow(HostedWorkflowConnection {
                    workflow_id: id.to_string(),
                })
            }
        })
    }
}

/// Accepts only http(s) URLs with a host, and drops a trailing slash so paths join cleanly.
pub fn http_url(field: &str, raw: &str) -> AppResult<String> {
    let parsed = url::Url::parse(raw)
        .map_err(|e| AppError::invalid_input(format!("{field} is not a valid URL ({e}): {raw}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(AppError::invalid_input(format!(
            "{field} must start with https:// or http:// and name a host: {raw}"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

impl Settings {
    /// The model settings of the Local connection. What the environment the app started in
    /// sets wins (a person exported it on purpose, and Settings says so); the key is read
    /// from the keychain only when the environment has none, so no keychain is needed then.
    pub fn local_model_config(
        &self,
        environment: &crate::broker::environment::EnvironmentModel,
        keychain_key: impl FnOnce() -> AppResult<Option<crate::broker::secret::SecretString>>,
    ) -> AppResult<crate::agent::client::ModelConfig> {
        use crate::error::ErrorCode;
        match &self.connection {
            Some(Connection::Local(local)) => {
                let api_key = match &environment.api_key {
                    Some(key) => Some(key.clone()),
                    None => keychain_key()?,
                };
                let base_url = environment.base_url.clone().or_else(|| local.base_url.clone());
                if api_key.is_none() && base_url.is_none() {
                    return Err(AppError::new(
                        ErrorCode::InvalidInput,
                        "Add your OpenAI API key in Settings (or start the app with OPENAI_API_KEY set) to start chatting.",
                    ));
                }
                Ok(crate::agent::client::ModelConfig {
                    base_url: base_url.unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.into()),
                    api_key,
                    model: environment.model.clone().unwrap_or_else(|| local.model.clone()),
                })
            }
            Some(_) => Err(AppError::new(
                ErrorCode::InvalidInput,
                "Chat in the app currently runs on the Local connection; switch to Local in Settings.",
            )),
            None => Err(AppError::new(
                ErrorCode::InvalidInput,
                "Choose a connection in Settings first.",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn settings_round_trip_through_store_entries() {
        let settings = Settings {
            connection: Some(Connection::Local(LocalConnection {
                base_url: Some("http://127.0.0.1:11434/v1".into()),
                model: "llama3.1".into(),
            })),
            chatkit_domain_key: "domain_pk_x".into(),
            last_thread_id: Some("thr_1".into()),
            updates: UpdateMode::Never,
        };
        let entries = settings.to_entries();
        assert_eq!(entries["updates"], "never");
        assert_eq!(entries["schema_version"], SETTINGS_SCHEMA_VERSION);
        assert_eq!(entries["connection"]["kind"], "local");
        assert_eq!(Settings::from_entries(&entries), settings);
    }

    #[test]
    fn unreadable_connection_falls_back_to_onboarding() {
        let mut entries = Map::new();
        entries.insert("connection".into(), serde_json::json!({"kind": "martian"}));
        assert_eq!(Settings::from_entries(&entries).connection, None);
    }

    #[test]
    fn validation_normalizes_and_rejects() {
        let ok = Connection::Local(LocalConnection {
            base_url: Some(" https://gateway.example.com/v1/ ".into()),
            model: " gpt-5-mini ".into(),
        })
        .validated()
        .unwrap();
        assert_eq!(
            ok,
            Connection::Local(LocalConnection {
                base_url: Some("https://gateway.example.com/v1".into()),
                model: "gpt-5-mini".into()
            })
        );
        let empty_base = Connection::Local(LocalConnection {
            base_url: Some("  ".into()),
            model: "m".into(),
        })
        .validated()
        .unwrap();
        assert!(matches!(
            empty_base,
            Connection::Local(LocalConnection { base_url: None, .. })
        ));

        for bad in [
            Connection::Local(LocalConnection {
                base_url: Some("ftp://x".into()),
                model: "m".into(),
            }),
            Connection::Local(LocalConnection {
                base_url: None,
                model: "two words".into(),
            }),
            Connection::Backend(BackendConnection {
                url: "not a url".into(),
                chat: BackendChat::ChatkitEndpoint,
            }),
            Connection::HostedWorkflow(HostedWorkflowConnection {
                workflow_id: "123".into(),
            }),
        ] {
            assert_eq!(bad.validated().unwrap_err().code, ErrorCode::InvalidInput);
        }
    }

    fn local(base_url: Option<&str>) -> Settings {
        Settings {
            connection: Some(Connection::Local(LocalConnection {
                base_url: base_url.map(str::to_string),
                model: "gpt-5-mini".into(),
            })),
            ..Settings::default()
        }
    }

    #[test]
    fn the_environment_key_serves_local_without_touching_the_keychain() {
        use crate::broker::environment::EnvironmentModel;
        use crate::broker::secret::SecretString;
        let env = EnvironmentModel {
            api_key: Some(SecretString::new("sk-env-1234")),
            base_url: None,
            model: Some("llama3.2".into()),
        };
        let keychain_down = || -> AppResult<Option<SecretString>> {
            Err(AppError::new(
                crate::error::ErrorCode::KeychainUnavailable,
                "no Secret Service",
            ))
        };
        let config = local(None).local_model_config(&env, keychain_down).unwrap();
        assert_eq!(
            config.api_key.as_ref().map(SecretString::expose),
            Some("sk-env-1234")
        );
        assert_eq!(config.model, "llama3.2");
        assert_eq!(config.base_url, DEFAULT_OPENAI_BASE_URL);

        // Without one in the environment, the keychain's answer stands, errors included.
        let none = EnvironmentModel::default();
        let err = local(None)
            .local_model_config(&none, keychain_down)
            .unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::KeychainUnavailable);
        let from_keychain = local(None)
            .local_model_config(&none, || Ok(Some(SecretString::new("sk-kc"))))
            .unwrap();
        assert_eq!(from_keychain.api_key.unwrap().expose(), "sk-kc");
        // A keyless loopback server needs no key at all.
        let ollama = local(Some("http://localhost:11434/v1"))
            .local_model_config(&none, || Ok(None))
            .unwrap();
        assert!(ollama.api_key.is_none());
        let missing = local(None)
            .local_model_config(&none, || Ok(None))
            .unwrap_err();
        assert!(
            missing.message.contains("OPENAI_API_KEY"),
            "{}",
            missing.message
        );
    }
}
