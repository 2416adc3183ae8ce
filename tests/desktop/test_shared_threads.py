"""One data folder, the open app and `todo-assistant serve` at once: a chat that `serve`
makes shows in the app's history without a restart, and one made in the app is listed by
the `serve` that was already running; a rename from `serve` reaches the app's history and a
delete in the app reaches `serve`. The app runs the built-in chat view against a fake
Responses API; `serve` uses the test build's echo responder."""

from __future__ import annotations

import subprocess
import sys

from harness import (
    APP_IDENTIFIER, ROOT, WebDriver, app_binary, app_data_dir, app_environment, choose_chat_view, wait_app_closed,
    wait_for,
)
from test_builtin_chat import onboard_local, open_thread_id, screenshot, send, user_texts

sys.path.insert(0, str(ROOT / "tests" / "agent"))
sys.path.insert(0, str(ROOT / "tests" / "chatkit"))
from ckclient import Client, message_text, user_input  # noqa: E402
from fake_responses import FakeResponses, text  # noqa: E402
from serve import Serve  # noqa: E402


def entry_text(driver: WebDriver, thread_id: str) -> str | None:
    return driver.script(
        f"return document.querySelector(\".thread-entry[data-thread-id='{thread_id}']\")?.innerText ?? null"
    )


def listed_by_serve(client: Client) -> list[str]:
    return [t.id for t in client.all_threads()]


def test_threads_made_by_serve_show_in_the_open_app_and_the_reverse(xvfb, tmp_path):
    fake = FakeResponses().start()
    env = app_environment(tmp_path, xvfb.display)
    server = None
    try:
        driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
        try:
            onboard_local(driver, fake)
            choose_chat_view(driver, "builtin")
            driver.wait_find(".builtin-chat textarea.composer-input", 30)
            server = Serve(app_data_dir(tmp_path), responder="echo", log_path=tmp_path / "serve.log").start()
            client = Client(server.url, server.secret, timeout=15)
            assert listed_by_serve(client) == []

            # Made in the app: the running serve lists it.
            fake.script(text("Hello from the app."))
            send(driver, "Made in the app")
            app_thread = wait_for(lambda: open_thread_id(driver), 30, "the app's thread")
            wait_for(lambda: app_thread in listed_by_serve(client), 15, "serve to list the app's thread")
            assert [message_text(m) for m in client.all_items(app_thread) if m.type == "user_message"] == \
                ["Made in the app"]

            # Made by serve: the open app's history shows it, and it opens with its message.
            created = client.stream("threads.create", {"input": user_input("Made by serve")})
            serve_thread = created.of("thread.created")[0].thread.id
            wait_for(lambda: entry_text(driver, serve_thread) is not None, 20, "serve's thread in the app's history")
            driver.click(f".thread-entry[data-thread-id='{serve_thread}'] button.thread-open")
            wait_for(lambda: user_texts(driver) == ["Made by serve"], 15, "serve's thread opened in the app")

            # Renamed by serve (the app's thread, not open now): the history follows.
            client.call("threads.update", {"thread_id": app_thread, "title": "Renamed by serve"})
            wait_for(lambda: "Renamed by serve" in (entry_text(driver, app_thread) or ""), 20,
                     "serve's rename in the app's history")
            screenshot(xvfb, "shared-threads-history")

            # serve's thread deleted in the app (its row's buttons show while it is open): serve
            # no longer has it.
            driver.click(f".thread-entry[data-thread-id='{serve_thread}'] button[aria-label^='Delete']")
            driver.click(".thread-confirm button.danger")
            wait_for(lambda: entry_text(driver, serve_thread) is None, 15, "the deleted thread to leave the history")
            assert listed_by_serve(client) == [app_thread]
        finally:
            if server is not None:
                server.stop()
            driver.close()
        wait_app_closed(tmp_path, xvfb.display)
    finally:
        fake.close()
    assert not fake.problems, "\n".join(fake.problems)
    subprocess.run(["secret-tool", "clear", "service", APP_IDENTIFIER, "username", "openai_api_key"], env=env)
