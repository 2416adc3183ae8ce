//! With no Secret Service reachable, the keychain fails with a coded error that says what
//! to install; nothing falls back to a file or to memory. Its own test binary, because it
//! points the whole process at a D-Bus address that does not exist.
#![cfg(target_os = "linux")]

use todo_assistant::broker::keychain::{OsKeychain, SecretSlot};
use todo_assistant::error::ErrorCode;

#[test]
fn an_unreachable_secret_service_is_a_coded_error_not_a_fallback() {
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/todo-assistant-test-bus",
    );
    let keychain = OsKeychain::new("dev.todoassistant.test-unreachable");
    let err = keychain
        .save_typed(SecretSlot::OpenaiApiKey, "sk-never-stored")
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::KeychainUnavailable, "{err:?}");
    assert!(err.message.contains("gnome-keyring"), "{}", err.message);
    assert!(!err.message.contains("sk-never-stored"));
    let err = keychain.read(SecretSlot::OpenaiApiKey).unwrap_err();
    assert_eq!(err.code, ErrorCode::KeychainUnavailable);
}
