//! The OS keychain, through keyring's native backends: macOS Keychain, Windows Credential
//! Manager, the Secret Service on Linux. Nothing here ever falls back to a file or memory.

use serde::{Deserialize, Serialize};

use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult, ErrorCode};

/// The keychain service name the app stores its secrets under.
pub const APP_KEYCHAIN_SERVICE: &str = "dev.todoassistant.app";

/// Each long-lived secret the broker holds has one slot in the keychain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SecretSlot {
    /// The OpenAI (or OpenAI-compatible server's) API key.
    OpenaiApiKey,
    /// The backend's bearer token (Better Auth JWT, or pasted).
    BackendToken,
}

impl SecretSlot {
    /// The keychain account name; stable, because changing it orphans stored secrets.
    pub fn account(self) -> &'static str {
        match self {
            SecretSlot::OpenaiApiKey => "openai_api_key",
            SecretSlot::BackendToken => "backend_token",
        }
    }

    fn label(self) -> &'static str {
        match self {
            SecretSlot::OpenaiApiKey => "API key",
            SecretSlot::BackendToken => "backend token",
        }
    }
}

/// What the UI may know about a secret: whether it is set, its last four characters, and
/// whether it comes from the environment the app started in rather than the keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct SecretStatus {
    pub slot: SecretSlot,
    pub is_set: bool,
    pub last_four: Option<String>,
    pub from_environment: bool,
}

impl SecretStatus {
    fn of(slot: SecretSlot, secret: Option<&SecretString>) -> Self {
        Self {
            slot,
            is_set: secret.is_some(),
            last_four: secret.map(SecretString::last_four),
            from_environment: false,
        }
    }

    /// A key from `OPENAI_API_KEY`: used as it is, never stored.
    pub fn from_environment(slot: SecretSlot, secret: &SecretString) -> Self {
        Self {
            from_environment: true,
            ..Self::of(slot, Some(secret))
        }
    }
}

/// The OS keychain under one service name.
#[derive(Debug, Clone)]
pub struct OsKeychain {
    service: String,
}

impl OsKeychain {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    /// The app's service; `TODO_ASSISTANT_KEYCHAIN_SERVICE` points it elsewhere (tests,
    /// a second profile).
    pub fn for_app() -> Self {
        match std::env::var("TODO_ASSISTANT_KEYCHAIN_SERVICE") {
            Ok(service) if !service.trim().is_empty() => Self::new(service),
            _ => Self::new(APP_KEYCHAIN_SERVICE),
        }
    }

    pub(crate) fn erase_account(&self, account: &str, label: &str) -> AppResult<()> {
        match self.entry(account, label)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(label, e)),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, account: &str, label: &str) -> AppResult<keyring::Entry> {
        keyring::Entry::new(&self.service, account).map_err(|e| keychain_error(label, e))
    }

    /// Reads any account of this service; user-facing slots go through `read`.
    pub(crate) fn read_account(
        &self,
        account: &str,
        label: &str,
    ) -> AppResult<Option<SecretString>> {
        match self.entry(account, label)?.get_password() {
            Ok(value) => Ok(Some(SecretString::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(label, e)),
        }
    }

    pub(crate) fn write_account(
        &self,
        account: &str,
        label: &str,
        secret: &SecretString,
    ) -> AppResult<()> {
        self.entry(account, label)?
            .set_password(secret.expose())
            .map_err(|e| keychain_error(label, e))?;
        tracing::info!(account, "secret stored in the keychain");
        Ok(())
    }

    pub fn read(&self, slot: SecretSlot) -> AppResult<Option<SecretString>> {
        self.read_account(slot.account(), slot.label())
    }

    pub fn write(&self, slot: SecretSlot, secret: &SecretString) -> AppResult<()> {
        self.write_account(slot.account(), slot.label(), secret)
    }

    pub fn erase(&self, slot: SecretSlot) -> AppResult<()> {
        match self
            .entry(slot.account(), slot.label())?
            .delete_credential()
        {
            Ok(()) | Err(keyring::Error::NoEntry) => {
                tracing::info!(slot = slot.account(), "secret removed from the keychain");
                Ok(())
            }
            Err(e) => Err(keychain_error(slot.label(), e)),
        }
    }

    pub fn status(&self, slot: SecretSlot) -> AppResult<SecretStatus> {
        Ok(SecretStatus::of(slot, self.read(slot)?.as_ref()))
    }

    /// Validates and stores a secret a person typed, and reports what the UI may show.
    pub fn save_typed(&self, slot: SecretSlot, typed: &str) -> AppResult<SecretStatus> {
        let trimmed = typed.trim();
        if trimmed.is_empty() {
            return Err(AppError::invalid_input(format!(
                "The {} is empty. Paste it again.",
                slot.label()
            )));
        }
        if trimmed.chars().any(char::is_whitespace) {
            return Err(AppError::invalid_input(format!(
                "The {} contains spaces or line breaks; paste only the {} itself.",
                slot.label(),
                slot.label()
            )));
        }
        let secret = SecretString::new(trimmed);
        self.write(slot, &secret)?;
        Ok(SecretStatus::of(slot, Some(&secret)))
    }
}

/// Turns keyring's error into ours. The message says what a person can do about it.
fn keychain_error(label: &str, err: keyring::Error) -> AppError {
    let unreachable = match &err {
        keyring::Error::NoStorageAccess(_) => true,
        keyring::Error::PlatformFailure(cause) => looks_unreachable(&cause.to_string()),
        _ => false,
    };
    match err {
        cause if unreachable => AppError::new(
            ErrorCode::KeychainUnavailable,
            format!(
                "The system keychain is not available, so the {} was not saved or read. {} (details: {cause})",
                label,
                KEYCHAIN_HELP
            ),
        ),
        other => AppError::new(
            ErrorCode::KeychainFailed,
            format!("The system keychain refused to store or read the {label}: {other}"),
        ),
    }
}

fn looks_unreachable(cause: &str) -> bool {
    let cause = cause.to_ascii_lowercase();
    [
        "dbus",
        "d-bus",
        "secret service",
        "no such",
        "locked",
        "not available",
    ]
    .iter()
    .any(|needle| cause.contains(needle))
}

#[cfg(target_os = "linux")]
const KEYCHAIN_HELP: &str = "Linux keeps secrets in a Secret Service. On GNOME: install gnome-keyring (`sudo apt install gnome-keyring`) and unlock the Login keyring (Passwords and Keys). On KDE: install KWallet (`sudo apt install kwalletmanager`), enable it in System Settings → KDE Wallet, and unlock it. Then restart Todo Assistant. Or start it with your key in the environment, `OPENAI_API_KEY=sk-… todo-assistant`: the Local connection uses it and it is never written anywhere.";
#[cfg(target_os = "macos")]
const KEYCHAIN_HELP: &str =
    "Unlock your login keychain in Keychain Access and allow Todo Assistant to use it.";
#[cfg(target_os = "windows")]
const KEYCHAIN_HELP: &str =
    "Check that Windows Credential Manager is running and that your account can use it.";
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
const KEYCHAIN_HELP: &str = "This platform has no supported keychain.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_secret_service_maps_to_keychain_unavailable() {
        let err = keychain_error(
            SecretSlot::OpenaiApiKey.label(),
            keyring::Error::PlatformFailure("D-Bus error: connection refused".into()),
        );
        assert_eq!(err.code, ErrorCode::KeychainUnavailable);
        assert!(err.message.contains("was not saved"));
        assert!(err.message.contains(KEYCHAIN_HELP));
    }

    #[test]
    fn bad_encoding_is_a_keychain_failure() {
        let err = keychain_error(
            SecretSlot::BackendToken.label(),
            keyring::Error::BadEncoding(vec![0xff]),
        );
        assert_eq!(err.code, ErrorCode::KeychainFailed);
    }

    #[test]
    fn typed_secret_is_validated_before_the_keychain_is_touched() {
        // A service no test stores under: reaching the keychain would be an error on CI.
        let keychain = OsKeychain::new("dev.todoassistant.unit-test-never-written");
        let empty = keychain
            .save_typed(SecretSlot::OpenaiApiKey, "   ")
            .unwrap_err();
        assert_eq!(empty.code, ErrorCode::InvalidInput);
        let spaced = keychain
            .save_typed(SecretSlot::OpenaiApiKey, "sk-one two")
            .unwrap_err();
        assert_eq!(spaced.code, ErrorCode::InvalidInput);
    }
}
