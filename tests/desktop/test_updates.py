"""Updates in the real app: a release feed on loopback (`latest.json` and a bundle signed with
a key made by the Tauri CLI's own signer) is found at start and downloaded and verified in the
background; from Settings the same release shows its version and notes, a tampered bundle is
refused with `update_signature_invalid`, and an unreachable feed is a coded error. The test
stops at "downloaded and verified": installing would replace the binary under test (a build
that is not a .deb or .rpm installs like an AppImage, over its own executable)."""

import hashlib
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import (ROOT, WebDriver, app_binary, app_environment, choose, complete_local_onboarding, free_port,
                     wait_for, write_settings)

KEY = "sk-test-Updates-7tR2"
NEW_VERSION = "0.2.0"
NOTES = "What is new in 0.2.0:\n- Tasks remember their order\n- A faster start"
TAURI = ROOT / "node_modules" / ".bin" / "tauri"


def signer(*args: str, cwd) -> None:
    # The developer's own signing key must not sign the test's bundle.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAURI_SIGNING_")}
    subprocess.run([str(TAURI), "signer", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=120)


class ReleaseFeed:
    """What GitHub serves for a release: `latest.json`, and the bundle it names."""

    def __init__(self, tmp_path) -> None:
        keys = tmp_path / "keys"
        keys.mkdir()
        signer("generate", "-w", str(keys / "updater.key"), "--ci", "-p", "", cwd=tmp_path)
        self.pubkey = (keys / "updater.key.pub").read_text().strip()
        # Not an ELF file, so even a mistaken install could not replace the binary under test.
        bundle = tmp_path / "Todo.Assistant_0.2.0_amd64.AppImage"
        bundle.write_bytes(b"Todo Assistant 0.2.0 update bundle\n" + os.urandom(3 * 1024 * 1024))
        signer("sign", "-f", str(keys / "updater.key"), "-p", "", "--app-version", NEW_VERSION, str(bundle),
               cwd=tmp_path)
        self.signature = (tmp_path / (bundle.name + ".sig")).read_text().strip()
        good = bundle.read_bytes()
        # One byte changed after signing, as a compromised mirror might serve it.
        tampered = bytearray(good)
        tampered[len(tampered) // 2] ^= 0x01
        self.files = {"/good.AppImage": good, "/tampered.AppImage": bytes(tampered)}
        self.serving = "/good.AppImage"
        self.requests: list[str] = []
        self.port = free_port()
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                feed.requests.append(self.path)
                if self.path == "/latest.json":
                    body = json.dumps(feed.manifest()).encode()
                    kind = "application/json"
                elif self.path in feed.files:
                    body, kind = feed.files[self.path], "application/octet-stream"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def manifest(self) -> dict:
        return {
            "version": NEW_VERSION,
            "notes": NOTES,
            "pub_date": "2026-12-01T10:00:00Z",
            "platforms": {
                "linux-x86_64": {"signature": self.signature, "url": self.url(self.serving)},
            },
        }

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def click_button(driver, label: str) -> None:
    """Clicks the enabled button whose text is `label`, once it is there."""
    wait_for(lambda: driver.script(
        "const b = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === arguments[0]);"
        "if (!b || b.disabled) return false; b.click(); return true;", label), 30, f"the {label} button")


def updates_text(driver) -> str:
    return driver.script("return document.querySelector('#updates')?.innerText ?? ''")


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def feed(tmp_path):
    if not TAURI.exists():
        pytest.fail("node_modules/.bin/tauri is missing: run `npm ci`")
    feed = ReleaseFeed(tmp_path)
    yield feed
    feed.stop()


def test_an_update_is_found_downloaded_and_verified_and_a_tampered_one_refused(xvfb, tmp_path, feed):
    binary_before = sha256(app_binary())
    env = app_environment(tmp_path, xvfb.display)
    env.update(
        TODO_ASSISTANT_TEST_UPDATE_ENDPOINT=feed.url("/latest.json"),
        TODO_ASSISTANT_TEST_UPDATE_PUBKEY=feed.pubkey,
    )
    driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
    try:
        complete_local_onboarding(driver, KEY)
        # Automatic (the default): checked after the first paint, downloaded and verified in the
        # background, and the sidebar offers the restart.
        wait_for(lambda: "0.2.0 is ready" in driver.script(
            "return document.querySelector('.update-note[data-update=ready]')?.innerText ?? ''"),
            60, "the update downloaded in the background")
        assert feed.requests[:2] == ["/latest.json", "/good.AppImage"], feed.requests

        # Settings → Ask, then a feed whose bundle was changed after signing.
        driver.click("nav.sidebar button[data-view=settings]")
        choose(driver, "input[name=updates][value=ask]", "Ask to be chosen")
        feed.serving = "/tampered.AppImage"
        click_button(driver, "Check for updates")
        wait_for(lambda: "Version 0.2.0 is available (you have 0.1.0)" in updates_text(driver), 30,
                 "the version on offer")
        assert driver.script("return document.querySelector('.update-notes').innerText") == NOTES
        click_button(driver, "Download and verify")
        wait_for(lambda: "update_signature_invalid" in updates_text(driver), 60, "the tampered bundle refused")
        assert "nothing was installed" in updates_text(driver)
        assert "Install and restart" not in updates_text(driver)
        assert feed.requests[-1] == "/tampered.AppImage"
        driver.script("document.querySelector('#updates').scrollIntoView({block: 'end'})")
        xvfb.screenshot("updates-refused-light")

        # The genuine bundle again: checked, downloaded, verified, and ready to install.
        feed.serving = "/good.AppImage"
        click_button(driver, "Check for updates")
        click_button(driver, "Download and verify")
        wait_for(lambda: "Version 0.2.0 is downloaded and its signature verified" in updates_text(driver), 60,
                 "the verified download")
        assert "Install and restart" in updates_text(driver)
        driver.script("document.querySelector('#updates').scrollIntoView({block: 'end'})")
        xvfb.screenshot("updates-ready-light")

        # The feed gone: a check the user asked for says so with its code.
        feed.stop()
        click_button(driver, "Check for updates")
        wait_for(lambda: "update_check_failed" in updates_text(driver), 60, "the unreachable feed reported")
        assert settings_file_mode(tmp_path) == "ask"
    finally:
        driver.close()
    # Nothing was installed over the app under test.
    assert sha256(app_binary()) == binary_before


def test_ask_mode_offers_the_update_at_start_without_downloading_it_in_dark(xvfb, tmp_path, feed):
    # As an earlier session left it: connected, and updates set to Ask.
    write_settings(tmp_path, updates="ask")
    env = app_environment(tmp_path, xvfb.display)
    env.update(
        TODO_ASSISTANT_TEST_UPDATE_ENDPOINT=feed.url("/latest.json"),
        TODO_ASSISTANT_TEST_UPDATE_PUBKEY=feed.pubkey,
        GTK_THEME="Adwaita:dark",
    )
    driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
    try:
        wait_for(lambda: "0.2.0 is available" in driver.script(
            "return document.querySelector('.update-note')?.innerText ?? ''"), 60, "the sidebar note")
        assert feed.requests == ["/latest.json"]
        click_button(driver, "What's new")
        wait_for(lambda: "Version 0.2.0 is available" in updates_text(driver), 15, "the version in Settings")
        assert driver.script("return document.querySelector('.update-notes').innerText") == NOTES
        assert "Download and verify" in updates_text(driver)
        # Ask never downloads by itself.
        assert "/good.AppImage" not in feed.requests
        driver.script("document.querySelector('#updates').scrollIntoView({block: 'end'})")
        xvfb.screenshot("updates-available-dark")
    finally:
        driver.close()


def settings_file_mode(home) -> str | None:
    path = home / "data" / "dev.todoassistant.app" / "settings.json"
    try:
        return json.loads(path.read_text()).get("updates")
    except (OSError, ValueError):
        return None
