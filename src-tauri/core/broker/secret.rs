//! `SecretString` holds a long-lived secret in memory. It never prints, never serializes,
//! and is wiped on drop, so a secret cannot leak through a log line, a Debug print or IPC.

use std::fmt;
use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The only way to read the secret; call it where the secret leaves for its service.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, which the UI may show so a person can tell keys apart.
    pub fn last_four(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = SecretString::new("sk-test-very-secret-1234");
        let wrapper = (1, secret.clone());
        for printed in [
            format!("{secret:?}"),
            format!("{secret}"),
            format!("{wrapper:?}"),
            format!("{secret:#?}"),
        ] {
            assert!(!printed.contains("very-secret"), "leaked in {printed}");
            assert!(printed.contains("redacted"));
        }
        assert_eq!(secret.expose(), "sk-test-very-secret-1234");
    }

    #[test]
    fn last_four_handles_short_and_multibyte_values() {
        assert_eq!(SecretString::new("sk-abcdWXYZ").last_four(), "WXYZ");
        assert_eq!(SecretString::new("ab").last_four(), "ab");
        assert_eq!(SecretString::new("ключ-ёжик").last_four(), "ёжик");
    }
}
