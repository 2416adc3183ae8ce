"""@-mentions and attachments in the built-in chat view, for real in the app's webview: the
Local connection on a fake Responses API (tests/agent/fake_responses.py). Typing `@groc`
offers the matching tasks, Enter picks one, and the model is given that task's id and
completes exactly it; a screenshot dropped on the composer uploads over IPC, shows as a chip
and then as a thumbnail in the thread, and reaches the model as an image it adds tasks from.
Screenshots in light and dark land in target/test-artifacts/."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys

from harness import ROOT, WebDriver, app_binary, app_data_dir, app_environment, choose_chat_view, wait_app_closed, wait_for

sys.path.insert(0, str(ROOT / "tests" / "agent"))
sys.path.insert(0, str(ROOT / "tests" / "chatkit"))
from fake_responses import calls, FakeResponses, text  # noqa: E402
from test_attachments import png  # noqa: E402
from test_builtin_chat import cli_tasks, onboard_local, screenshot, user_texts  # noqa: E402

ENTER, DOWN = "\ue007", "\ue015"


def add_task(home, title: str) -> str:
    out = subprocess.run(
        [str(app_binary()), "tasks", "--data-dir", str(app_data_dir(home)), "add", title],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["id"]


def drop_file(driver: WebDriver, name: str, mime: str, data: bytes) -> None:
    """What a drop from the file manager gives the page: a DataTransfer with the file."""
    driver.script(
        """
        const [name, mime, b64] = arguments;
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type: mime }));
        const form = document.querySelector('.builtin-chat form.composer');
        form.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        form.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
        """,
        name, mime, base64.b64encode(data).decode(),
    )


def mention_options(driver: WebDriver) -> list[str]:
    return driver.script("return [...document.querySelectorAll('#composer-mentions [role=option] .mention-title')]"
                         ".map(e => e.textContent)")


def test_mention_and_screenshot_in_the_builtin_chat(xvfb, tmp_path):
    fake = FakeResponses().start()
    fake.models = ["gpt-4.1", "gpt-5-mini"]  # so the composer offers a model picker
    env = app_environment(tmp_path, xvfb.display)
    target = add_task(tmp_path, "Buy groceries")
    other = add_task(tmp_path, "Buy groceries for mom")
    image = png(160, 90)
    try:
        driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
        try:
            onboard_local(driver, fake)
            choose_chat_view(driver, "builtin")
            driver.wait_find(".builtin-chat textarea.composer-input", 30)

            # "@groc": the tasks that match, the first one highlighted; ↓ then Enter picks the second.
            driver.type("textarea.composer-input", "mark @groc")
            wait_for(lambda: mention_options(driver) == ["Buy groceries", "Buy groceries for mom"], 15, "the @ menu")
            screenshot(xvfb, "builtin-chat-mention-menu-light")
            driver.type("textarea.composer-input", DOWN)
            assert driver.script("return document.querySelector('#composer-mentions [aria-selected=true]').innerText") \
                .startswith("Buy groceries for mom")
            driver.type("textarea.composer-input", DOWN + ENTER)  # wraps to the first, picks it
            assert driver.script("return document.querySelector('textarea.composer-input').value") == "mark @Buy groceries "
            assert driver.script("return document.querySelector('#composer-mentions')") is None

            seen: list[str] = []

            def complete_the_mention(req):
                said = "".join(p.get("text", "") for p in [i for i in req.input if i.get("role") == "user"][-1]["content"])
                seen.append(said)
                found = re.search(r"\(task id ([^)\s]+)\)", said)
                return calls(("complete_task", {"task_id": found.group(1) if found else "none"}, "call_mention"))(req)

            fake.script(complete_the_mention, text("Done: “Buy groceries” is completed."))
            driver.type("textarea.composer-input", "done" + ENTER)
            wait_for(lambda: {t["id"]: t["completed"] for t in cli_tasks(tmp_path)} == {target: True, other: False},
                     30, "exactly the mentioned task to be completed")
            assert seen == [f"mark @“Buy groceries” (task id {target}) done"]
            assert driver.script("return document.querySelector('.builtin-chat .message.user .task-tag')?.innerText") \
                == "@Buy groceries"

            # Hovering the tag previews the task as it is now.
            driver.hover(".builtin-chat .message.user .task-tag")
            wait_for(lambda: "Completed" in (driver.script(
                "return document.querySelector('.task-preview')?.innerText ?? ''")), 15, "the tag's preview")

            # A screenshot dropped on the composer: a chip, then sent, and the model sees it.
            drop_file(driver, "todo-screenshot.png", "image/png", image)
            wait_for(lambda: driver.script(
                "return document.querySelector('.attachment-chip')?.dataset.state") == "ready", 30, "the upload")
            # The model picker: this thread answers with gpt-4.1 from now on.
            wait_for(lambda: driver.script("return document.querySelector('select[name=model]')?.value") == "gpt-5-mini",
                     15, "the model picker")
            driver.script("const s = document.querySelector('select[name=model]'); s.value = 'gpt-4.1';"
                          "s.dispatchEvent(new Event('change', {bubbles: true}))")
            images: list[str] = []
            models: list[str] = []

            def read_the_screenshot(req):
                models.append(req.body["model"])
                parts = [i for i in req.input if i.get("role") == "user"][-1]["content"]
                images.extend(p["image_url"] for p in parts if p["type"] == "input_image")
                return calls(("add_task", {"title": "Water the plants", "description": None}, "call_shot1"),
                             ("add_task", {"title": "Book the dentist", "description": None}, "call_shot2"))(req)

            fake.script(read_the_screenshot, text("I added 2 tasks from your screenshot."))
            driver.type("textarea.composer-input", "Add the tasks from this screenshot")
            driver.click("button[name=send]")
            wait_for(lambda: {"Water the plants", "Book the dentist"} <= {t["title"] for t in cli_tasks(tmp_path)}, 30,
                     "the tasks from the screenshot")
            assert images == ["data:image/png;base64," + base64.b64encode(image).decode()]
            assert models == ["gpt-4.1"] and fake.requests[-1].body["model"] == "gpt-4.1"
            wait_for(lambda: driver.script(
                "return document.querySelector('.builtin-chat .message-image')?.naturalWidth") == 160, 15,
                "the thumbnail in the thread")
            assert user_texts(driver)[-1] == "Add the tasks from this screenshot"
            # A type the core does not take is refused with its reason, before any upload.
            drop_file(driver, "setup.exe", "application/x-msdownload", b"MZ")
            wait_for(lambda: driver.script(
                "return document.querySelector('.attachment-error')?.dataset.code") == "attachment_type_not_allowed",
                15, "the refusal")
            screenshot(xvfb, "builtin-chat-attachments-light")
        finally:
            driver.close()
        wait_app_closed(tmp_path, xvfb.display)

        dark = dict(env, GTK_THEME="Adwaita:dark")
        driver = WebDriver(dark, app_binary(), tmp_path / "webdriver-2.log")
        try:
            wait_for(lambda: driver.script("return document.querySelectorAll('.builtin-chat .message-image').length") == 1,
                     60, "the thread with its thumbnail after a restart")
            # The thread remembers its model; a new chat starts with the connection's.
            wait_for(lambda: driver.script("return document.querySelector('select[name=model]')?.value") == "gpt-4.1",
                     15, "the thread's model in the picker")
            driver.type("textarea.composer-input", "@buy")
            wait_for(lambda: len(mention_options(driver)) == 2, 15, "the @ menu in dark")
            screenshot(xvfb, "builtin-chat-rich-input-dark")
            driver.click(".chat-header button:last-child")
            wait_for(lambda: driver.script("return document.querySelector('select[name=model]')?.value") == "gpt-5-mini",
                     15, "the connection's model in a new chat")
        finally:
            driver.close()
    finally:
        fake.close()
    assert not fake.problems, "\n".join(fake.problems)
    subprocess.run(["secret-tool", "clear", "service", "dev.todoassistant.app", "username", "openai_api_key"], env=env)
