"""Onboarding in the real window, driven over WebDriver: the key typed there lands in the
Secret Service and nowhere else, and a missing keychain is reported with its code."""

import json
import subprocess

from harness import APP_IDENTIFIER, ARTIFACTS, WebDriver, app_binary, app_environment, wait_for, complete_local_onboarding

KEY = "sk-test-OnboardingE2E-7Qz9"


def secret_tool_lookup(env) -> str:
    out = subprocess.run(
        ["secret-tool", "search", "--all", "service", APP_IDENTIFIER, "username", "openai_api_key"],
        env=env, capture_output=True, text=True,
    )
    return out.stdout + out.stderr


def files_containing(root, needle: bytes):
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_key_saved_in_onboarding_is_in_the_keychain_only(xvfb, tmp_path):
    env = app_environment(tmp_path, xvfb.display)
    driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
    try:
        complete_local_onboarding(driver, KEY)

        found = secret_tool_lookup(env)
        assert f"secret = {KEY}" in found, found

        # Nothing the webview can ask for carries the key back.
        answers = [
            driver.call(f"window.__TAURI_INTERNALS__.invoke({json.dumps(cmd)}, {json.dumps(args)})")
            for cmd, args in [
                ("get_settings", {}),
                ("app_info", {}),
                ("secret_status", {"slot": "openai_api_key"}),
            ]
        ]
        assert all(a["ok"] for a in answers), answers
        assert KEY not in json.dumps(answers)
        assert answers[2]["value"] == {"slot": "openai_api_key", "is_set": True, "last_four": KEY[-4:], "from_environment": False}
        assert answers[0]["value"]["connection"] == {"kind": "local", "base_url": None, "model": "gpt-5-mini", "api_style": "automatic"}

        driver.click("nav.sidebar button[data-view=settings]")
        wait_for(lambda: f"••••{KEY[-4:]}" in driver.text(), 20, "Settings to show the last four characters")
        subprocess.run(["import", "-display", xvfb.display, "-window", "root", str(ARTIFACTS / "settings.png")])
    finally:
        driver.close()

    # Settings, data and logs were written, and none of them holds the key.
    assert (tmp_path / "data" / APP_IDENTIFIER / "settings.json").exists()
    assert list((tmp_path / "data" / APP_IDENTIFIER / "logs").glob("todo-assistant*.log"))
    assert files_containing(tmp_path, KEY.encode()) == []
    subprocess.run(["secret-tool", "clear", "service", APP_IDENTIFIER, "username", "openai_api_key"], env=env)


def test_missing_keychain_is_reported_with_its_code(xvfb, tmp_path):
    env = app_environment(tmp_path, xvfb.display)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path}/no-bus-here"
    driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
    try:
        wait_for(lambda: "Welcome to Todo Assistant" in driver.text(), 60, "the onboarding screen")
        driver.type("input[type=password]", KEY)
        driver.click("button[type=submit]")
        text = wait_for(lambda: (t := driver.text()) and "keychain_unavailable" in t and t, 30, "the keychain error")
        # What to install or unlock on GNOME and KDE, and the way round it.
        assert "gnome-keyring" in text and "KWallet" in text and "OPENAI_API_KEY" in text, text
        assert "Welcome to Todo Assistant" in text  # still onboarding: nothing half-saved
        subprocess.run(["import", "-display", xvfb.display, "-window", "root", str(ARTIFACTS / "no-keychain.png")])
    finally:
        driver.close()
    assert not (tmp_path / "data" / APP_IDENTIFIER / "settings.json").exists()
    assert files_containing(tmp_path, KEY.encode()) == []


def test_without_a_keychain_the_key_from_the_environment_serves_local(xvfb, tmp_path):
    env = app_environment(tmp_path, xvfb.display)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path}/no-bus-here"
    env["OPENAI_API_KEY"] = KEY
    driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
    try:
        wait_for(lambda: "Welcome to Todo Assistant" in driver.text(), 60, "the onboarding screen")
        wait_for(lambda: "Using the key from your environment" in driver.text(), 20, "the environment key to show")
        assert f"••••{KEY[-4:]}" in driver.text()
        driver.click("button[type=submit]")
        wait_for(lambda: "Welcome to Todo Assistant" not in driver.text(), 30, "onboarding to finish")
        driver.click("nav.sidebar button[data-view=settings]")
        text = wait_for(lambda: (t := driver.text()) and "Using the key from your environment" in t and t, 20, "Settings")
        assert "keychain_unavailable" not in text, text
        subprocess.run(["import", "-display", xvfb.display, "-window", "root", str(ARTIFACTS / "environment-key.png")])
    finally:
        driver.close()
    settings = json.loads((tmp_path / "data" / APP_IDENTIFIER / "settings.json").read_text())
    assert "local" in json.dumps(settings), settings
    assert files_containing(tmp_path, KEY.encode()) == [], "the environment's key was written somewhere"
