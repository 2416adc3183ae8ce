//! The broker's keychain against a real Secret Service. `.ci/test` runs these inside
//! `tests/with-keyring.sh` (a private D-Bus session with an unlocked gnome-keyring).

use std::process::Command;

use todo_assistant::broker::keychain::{OsKeychain, SecretSlot};

fn secret_tool_search(service: &str, slot: SecretSlot) -> String {
    let out = Command::new("secret-tool")
        .args([
            "search",
            "--all",
            "service",
            service,
            "username",
            slot.account(),
        ])
        .output()
        .expect("secret-tool is installed (libsecret-tools)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
#[ignore = "needs a running Secret Service: run through tests/with-keyring.sh"]
fn secrets_round_trip_through_the_secret_service() {
    let service = format!("dev.todoassistant.test-{}", std::process::id());
    let keychain = OsKeychain::new(&service);
    let slot = SecretSlot::BackendToken;

    assert!(!keychain.status(slot).unwrap().is_set);
    let status = keychain.save_typed(slot, "  tok-RoundTrip-9876\n").unwrap();
    assert!(status.is_set);
    assert_eq!(status.last_four.as_deref(), Some("9876"));

    // Another client of the Secret Service sees exactly the trimmed value.
    let found = secret_tool_search(&service, slot);
    assert!(found.contains("secret = tok-RoundTrip-9876\n"), "{found}");
    assert_eq!(
        keychain.read(slot).unwrap().unwrap().expose(),
        "tok-RoundTrip-9876"
    );

    // Replacing keeps one entry with the new value.
    keychain.save_typed(slot, "tok-Second-1111").unwrap();
    let found = secret_tool_search(&service, slot);
    assert_eq!(found.matches("secret = ").count(), 1, "{found}");
    assert!(found.contains("secret = tok-Second-1111"));

    keychain.erase(slot).unwrap();
    assert!(!keychain.status(slot).unwrap().is_set);
    assert!(!secret_tool_search(&service, slot).contains("secret = "));
    // Erasing what is not there is not an error.
    keychain.erase(slot).unwrap();
}
