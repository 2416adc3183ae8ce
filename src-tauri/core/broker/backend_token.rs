//! What the broker reads from a backend token without verifying it (the backend verifies):
//! whose it is, for the task API's `/api/{user_id}` paths, and when it expires, for renewal.

use jsonwebtoken::{decode, DecodingKey, Validation};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenClaims {
    pub user_id: Option<String>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

/// The claims of a JWT, or `None` when the token is not a JWT (e.g. an opaque API token).
pub fn read_claims(token: &str) -> Option<TokenClaims> {
    let mut validation = Validation::default();
    validation.insecure_disable_signature_validation();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = decode::<Value>(token, &DecodingKey::from_secret(&[]), &validation)
        .ok()?
        .claims;
    let user_id = ["sub", "id", "user_id", "userId"]
        .iter()
        .find_map(|key| match &claims[*key] {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    Some(TokenClaims {
        user_id,
        expires_at: claims["exp"].as_i64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    #[test]
    fn reads_user_and_expiry_from_any_signed_jwt() {
        let token = encode(
            &Header::default(),
            &json!({"sub": "user_42", "exp": 1_900_000_000}),
            &EncodingKey::from_secret(b"the backend's secret, unknown to us"),
        )
        .unwrap();
        assert_eq!(
            read_claims(&token),
            Some(TokenClaims {
                user_id: Some("user_42".into()),
                expires_at: Some(1_900_000_000)
            })
        );
        let by_id = encode(
            &Header::default(),
            &json!({"id": 7}),
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        assert_eq!(read_claims(&by_id).unwrap().user_id.as_deref(), Some("7"));
        assert_eq!(read_claims("opaque-token"), None);
    }
}
