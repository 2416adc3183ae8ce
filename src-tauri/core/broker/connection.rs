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
    /// Which wire API the assistant speaks to the server (settings from before it existed
    /// read as automatic).
    #[serde(default)]
    pub api_style: ApiStyle,
}

/// How the assistant talks to the model server.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "snake_case")]
pub enum ApiStyle {
    /// `POST /responses`; on 404 or 405 Chat Completions, remembered for that base URL.
    #[default]
    Automatic,
    /// OpenAI's Responses API only.
    Responses,
    /// `POST /chat/completions` only (llama.cpp, older vLLM and LM Studio, many gateways).
    ChatCompletions,
}

impl ApiStyle {
    /// Reads `automatic`, `responses` or `chat_completions` (also with dashes).
    pub fn parse(raw: &str) -> AppResult<Self> {
        match raw.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "automatic" | "auto" => Ok(Self::Automatic),
            "responses" => Ok(Self::Responses),
            "chat_completions" | "chat" => Ok(Self::ChatCompletions),
            other => Err(AppError::invalid_input(format!(
                "API style must be automatic, responses or chat_completions, not `{other}`."
            ))),
        }
    }
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
                    api_style: local.api_style,
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

/// Whether a URL names this computer (`localhost`, `127.0.0.0/8`, `::1`): a model server
/// there (Ollama, LM Studio) needs no key and, when down, is one the user can start.
pub fn is_loopback_url(raw: &str) -> bool {
    match url::Url::parse(raw)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
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
                let base_url = environment.base_url.clone().or_else(|| local.base_url.clone());
                let api_key = match &environment.api_key {
                    Some(key) => Some(key.clone()),
                    // A server on this computer needs no key, so no keychain either.
                    None if base_url.as_deref().is_some_and(is_loopback_url) => {
                        keychain_key().unwrap_or_else(|e| {
                            tracing::info!("no keychain for a loopback model server: {}", e.message);
                            None
                        })
                    }
                    None => keychain_key()?,
                };
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
                    api_style: local.api_style,
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

impl Settings {
    /// The key Settings' "Test connection" sends to `tested`: the one typed in the form, else
    /// the one in use (environment, then keychain), but that one only to the server it is in
    /// use for, so no URL the form names can draw the stored key out. A keychain that cannot
    /// be reached is no obstacle for a server on this computer.
    pub fn key_for_test(
        &self,
        environment: &crate::broker::environment::EnvironmentModel,
        tested: &str,
        typed: Option<crate::broker::secret::SecretString>,
        keychain_key: impl FnOnce() -> AppResult<Option<crate::broker::secret::SecretString>>,
    ) -> AppResult<Option<crate::broker::secret::SecretString>> {
        if typed.is_some() {
            return Ok(typed);
        }
        let saved = match &self.connection {
            Some(Connection::Local(local)) => local.base_url.clone(),
            _ => None,
        };
        let in_use = environment
            .base_url
            .clone()
            .or(saved)
            .unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.to_string());
        let normalize = |url: &str| http_url("Base URL", url).ok();
        if normalize(&in_use).is_none() || normalize(&in_use) != normalize(tested) {
            return Ok(None);
        }
        if let Some(key) = &environment.api_key {
            return Ok(Some(key.clone()));
        }
        match keychain_key() {
            Err(_) if is_loopback_url(tested) => Ok(None),
            other => other,
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
                api_style: ApiStyle::ChatCompletions,
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
    fn a_local_connection_saved_before_api_styles_reads_as_automatic() {
        let mut entries = Map::new();
        entries.insert(
            "connection".into(),
            serde_json::json!({"kind": "local", "base_url": null, "model": "gpt-5-mini"}),
        );
        let Some(Connection::Local(local)) = Settings::from_entries(&entries).connection else {
            panic!("not read as Local");
        };
        assert_eq!(local.api_style, ApiStyle::Automatic);
        assert_eq!(
            ApiStyle::parse("chat-completions").unwrap(),
            ApiStyle::ChatCompletions
        );
        assert_eq!(ApiStyle::parse(" Responses ").unwrap(), ApiStyle::Responses);
        assert_eq!(
            ApiStyle::parse("soap").unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn test_connection_sends_the_saved_key_only_to_its_own_server() {
        use crate::broker::environment::EnvironmentModel;
        use crate::broker::secret::SecretString;
        let stored = || Ok(Some(SecretString::new("sk-stored")));
        let none = EnvironmentModel::default();
        let key = |k: AppResult<Option<SecretString>>| k.unwrap().map(|k| k.expose().to_string());
        let openai = local(None);
        // The saved server (OpenAI, written either way) gets the saved key.
        assert_eq!(
            key(openai.key_for_test(&none, DEFAULT_OPENAI_BASE_URL, None, stored)),
            Some("sk-stored".into())
        );
        assert_eq!(
            key(openai.key_for_test(&none, "https://api.openai.com/v1/", None, stored)),
            Some("sk-stored".into())
        );
        // Another server does not, unless a key is typed for it.
        assert_eq!(
            key(openai.key_for_test(&none, "https://evil.example.com/v1", None, stored)),
            None
        );
        let typed = Some(SecretString::new("sk-or-typed"));
        assert_eq!(
            key(openai.key_for_test(&none, "https://openrouter.ai/api/v1", typed, stored)),
            Some("sk-or-typed".into())
        );
        // The environment's key follows the environment's server.
        let env = EnvironmentModel {
            api_key: Some(SecretString::new("sk-env")),
            base_url: Some("https://gateway.example.com/v1".into()),
            model: None,
        };
        assert_eq!(
            key(openai.key_for_test(&env, "https://gateway.example.com/v1", None, stored)),
            Some("sk-env".into())
        );
        assert_eq!(
            key(openai.key_for_test(&env, DEFAULT_OPENAI_BASE_URL, None, stored)),
            None
        );
        // No keychain: fine for a server on this computer, said for any other.
        let down = || {
            Err(AppError::new(
                ErrorCode::KeychainUnavailable,
                "no Secret Service",
            ))
        };
        let ollama = local(Some("http://localhost:11434/v1"));
        assert_eq!(
            key(ollama.key_for_test(&none, "http://localhost:11434/v1", None, down)),
            None
        );
        let err = openai
            .key_for_test(&none, DEFAULT_OPENAI_BASE_URL, None, down)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::KeychainUnavailable);
    }

    #[test]
    fn loopback_urls_are_told_apart_from_remote_ones() {
        for url in [
            "http://localhost:11434/v1",
            "http://127.0.0.1:1234/v1",
            "http://[::1]:8080/v1",
            "http://127.8.0.1/v1",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            "https://api.openai.com/v1",
            "http://localhost.example.com/v1",
            "http://10.0.0.2/v1",
            "not a url",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
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
            api_style: ApiStyle::Automatic,
        })
        .validated()
        .unwrap();
        assert_eq!(
            ok,
            Connection::Local(LocalConnection {
                base_url: Some("https://gateway.example.com/v1".into()),
                model: "gpt-5-mini".into(),
                api_style: ApiStyle::Automatic
            })
        );
        let empty_base = Connection::Local(LocalConnection {
            base_url: Some("  ".into()),
            model: "m".into(),
            api_style: ApiStyle::Automatic,
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
                api_style: ApiStyle::Automatic,
            }),
            Connection::Local(LocalConnection {
                base_url: None,
                model: "two words".into(),
                api_style: ApiStyle::Automatic,
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
                api_style: ApiStyle::Automatic,
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
        // Nor a keychain: one that cannot be reached is no obstacle to a loopback server.
        let ollama = local(Some("http://127.0.0.1:11434/v1"))
            .local_model_config(&none, keychain_down)
            .unwrap();
        assert!(ollama.api_key.is_none());
        let remote = local(Some("https://openrouter.ai/api/v1"))
            .local_model_config(&none, keychain_down)
            .unwrap_err();
        assert_eq!(remote.code, crate::error::ErrorCode::KeychainUnavailable);
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
