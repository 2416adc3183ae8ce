//! The model settings a person can give in the environment the app (or `serve`) was started
//! in: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_MODEL`. A way forward where no keychain
//! runs (a minimal window manager, WSL, a fresh VM): the key stays in this process's memory
//! and is never written anywhere.

use crate::broker::secret::SecretString;

pub const API_KEY_VAR: &str = "OPENAI_API_KEY";
pub const BASE_URL_VAR: &str = "OPENAI_BASE_URL";
pub const MODEL_VAR: &str = "OPENAI_MODEL";

/// What the environment sets; each part wins over Settings, which says so.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentModel {
    pub api_key: Option<SecretString>,
    pub base_url: Option<String>,
    pub model: Option<String>,
}

impl EnvironmentModel {
    /// Read once at start: what a person exported before launching.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Self {
            api_key: var(API_KEY_VAR).map(SecretString::new),
            base_url: var(BASE_URL_VAR),
            model: var(MODEL_VAR),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_count_as_unset_and_the_key_never_prints() {
        let env = EnvironmentModel::from_lookup(|name| match name {
            API_KEY_VAR => Some(" sk-test-abcd1234 ".into()),
            BASE_URL_VAR => Some("   ".into()),
            _ => None,
        });
        assert_eq!(
            env.api_key.as_ref().map(SecretString::expose),
            Some("sk-test-abcd1234")
        );
        assert_eq!(env.base_url, None);
        assert_eq!(env.model, None);
        assert!(!format!("{env:?}").contains("abcd1234"));
    }
}
