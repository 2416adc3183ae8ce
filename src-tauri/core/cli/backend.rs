//! `backend …`: sign-in, token custody, session secrets, and the ChatKit relay.

use std::sync::Arc;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::{required_env, runtime, to_json, Outcome, BACKEND_TOKEN_ENV};
use crate::broker::backend::{BackendAuth, SessionSecrets};
use crate::broker::keychain::OsKeychain;
use crate::error::{AppError, AppResult};

#[derive(Debug, Args)]
pub struct BackendCommand {
    #[command(subcommand)]
    action: BackendAction,
}

#[derive(Debug, Subcommand)]
enum BackendAction {
    /// Sign in with email and password (password in TODO_ASSISTANT_PASSWORD)
    SignIn {
        #[arg(long, value_name = "URL")]
        backend: String,
        #[arg(long, value_name = "E")]
        email: String,
    },
    /// Keep a token you already have (in TODO_ASSISTANT_BACKEND_TOKEN) in the keychain
    PasteToken,
    /// Show the stored token's state, renewing it when it is about to expire
    TokenStatus {
        #[arg(long, value_name = "URL")]
        backend: String,
    },
    /// Forget the token and session
    SignOut,
    /// Get a ChatKit client secret from the backend's session endpoint
    SessionSecret {
        #[arg(long, value_name = "URL")]
        backend: String,
        /// The secret the caller holds now (to refresh it)
        #[arg(long, value_name = "S")]
        current: Option<String>,
        /// Ask this many times at once (they share one request)
        #[arg(long, value_name = "N", default_value_t = 1)]
        concurrent: usize,
    },
    /// Relay one ChatKit request (read from stdin) to the backend's ChatKit endpoint
    Chatkit {
        #[arg(long, value_name = "URL")]
        backend: String,
        #[arg(long, default_value = "/chatkit")]
        path: String,
    },
}

pub(super) fn run(command: BackendCommand) -> AppResult<Outcome> {
    let auth = BackendAuth::new(OsKeychain::for_app());
    let rt = runtime()?;
    Ok(Outcome::Done(match command.action {
        BackendAction::SignIn { backend, email } => {
            let password = required_env("TODO_ASSISTANT_PASSWORD")?;
            to_json(&rt.block_on(auth.sign_in(&backend, &email, &password))?)
        }
        BackendAction::PasteToken => {
            to_json(&auth.paste_token(required_env(BACKEND_TOKEN_ENV)?.expose())?)
        }
        BackendAction::TokenStatus { backend } => {
            to_json(&rt.block_on(auth.current_token(&backend))?.1)
        }
        BackendAction::SignOut => {
            auth.sign_out()?;
            json!({"signed_out": true})
        }
        BackendAction::SessionSecret {
            backend,
            current,
            concurrent,
        } => rt.block_on(session_secrets(
            &auth,
            &backend,
            current.as_deref(),
            concurrent.max(1),
        ))?,
        BackendAction::Chatkit { backend, path } => {
            return rt.block_on(relay(&auth, &backend, &path));
        }
    }))
}

async fn session_secrets(
    auth: &BackendAuth,
    backend: &str,
    current: Option<&str>,
    concurrent: usize,
) -> AppResult<Value> {
    let (token, _) = auth.current_token(backend).await?;
    let secrets = Arc::new(SessionSecrets::new());
    if let Some(current) = current {
        let secret = secrets
            .client_secret(backend, &token, Some(current))
            .await?;
        return Ok(to_json(&secret));
    }
    let calls = (0..concurrent).map(|_| {
        let (secrets, token) = (secrets.clone(), token.clone());
        let backend = backend.to_string();
        async move { secrets.client_secret(&backend, &token, None).await }
    });
    let results: Vec<_> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .collect::<AppResult<_>>()?;
    let first: &crate::broker::client_secret::ClientSecret = &results[0];
    let reused = secrets
        .client_secret(backend, &token, Some(&first.client_secret))
        .await?;
    Ok(json!({
        "secrets": results.iter().map(|s| &s.client_secret).collect::<Vec<_>>(),
        "expires_at": first.expires_at,
        "reused": reused.client_secret,
        "requests": secrets.requests_made(),
    }))
}

async fn relay(auth: &BackendAuth, backend: &str, path: &str) -> AppResult<Outcome> {
    use crate::chatkit::proxy::{BackendChatKit, ProxyAnswer};
    use std::io::{Read, Write};
    let url = format!("{}{}", backend.trim_end_matches('/'), path);
    let mut body = String::new();
    std::io::stdin()
        .read_to_string(&mut body)
        .map_err(|e| AppError::invalid_input(format!("no request on stdin: {e}")))?;
    let (token, _) = auth.current_token(backend).await?;
    match BackendChatKit::new().forward(&url, &token, body).await? {
        ProxyAnswer::Json { status, body } if (200..300).contains(&status) => Ok(Outcome::Done(
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )),
        ProxyAnswer::Json { status, body } => Err(AppError::new(
            crate::error::ErrorCode::BackendError,
            format!(
                "The backend's chat answered HTTP {status}: {}",
                crate::broker::http::error_message(&body)
            ),
        )),
        ProxyAnswer::Stream(mut events) => {
            let mut stdout = std::io::stdout();
            while let Some(event) = events.recv().await {
                let _ = writeln!(stdout, "{event}").and_then(|()| stdout.flush());
            }
            Ok(Outcome::Printed)
        }
    }
}
