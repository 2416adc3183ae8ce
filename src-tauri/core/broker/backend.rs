//! A team backend of the seeds' kind: sign-in against Better Auth, custody of its token and
//! session cookie in the keychain (renewed before the token expires), and the backend's
//! ChatKit session endpoint, whose client secrets are reused until a minute before they
//! expire and shared by concurrent callers.

use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::broker::backend_token::read_claims;
use crate::broker::client_secret::{ClientSecret, REUSE_MARGIN_SECS};
use crate::broker::http::{self, Answer};
use crate::broker::keychain::{OsKeychain, SecretSlot};
use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult, ErrorCode};

const COOKIE_ACCOUNT: &str = "backend_session_cookie";
const COOKIE_LABEL: &str = "backend session";
/// Renew the token when it has less than this left.
pub const RENEW_MARGIN_SECS: i64 = 120;
/// When the session endpoint names no expiry: OpenAI's default session lifetime.
const DEFAULT_SECRET_LIFETIME_SECS: i64 = 10 * 60;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct TokenInfo {
    pub user_id: Option<String>,
    pub expires_at: Option<i64>,
    /// True when this call renewed the token.
    pub renewed: bool,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

fn unreachable(detail: String) -> AppError {
    AppError::new(
        ErrorCode::BackendUnreachable,
        format!("The backend cannot be reached ({detail}). Check the URL and your connection."),
    )
}

/// Maps a backend's refusal to the codes the UI acts on.
fn refusal(answer: &Answer, what: &str) -> AppError {
    let detail = http::error_message(&answer.body);
    match answer.status.as_u16() {
        401 => AppError::new(
            ErrorCode::SignInRequired,
            format!("The backend asked to sign in again ({what}: {detail})."),
        ),
        403 => AppError::new(
            ErrorCode::Forbidden,
            format!("The backend refused {what} for this account ({detail})."),
        ),
        429 => AppError::new(
            ErrorCode::BackendBusy,
            format!("The backend is busy; {what} was refused after retries ({detail})."),
        ),
        500..=599 => AppError::new(
            ErrorCode::BackendUnavailable,
            format!(
                "The backend failed {what} after retries (HTTP {}).",
                answer.status.as_u16()
            ),
        ),
        other => AppError::new(
            ErrorCode::BackendError,
            format!("The backend answered {what} with HTTP {other}: {detail}"),
        ),
    }
}

fn token_info(token: &str, renewed: bool) -> TokenInfo {
    let claims = read_claims(token).unwrap_or_default();
    TokenInfo {
        user_id: claims.user_id,
        expires_at: claims.expires_at,
        renewed,
    }
}

/// The `name=value` pairs of every `Set-Cookie`, as one `Cookie` header.
fn cookie_header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let pairs: Vec<&str> = headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::trim)
        .filter(|pair| pair.contains('='))
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

pub struct BackendAuth {
    http: reqwest::Client,
    keychain: OsKeychain,
}

impl BackendAuth {
    pub fn new(keychain: OsKeychain) -> Self {
        Self {
            http: http::client(),
            keychain,
        }
    }

    /// Email and password against Better Auth: a session cookie, then a JWT for it.
    pub async fn sign_in(
        &self,
        backend: &str,
        email: &str,
        password: &SecretString,
    ) -> AppResult<TokenInfo> {
        let url = join(backend, "/api/auth/sign-in/email");
        let body = json!({"email": email.trim(), "password": password.expose()});
        let answer = http::send_with_retry(|| self.http.post(&url).json(&body))
            .await
            .map_err(unreachable)?;
        if answer.status.as_u16() == 401 || answer.status.as_u16() == 400 {
            return Err(AppError::new(
                ErrorCode::InvalidCredentials,
                "The backend did not accept that email and password.",
            ));
        }
        if !answer.status.is_success() {
            return Err(refusal(&answer, "sign-in"));
        }
        let cookie = cookie_header(&answer.headers).ok_or_else(|| {
            AppError::new(
                ErrorCode::BackendError,
                "The backend signed in but set no session cookie.",
            )
        })?;
        let cookie = SecretString::new(cookie);
        let token = self.fetch_token(backend, &cookie).await?;
        self.keychain
            .write_account(COOKIE_ACCOUNT, COOKIE_LABEL, &cookie)?;
        self.keychain.write(SecretSlot::BackendToken, &token)?;
        Ok(token_info(token.expose(), false))
    }

    async fn fetch_token(&self, backend: &str, cookie: &SecretString) -> AppResult<SecretString> {
        let url = join(backend, "/api/auth/token");
        let answer = http::send_with_retry(|| {
            self.http
                .get(&url)
                .header(reqwest::header::COOKIE, cookie.expose())
        })
        .await
        .map_err(unreachable)?;
        if !answer.status.is_success() {
            return Err(refusal(&answer, "a token"));
        }
        let token = serde_json::from_str::<Value>(&answer.body)
            .ok()
            .and_then(|v| v["token"].as_str().map(str::to_string))
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::BackendError,
                    "The backend's token answer has no token.",
                )
            })?;
        Ok(SecretString::new(token))
    }

    /// A token pasted by the user.
    pub fn paste_token(&self, token: &str) -> AppResult<TokenInfo> {
        self.keychain.save_typed(SecretSlot::BackendToken, token)?;
        // A pasted token has no session to renew it with.
        self.keychain.erase_account(COOKIE_ACCOUNT, COOKIE_LABEL)?;
        let stored = self
            .keychain
            .read(SecretSlot::BackendToken)?
            .unwrap_or_else(|| SecretString::new(""));
        Ok(token_info(stored.expose(), false))
    }

    /// The stored token, renewed first when it is about to expire and a session exists.
    pub async fn current_token(&self, backend: &str) -> AppResult<(SecretString, TokenInfo)> {
        let token = self
            .keychain
            .read(SecretSlot::BackendToken)?
            .ok_or_else(|| {
                AppError::new(ErrorCode::SignInRequired, "Sign in to the backend first.")
            })?;
        let info = token_info(token.expose(), false);
        let expiring = info
            .expires_at
            .is_some_and(|exp| exp - now() < RENEW_MARGIN_SECS);
        if !expiring {
            return Ok((token, info));
        }
        let Some(cookie) = self.keychain.read_account(COOKIE_ACCOUNT, COOKIE_LABEL)? else {
            return Ok((token, info));
        };
        let renewed = self.fetch_token(backend, &cookie).await?;
        self.keychain.write(SecretSlot::BackendToken, &renewed)?;
        tracing::info!("backend token renewed");
        let info = token_info(renewed.expose(), true);
        Ok((renewed, info))
    }

    /// Forgets the token and the session.
    pub fn sign_out(&self) -> AppResult<()> {
        self.keychain.erase(SecretSlot::BackendToken)?;
        self.keychain.erase_account(COOKIE_ACCOUNT, COOKIE_LABEL)
    }
}

/// Client secrets from the backend's `/api/chatkit/session` (and `/refresh` when it has one).
pub struct SessionSecrets {
    cached: Mutex<Option<ClientSecret>>,
    http: reqwest::Client,
    /// HTTP requests made so far (for diagnostics and tests of the sharing).
    requests: std::sync::atomic::AtomicUsize,
}

/// The shapes in use: `{client_secret}`, `{client_secret, expires_at}`, `{data: {…}}`, and
/// OpenAI's `{client_secret: {value, expires_at}}`.
pub fn parse_session(body: &str) -> Option<ClientSecret> {
    let value: Value = serde_json::from_str(body).ok()?;
    let root = if value.get("client_secret").is_some() {
        &value
    } else {
        &value["data"]
    };
    let (secret, expires_at) = match &root["client_secret"] {
        Value::String(secret) => (secret.clone(), root["expires_at"].as_i64()),
        Value::Object(object) => (
            object.get("value")?.as_str()?.to_string(),
            object
                .get("expires_at")
                .and_then(Value::as_i64)
                .or(root["expires_at"].as_i64()),
        ),
        _ => return None,
    };
    (!secret.is_empty()).then(|| ClientSecret {
        client_secret: secret,
        expires_at: expires_at.unwrap_or_else(|| now() + DEFAULT_SECRET_LIFETIME_SECS),
    })
}

impl Default for SessionSecrets {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionSecrets {
    pub fn new() -> Self {
        Self {
            cached: Mutex::new(None),
            http: http::client(),
            requests: Default::default(),
        }
    }

    /// ChatKit's `getClientSecret(current)`. Callers arriving together wait for one request
    /// and share its answer.
    pub async fn client_secret(
        &self,
        backend: &str,
        token: &SecretString,
        current: Option<&str>,
    ) -> AppResult<ClientSecret> {
        let mut cached = self.cached.lock().await;
        if let Some(secret) = cached.as_ref() {
            let matches = current.is_none_or(|c| c == secret.client_secret);
            if matches && secret.expires_at - now() > REUSE_MARGIN_SECS {
                return Ok(secret.clone());
            }
        }
        let http = &self.http;
        let mut fresh = None;
        if let Some(old) = cached.as_ref() {
            let url = join(backend, "/api/chatkit/refresh");
            let body = json!({"client_secret": old.client_secret});
            let answer = http::send_with_retry(|| {
                self.counted(http.post(&url).bearer_auth(token.expose()).json(&body))
            })
            .await
            .map_err(unreachable)?;
            match answer.status.as_u16() {
                // No refresh endpoint, or one expecting another body (seed 003 sends
                // `{"token": …}`): a new session it is.
                400 | 404 | 405 | 422 => {}
                _ if answer.status.is_success() => fresh = parse_session(&answer.body),
                _ => return Err(refusal(&answer, "a chat session")),
            }
        }
        let secret = match fresh {
            Some(secret) => secret,
            None => {
                let url = join(backend, "/api/chatkit/session");
                let answer = http::send_with_retry(|| {
                    self.counted(http.post(&url).bearer_auth(token.expose()).json(&json!({})))
                })
                .await
                .map_err(unreachable)?;
                if !answer.status.is_success() {
                    return Err(refusal(&answer, "a chat session"));
                }
                parse_session(&answer.body).ok_or_else(|| {
                    AppError::new(
                        ErrorCode::BackendError,
                        "The backend's chat session answer has no client secret.",
                    )
                })?
            }
        };
        *cached = Some(secret.clone());
        Ok(secret)
    }

    pub fn requests_made(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn counted(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        request
    }

    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_session_shape_in_use_parses() {
        let at = now() + 300;
        for body in [
            format!(r#"{{"client_secret": "cs_1", "expires_at": {at}}}"#),
            format!(r#"{{"data": {{"client_secret": "cs_1", "expires_at": {at}}}}}"#),
            format!(r#"{{"client_secret": {{"value": "cs_1", "expires_at": {at}}}}}"#),
        ] {
            assert_eq!(
                parse_session(&body),
                Some(ClientSecret {
                    client_secret: "cs_1".into(),
                    expires_at: at
                }),
                "{body}"
            );
        }
        let bare = parse_session(r#"{"client_secret": "cs_2"}"#).unwrap();
        assert!(bare.expires_at > now() + 500);
        assert_eq!(parse_session(r#"{"secret": "x"}"#), None);
        assert_eq!(parse_session(r#"{"client_secret": ""}"#), None);
    }

    #[test]
    fn set_cookie_headers_become_one_cookie_header() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.append(
            reqwest::header::SET_COOKIE,
            "better-auth.session_token=abc.def; Path=/; HttpOnly"
                .parse()
                .unwrap(),
        );
        headers.append(
            reqwest::header::SET_COOKIE,
            "better-auth.session_data=xyz; Path=/".parse().unwrap(),
        );
        assert_eq!(
            cookie_header(&headers).as_deref(),
            Some("better-auth.session_token=abc.def; better-auth.session_data=xyz")
        );
    }
}
