"""A model server on this computer (Ollama, LM Studio), for real in the app's webview, with no
keychain at all: onboarding picks the Ollama preset, points it at a fake keyless server that
speaks only Chat Completions (tests/agent/fake_chat.py, built from the `openai` package's
chunk types), Test connection lists its models and one is picked, Continue needs no key.
Then the built-in chat adds a task through the automatic API style (a 404 on /responses,
Chat Completions from then on), and a model that cannot call tools shows its coded failure
with Open Settings. Settings is shot in light and in dark."""

from __future__ import annotations

import json
import sys

from harness import APP_IDENTIFIER, ROOT, WebDriver, app_binary, app_data_dir, app_environment, choose_chat_view, wait_for

sys.path.insert(0, str(ROOT / "tests" / "agent"))
from fake_chat import FakeChat, chat_calls, chat_text, ollama_no_tools  # noqa: E402
from test_builtin_chat import assistant_texts, cli_tasks, screenshot, send  # noqa: E402


def set_field(driver: WebDriver, css: str, value: str) -> None:
    element = driver.wait_find(css)
    driver.request("POST", driver.s(f"/element/{element}/clear"), {})
    driver.request("POST", driver.s(f"/element/{element}/value"), {"text": value})


def files_containing(root, needle: bytes):
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_ollama_preset_without_a_keychain_tests_the_server_and_chats(xvfb, tmp_path):
    fake = FakeChat(keyless=True, models=["gemma3:1b", "llama3.1:8b", "qwen2.5:7b"]).start()
    env = app_environment(tmp_path, xvfb.display)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path}/no-bus-here"
    try:
        driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
        try:
            wait_for(lambda: "Welcome to Todo Assistant" in driver.text(), 60, "the onboarding screen")
            driver.pick("select[name=model-preset]", "ollama")
            wait_for(lambda: "Ollama API key (optional)" in driver.text(), 10, "the Ollama preset")
            assert driver.script("return document.querySelector('input[type=url]').value") == "http://localhost:11434/v1"
            set_field(driver, "input[type=url]", fake.base_url)
            driver.click("button[type=button].test-connection")
            wait_for(lambda: "the server offers 3 models" in driver.text(), 20, "Test connection's answer")
            driver.pick("select[name=server-models]", "llama3.1:8b")
            assert driver.script("return document.querySelector('input[name=model]').value") == "llama3.1:8b"
            screenshot(xvfb, "local-server-onboarding-light")
            driver.click("button[type=submit]")
            wait_for(lambda: driver.script("return document.querySelector('nav.sidebar') !== null"), 30,
                     "the main view after onboarding (no key, no keychain)")

            choose_chat_view(driver, "builtin")
            driver.wait_find(".builtin-chat textarea.composer-input", 30)
            fake.script(chat_calls(("add_task", {"title": "Buy groceries", "description": None}, "call_g")),
                        chat_text("Added ", "**Buy groceries**."))
            send(driver, "Add a task to buy groceries")
            wait_for(lambda: any("Added Buy groceries" in t for t in assistant_texts(driver)), 30, "the answer")
            assert [t["title"] for t in cli_tasks(tmp_path)] == ["Buy groceries"]
            assert [(r.method, r.path) for r in fake.route_misses] == [("POST", "/v1/responses")]
            assert [r.body["model"] for r in fake.requests] == ["llama3.1:8b", "llama3.1:8b"]

            # A model that cannot call tools: the coded failure and the way to fix it.
            fake.script(ollama_no_tools("llama3.1:8b"))
            send(driver, "What's pending?")
            wait_for(lambda: "model_no_tools" in driver.text(), 30, "the coded failure")
            assert len(fake.route_misses) == 1, "the fallback was remembered"
            assert driver.script(
                "return [...document.querySelectorAll('.builtin-chat [role=alert] button')].map(b => b.innerText)"
            ).count("Open Settings") == 1
            driver.click(".builtin-chat [role=alert] button.primary")
            wait_for(lambda: "Test connection" in driver.text(), 15, "Settings")
            screenshot(xvfb, "local-server-settings-light")
        finally:
            driver.close()

        settings = json.loads((app_data_dir(tmp_path) / "settings.json").read_text())
        assert settings["connection"] == {"kind": "local", "base_url": fake.base_url, "model": "llama3.1:8b",
                                          "api_style": "automatic"}

        dark = dict(env, GTK_THEME="Adwaita:dark")
        driver = WebDriver(dark, app_binary(), tmp_path / "webdriver-2.log")
        try:
            driver.wait_find("nav.sidebar", 60)
            driver.click("nav.sidebar button[data-view=settings]")
            wait_for(lambda: "Test connection" in driver.text(), 15, "Settings")
            assert driver.script("return document.querySelector('select[name=model-preset]').value") == "custom"
            driver.click("button[type=button].test-connection")
            wait_for(lambda: "the server offers 3 models" in driver.text(), 20, "Test connection's answer")
            screenshot(xvfb, "local-server-settings-dark")
            driver.pick("select[name=model-preset]", "azure")
            set_field(driver, "input[name=azure-resource]", "contoso")
            set_field(driver, "input[name=azure-deployment]", "gpt-4o-mini")
            set_field(driver, "input[name=azure-api-version]", "2024-10-21")
            assert driver.script("return document.querySelector('[data-testid=azure-url]').innerText") == \
                "https://contoso.openai.azure.com/openai/deployments/gpt-4o-mini?api-version=2024-10-21"
            screenshot(xvfb, "local-server-azure-dark")
        finally:
            driver.close()
    finally:
        fake.close()
    assert not fake.problems, fake.problems
    assert not (tmp_path / "data" / APP_IDENTIFIER / "keyrings").exists()
