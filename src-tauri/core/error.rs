//! One error type for the whole app. It reaches the UI as `{code, message}`; the UI
//! switches on `code`, which never changes once released, and shows `message` as is.

use serde::{Deserialize, Serialize};

/// Stable, machine-readable error codes. Add one only when the UI or a caller acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No OS keychain can be reached (Linux without a running, unlocked Secret Service).
    KeychainUnavailable,
    /// The keychain answered but refused or failed the operation.
    KeychainFailed,
    /// The request carried a value the app cannot accept; the message says which.
    InvalidInput,
    /// A file could not be read or written.
    StorageFailed,
    /// A stored file did not parse; it was moved aside and nothing was overwritten.
    StorageCorrupt,
    /// The app could not open something on the desktop (a folder, a link).
    OpenFailed,
    /// A ChatKit request without a valid client secret (missing, forged or expired).
    Unauthenticated,
    /// A request from a web origin that is neither this app nor a loopback page.
    ForbiddenOrigin,
    /// A malformed request: not JSON, an unknown op, or missing parameters.
    InvalidRequest,
    /// The thread or item named in the request does not exist.
    NotFound,
    /// A ChatKit feature this app does not offer (dictation; attachments on a server
    /// without an attachment folder).
    NotSupported,
    /// An attachment is larger than the app accepts; the message says the limit.
    AttachmentTooLarge,
    /// An attachment's type is not one the app accepts (images, text, PDF), or its bytes
    /// are not what its type says.
    AttachmentTypeNotAllowed,
    /// A client tool result arrived but no client tool call is waiting for one.
    NoPendingToolCall,
    /// The email or password was not accepted by the backend.
    InvalidCredentials,
    /// The backend asked to sign in again (expired or revoked token or session).
    SignInRequired,
    /// The service understood the request and refused it (HTTP 403).
    Forbidden,
    /// The backend cannot be reached (offline, wrong URL, down).
    BackendUnreachable,
    /// The backend is limiting requests; retried, still refused.
    BackendBusy,
    /// The backend answered with server errors; retried, still failing.
    BackendUnavailable,
    /// The backend answered in a way the app cannot use.
    BackendError,
    /// OpenAI did not accept the API key.
    InvalidApiKey,
    /// The key's OpenAI project has no workflow with that id.
    WorkflowNotFound,
    /// OpenAI no longer serves the hosted workflow (Agent Builder workflows ended 2026-11-30).
    HostedWorkflowEnded,
    /// OpenAI is limiting requests; retried, still refused.
    RateLimited,
    /// OpenAI (or the OpenAI-compatible model server) answered with server errors or could
    /// not be reached; retried.
    OpenaiUnavailable,
    /// Nothing answers at a model server's loopback URL: Ollama or LM Studio is not running.
    ModelServerNotRunning,
    /// The update feed could not be reached or read (offline, or the release has no build
    /// for this system).
    UpdateCheckFailed,
    /// The update could not be downloaded whole; nothing was installed.
    UpdateDownloadFailed,
    /// The downloaded update is not signed by this app's release key; it was discarded.
    UpdateSignatureInvalid,
    /// The verified update could not be installed; the installed app is unchanged.
    UpdateInstallFailed,
    /// A bug: the message says where.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, thiserror::Error)]
#[error("{message} ({code:?})")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// The HTTP status `serve` answers with for this error.
    pub fn http_status(&self) -> u16 {
        match self.code {
            ErrorCode::InvalidInput | ErrorCode::InvalidRequest | ErrorCode::NotSupported => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::ForbiddenOrigin => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::NoPendingToolCall => 409,
            ErrorCode::AttachmentTooLarge => 413,
            ErrorCode::AttachmentTypeNotAllowed => 415,
            ErrorCode::InvalidCredentials
            | ErrorCode::SignInRequired
            | ErrorCode::InvalidApiKey => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::WorkflowNotFound => 404,
            ErrorCode::HostedWorkflowEnded => 410,
            ErrorCode::BackendBusy | ErrorCode::RateLimited => 429,
            ErrorCode::BackendUnreachable
            | ErrorCode::BackendUnavailable
            | ErrorCode::BackendError
            | ErrorCode::OpenaiUnavailable
            | ErrorCode::ModelServerNotRunning
            | ErrorCode::UpdateCheckFailed
            | ErrorCode::UpdateDownloadFailed
            | ErrorCode::UpdateSignatureInvalid => 502,
            ErrorCode::KeychainUnavailable
            | ErrorCode::KeychainFailed
            | ErrorCode::StorageFailed
            | ErrorCode::StorageCorrupt
            | ErrorCode::OpenFailed
            | ErrorCode::UpdateInstallFailed
            | ErrorCode::Internal => 500,
        }
    }

    /// The message is bounded: whatever input it quotes, a person (and ChatKit) sees an
    /// excerpt, never a 100 KB echo of a bad request.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: bounded(message.into()),
        }
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn storage(action: &str, path: &std::path::Path, err: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::StorageFailed,
            format!("Could not {action} {}: {err}", path.display()),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

/// How many characters of any one input an error message quotes.
pub const QUOTE_LIMIT: usize = 80;
/// The longest error message, quotes and all.
pub const MESSAGE_LIMIT: usize = 600;

/// The start of `input`, at most `QUOTE_LIMIT` characters, saying how much was left out.
pub fn excerpt(input: &str) -> String {
    let total = input.chars().count();
    if total <= QUOTE_LIMIT {
        return input.to_string();
    }
    let start: String = input.chars().take(QUOTE_LIMIT).collect();
    format!("{start}… ({} more characters)", total - QUOTE_LIMIT)
}

/// Shortens every quoted run (between backticks or double quotes, as serde and our own
/// messages quote input) to an excerpt, then caps the whole message.
pub fn bounded(message: String) -> String {
    if message.chars().count() <= QUOTE_LIMIT {
        return message;
    }
    let mut out = String::with_capacity(message.len().min(MESSAGE_LIMIT * 4));
    let mut rest = message.as_str();
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        match after.find(quote) {
            Some(close) => {
                out.push_str(&excerpt(&after[..close]));
                out.push(quote);
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&excerpt(after));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    // An unquoted long word (an id, a URL, a blob) is input too. Excerpts made above stay
    // under this length, so they are not cut twice.
    if out
        .split_whitespace()
        .any(|word| word.chars().count() > QUOTE_LIMIT + 8)
    {
        out = out
            .split(' ')
            .map(|word| {
                if word.chars().count() > QUOTE_LIMIT + 8 {
                    excerpt(word)
                } else {
                    word.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    if out.chars().count() > MESSAGE_LIMIT {
        let kept: String = out.chars().take(MESSAGE_LIMIT).collect();
        out = format!("{kept}… (message shortened)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_quoted_input_comes_back_as_an_excerpt() {
        let huge = "x".repeat(100_000);
        let err = AppError::invalid_input(format!(
            "unknown variant `{huge}`, expected one of `a`, `b`"
        ));
        assert!(err.message.len() < 300, "{} bytes", err.message.len());
        assert!(
            err.message.starts_with("unknown variant `xxxx"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("(99920 more characters)"),
            "{}",
            err.message
        );
        assert!(
            err.message.ends_with("expected one of `a`, `b`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn an_unquoted_long_id_is_an_excerpt() {
        let err =
            AppError::invalid_input(format!("No thread with id thr_{}.", "A".repeat(100_000)));
        assert!(
            !err.message.contains(&"A".repeat(QUOTE_LIMIT + 1)),
            "{}",
            err.message
        );
        assert!(
            err.message.starts_with("No thread with id thr_AAA"),
            "{}",
            err.message
        );
    }

    #[test]
    fn unquoted_or_unterminated_input_is_capped_too() {
        for message in [
            "y".repeat(50_000),
            format!("bad \"{}", "z".repeat(50_000)),
            "word ".repeat(20_000),
        ] {
            let err = AppError::invalid_input(message);
            assert!(
                err.message.chars().count() <= MESSAGE_LIMIT + 30,
                "{}",
                err.message.len()
            );
        }
    }

    #[test]
    fn short_messages_and_multibyte_quotes_are_kept_whole_and_valid() {
        let err = AppError::invalid_input("Set `OPENAI_API_KEY`.");
        assert_eq!(err.message, "Set `OPENAI_API_KEY`.");
        let long = "é".repeat(500);
        let shortened = bounded(format!("title \"{long}\" is too long"));
        assert!(shortened.contains(&"é".repeat(QUOTE_LIMIT)), "{shortened}");
        assert!(shortened.ends_with("\" is too long"), "{shortened}");
    }

    #[test]
    fn serializes_as_code_and_message_for_the_ui() {
        let err = AppError::new(ErrorCode::KeychainUnavailable, "Start gnome-keyring");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "keychain_unavailable", "message": "Start gnome-keyring"})
        );
    }
}
