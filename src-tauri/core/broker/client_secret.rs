//! Short-lived client secrets for the local ChatKit server: HS256 tokens signed with a
//! random key, valid 30 minutes. The app keeps its key in the keychain (one per install);
//! `serve` makes one per process. Every ChatKit request must carry a valid secret.

use std::sync::Mutex;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::broker::keychain::OsKeychain;
use crate::broker::secret::SecretString;
use crate::error::{AppError, AppResult, ErrorCode};

pub const CLIENT_SECRET_LIFETIME_SECS: i64 = 30 * 60;
/// A secret with less than this left is replaced rather than handed out again.
pub const REUSE_MARGIN_SECS: i64 = 60;
const AUDIENCE: &str = "todo-assistant-chatkit";
const SIGNING_KEY_ACCOUNT: &str = "chatkit_signing_key";
const SIGNING_KEY_LABEL: &str = "chat signing key";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    aud: String,
    iat: i64,
    exp: i64,
    jti: String,
}

/// What the webview gets: a token to send with every ChatKit request, and when it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct ClientSecret {
    pub client_secret: String,
    /// Unix seconds.
    pub expires_at: i64,
}

pub struct ClientSecrets {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The last secret that verified, and its expiry: a client sends the same secret with
    /// every request, and checking its signature each time was a tenth of a JSON op's cost.
    verified: Mutex<Option<(SecretString, i64)>>,
}

impl std::fmt::Debug for ClientSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecrets(<redacted>)")
    }
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn random_key() -> AppResult<[u8; 32]> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|e| AppError::internal(format!("no randomness for a signing key: {e}")))?;
    Ok(key)
}

impl ClientSecrets {
    pub fn from_key(key: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            verified: Mutex::new(None),
        }
    }

    /// A key that lives as long as this process (`serve`).
    pub fn per_process() -> AppResult<Self> {
        Ok(Self::from_key(&random_key()?))
    }

    /// The install's key from the keychain, created on first use; a per-process key where
    /// no keychain runs (secrets then last until the app quits, which is all chat needs).
    pub fn from_keychain_or_process(keychain: &OsKeychain) -> AppResult<Self> {
        match Self::from_keychain(keychain) {
            Err(e) if e.code == crate::error::ErrorCode::KeychainUnavailable => {
                tracing::warn!("no keychain; chat secrets are signed with a per-process key");
                Self::per_process()
            }
            other => other,
        }
    }

    /// The install's key from the keychain, created on first use.
    pub fn from_keychain(keychain: &OsKeychain) -> AppResult<Self> {
        if let Some(stored) = keychain.read_account(SIGNING_KEY_ACCOUNT, SIGNING_KEY_LABEL)? {
            if let Ok(key) = hex::decode(stored.expose()) {
                if key.len() == 32 {
                    return Ok(Self::from_key(&key));
                }
            }
            tracing::warn!("stored chat signing key is malformed; replacing it");
        }
        let key = random_key()?;
        let encoded = SecretString::new(hex::encode(key));
        keychain.write_account(SIGNING_KEY_ACCOUNT, SIGNING_KEY_LABEL, &encoded)?;
        Ok(Self::from_key(&key))
    }

    pub fn issue(&self) -> AppResult<ClientSecret> {
        self.issue_at(unix_now())
    }

    fn issue_at(&self, now: i64) -> AppResult<ClientSecret> {
        let claims = Claims {
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + CLIENT_SECRET_LIFETIME_SECS,
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("could not sign a client secret: {e}")))?;
        Ok(ClientSecret {
            client_secret: token,
            expires_at: claims.exp,
        })
    }

    /// ChatKit's `getClientSecret(current)`: the current secret while it has more than a
    /// minute left, else a new one.
    pub fn current_or_new(&self, current: Option<&str>) -> AppResult<ClientSecret> {
        let now = unix_now();
        if let Some(current) = current {
            if let Ok(exp) = self.expiry_of(current) {
                if exp - now > REUSE_MARGIN_SECS {
                    return Ok(ClientSecret {
                        client_secret: current.to_string(),
                        expires_at: exp,
                    });
                }
            }
        }
        self.issue_at(now)
    }

    fn expiry_of(&self, token: &str) -> Result<i64, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "aud"]);
        decode::<Claims>(token, &self.decoding, &validation).map(|data| data.claims.exp)
    }

    /// Accepts a secret this broker signed that has not expired.
    pub fn verify(&self, token: Option<&str>) -> AppResult<()> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(AppError::new(
                ErrorCode::Unauthenticated,
                "This ChatKit request carries no client secret.",
            ));
        };
        if self.verified_before(token, unix_now()) {
            return Ok(());
        }
        let exp = self.expiry_of(token).map_err(|e| {
            AppError::new(
                ErrorCode::Unauthenticated,
                format!("The ChatKit client secret is not valid ({e}); get a new one."),
            )
        })?;
        *self.verified.lock().unwrap() = Some((SecretString::new(token), exp));
        Ok(())
    }

    /// Whether `token` is the secret that last verified and has not expired since (valid
    /// through its `exp` second, as `expiry_of` has it).
    fn verified_before(&self, token: &str, now: i64) -> bool {
        let verified = self.verified.lock().unwrap();
        let Some((seen, exp)) = verified.as_ref() else {
            return false;
        };
        // In constant time, so the answer's timing tells a guesser nothing about the secret.
        now <= *exp && bool::from(seen.expose().as_bytes().ct_eq(token.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_secrets_verify_and_last_thirty_minutes() {
        let secrets = ClientSecrets::from_key(b"0123456789abcdef0123456789abcdef");
        let issued = secrets.issue().unwrap();
        secrets.verify(Some(&issued.client_secret)).unwrap();
        let left = issued.expires_at - unix_now();
        assert!((CLIENT_SECRET_LIFETIME_SECS - 5..=CLIENT_SECRET_LIFETIME_SECS).contains(&left));
    }

    #[test]
    fn forged_expired_and_missing_secrets_are_unauthenticated() {
        let secrets = ClientSecrets::from_key(b"0123456789abcdef0123456789abcdef");
        let other = ClientSecrets::from_key(b"ffffffffffffffffffffffffffffffff");
        let forged = other.issue().unwrap().client_secret;
        let expired = secrets
            .issue_at(unix_now() - CLIENT_SECRET_LIFETIME_SECS - 1)
            .unwrap()
            .client_secret;
        for token in [
            Some(forged.as_str()),
            Some(expired.as_str()),
            Some("garbage"),
            Some(""),
            None,
        ] {
            let err = secrets.verify(token).unwrap_err();
            assert_eq!(err.code, ErrorCode::Unauthenticated, "{token:?}");
        }
    }

    #[test]
    fn a_verified_secret_is_remembered_only_until_it_expires_and_only_whole() {
        let secrets = ClientSecrets::from_key(b"0123456789abcdef0123456789abcdef");
        let issued = secrets.issue().unwrap();
        let token = issued.client_secret.as_str();
        secrets.verify(Some(token)).unwrap();
        assert!(secrets.verified_before(token, issued.expires_at));
        assert!(!secrets.verified_before(token, issued.expires_at + 1));
        // Another secret, or this one cut short or lengthened, is checked in full and refused.
        let forged = ClientSecrets::from_key(b"ffffffffffffffffffffffffffffffff")
            .issue()
            .unwrap()
            .client_secret;
        let short = &token[..token.len() - 1];
        let long = format!("{token}x");
        for other in [forged.as_str(), short, long.as_str()] {
            assert!(!secrets.verified_before(other, unix_now()));
            let err = secrets.verify(Some(other)).unwrap_err();
            assert_eq!(err.code, ErrorCode::Unauthenticated);
        }
        secrets.verify(Some(token)).unwrap();
    }

    #[test]
    fn current_secret_is_reused_until_a_minute_before_expiry() {
        let secrets = ClientSecrets::from_key(b"0123456789abcdef0123456789abcdef");
        let fresh = secrets.issue().unwrap();
        assert_eq!(
            secrets.current_or_new(Some(&fresh.client_secret)).unwrap(),
            fresh
        );
        let nearly_expired = secrets
            .issue_at(unix_now() - CLIENT_SECRET_LIFETIME_SECS + REUSE_MARGIN_SECS - 1)
            .unwrap();
        let replaced = secrets
            .current_or_new(Some(&nearly_expired.client_secret))
            .unwrap();
        assert_ne!(replaced.client_secret, nearly_expired.client_secret);
        secrets.verify(Some(&replaced.client_secret)).unwrap();
        let from_nothing = secrets.current_or_new(None).unwrap();
        secrets.verify(Some(&from_nothing.client_secret)).unwrap();
    }
}
