"""The built-in chat view, for real in the app's webview: the Local connection pointed at a
fake Responses API on loopback (tests/agent/fake_responses.py, shaped like the `openai`
package's types), no ChatKit script anywhere. A person asks for a task and sees the answer
stream in, the task shows in Tasks and in `todo-assistant tasks list`, Stop keeps the part
already written, the task list widget draws, threads are renamed and deleted from the
history, and a restart reopens the last thread; in light and in dark. The task list widget's
Complete works in place, Retry and editing the question answer again, and a thumb given
before a restart is shown after it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from harness import (
    APP_IDENTIFIER, ROOT, WebDriver, app_binary, app_data_dir, app_environment, choose_chat_view, top_window,
    wait_app_closed, wait_for,
)

sys.path.insert(0, str(ROOT / "tests" / "agent"))
from fake_responses import FakeResponses, ResponseBuilder, calls, text  # noqa: E402

PROMPT = "Add a task to buy groceries"
REPLY = ["I've", " added", " **Buy groceries**", " to your list:\n\n", "- Buy groceries\n"]
SLOW_WORDS = [f" word{n}" for n in range(80)]


def slow_reply(request):
    return ResponseBuilder(request).start().message(["Here goes:", *SLOW_WORDS]).completed().stream(delay=0.08)


def onboard_local(driver: WebDriver, fake: FakeResponses) -> None:
    wait_for(lambda: "Welcome to Todo Assistant" in driver.text(), 60, "the onboarding screen")
    driver.type("input[type=url]", fake.base_url)
    driver.type("input[type=password]", fake.api_key)
    driver.click("button[type=submit]")
    wait_for(lambda: driver.script("return document.querySelector('nav.sidebar') !== null"), 30,
             "the main view after onboarding")


def assistant_texts(driver: WebDriver) -> list[str]:
    return driver.script("return [...document.querySelectorAll('.builtin-chat .message.assistant')].map(e => e.innerText)")


def user_texts(driver: WebDriver) -> list[str]:
    return driver.script("return [...document.querySelectorAll('.builtin-chat .message.user .bubble')].map(e => e.innerText)")


def open_thread_id(driver: WebDriver) -> str | None:
    return driver.script("return document.querySelector('.thread-entry.open')?.dataset.threadId ?? null")


def send(driver: WebDriver, words: str) -> None:
    # The box waits (disabled) while a thread opens; typing then would be refused.
    wait_for(lambda: driver.script("return document.querySelector('textarea.composer-input')?.disabled === false"),
             15, "the message box to take input")
    driver.type("textarea.composer-input", words)
    driver.click("button[name=send]")


def cli_tasks(home: Path) -> list[dict]:
    out = subprocess.run(
        [str(app_binary()), "tasks", "--data-dir", str(app_data_dir(home)), "list"],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["tasks"]


def click_button(driver: WebDriver, scope: str, label: str) -> None:
    """Clicks, over WebDriver, the button inside `scope` whose text is `label`."""
    element = wait_for(lambda: driver.script(
        "return [...document.querySelectorAll(arguments[0] + ' button')].find(b => b.innerText.trim() === arguments[1])"
        " ?? null", scope, label), 15, f"the {label} button")
    driver.request("POST", driver.s(f"/element/{next(iter(element.values()))}/click"), {})


def pressed(driver: WebDriver, label: str) -> list[str]:
    """aria-pressed of every `label` button in the thread, in order."""
    return driver.script(
        "return [...document.querySelectorAll(`.builtin-chat button[aria-label='${arguments[0]}']`)]"
        ".map(b => b.getAttribute('aria-pressed'))", label)


def set_window_width(driver: WebDriver, width: int, height: int = 760) -> None:
    driver.request("POST", driver.s("/window/rect"), {"width": width, "height": height})
    wait_for(lambda: driver.script("return window.innerWidth") == width, 15, f"the window at {width} px")


def check_narrow(driver: WebDriver) -> None:
    """At 360 px nothing runs off the side: no sideways scrolling, the thread, widgets and the
    composer inside the window."""
    assert driver.script("return document.documentElement.scrollWidth <= window.innerWidth"), "sideways scroll"
    overflowing = driver.script(
        "return [...document.querySelectorAll('.builtin-chat .chat-item, .builtin-chat .widget, .composer, .chat-header')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => e.className)")
    assert overflowing == [], overflowing
    assert driver.script("return document.querySelector('.composer').getBoundingClientRect().bottom <= window.innerHeight")


def focus_app_window(display: str) -> None:
    """Gives the app's window the keyboard, as a window manager would (Xvfb has none), so the
    page is focused and :focus-visible can match."""
    from Xlib import X

    with top_window(display, viewable=True) as (dpy, window):
        assert window is not None, "the app has no window on the display"
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        dpy.sync()


def tab_to_send(driver: WebDriver, display: str, words: str) -> None:
    """Keyboard only: type into the composer, Tab to Send; its focus ring shows."""
    focus_app_window(display)
    wait_for(lambda: driver.script("return document.hasFocus()"), 10, "the page to have the keyboard")
    driver.type("textarea.composer-input", words)
    driver.request("POST", driver.s("/actions"), {"actions": [{"type": "key", "id": "keyboard", "actions": [
        {"type": "keyDown", "value": "\ue004"}, {"type": "keyUp", "value": "\ue004"}]}]})
    wait_for(lambda: driver.script("return document.activeElement?.name") == "send", 10, "focus on Send")
    assert driver.script("return getComputedStyle(document.activeElement).outlineStyle") == "solid", \
        "a focused button shows a focus ring"


def screenshot(xvfb, name: str) -> None:
    shot = xvfb.screenshot(name)
    assert shot.exists()


def test_builtin_chat_streams_adds_a_task_stops_and_remembers_its_threads(xvfb, tmp_path):
    fake = FakeResponses().start()
    env = app_environment(tmp_path, xvfb.display)
    try:
        driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
        try:
            onboard_local(driver, fake)
            choose_chat_view(driver, "builtin")
            driver.wait_find(".builtin-chat textarea.composer-input", 30)
            assert driver.script("return customElements.get('openai-chatkit') === undefined"), \
                "the built-in view must not need ChatKit's script"

            # "Add a task to buy groceries": the tool runs, its line shows, the answer streams.
            fake.script(calls(("add_task", {"title": "Buy groceries"}, "call_groceries")), text(*REPLY))
            send(driver, PROMPT)
            wait_for(lambda: user_texts(driver) == [PROMPT], 15, "the user's message")
            wait_for(lambda: any("Buy groceries" in t and "to your list" in t for t in assistant_texts(driver)), 30,
                     "the streamed answer")
            # The added task shows as a card with Undo.
            card = driver.script("return document.querySelector('.builtin-chat .widget-card')?.innerText ?? ''")
            assert "Added to your tasks" in card and "Buy groceries" in card and "Undo" in card, card
            # Markdown: bold and a list, as elements, not asterisks.
            assert driver.script("return document.querySelector('.builtin-chat .message.assistant strong')?.innerText") \
                == "Buy groceries"
            assert driver.script("return document.querySelectorAll('.builtin-chat .message.assistant li').length") == 1
            first_thread = wait_for(lambda: open_thread_id(driver), 15, "the thread in the history")
            assert [t["title"] for t in cli_tasks(tmp_path)] == ["Buy groceries"]
            # Thumbs up on the answer: stored with the thread (shown again after the restart below).
            driver.click(".builtin-chat .message.assistant button[aria-label='Good answer']")
            wait_for(lambda: pressed(driver, "Good answer") == ["true"], 15, "the thumb to be pressed")
            screenshot(xvfb, "builtin-chat-light")

            # The task is in the Tasks view too.
            driver.click("nav.sidebar button[data-view=tasks]")
            wait_for(lambda: driver.script("return document.querySelector('.tasks-pane')?.innerText ?? ''")
                     .count("Buy groceries") == 1, 15, "the task in the Tasks view")
            driver.click("nav.sidebar button[data-view=chat]")
            wait_for(lambda: driver.script("return document.querySelector('.builtin-chat textarea')?.offsetParent != null"),
                     15, "the chat again")

            # Stop halfway: the words so far stay, the rest never comes, and the core keeps them.
            fake.script(slow_reply)
            send(driver, "Tell me a long story")
            wait_for(lambda: any("word5" in t for t in assistant_texts(driver)), 30, "the slow answer to stream",
                     interval=0.05)
            driver.click("button[name=stop]")
            time.sleep(80 * 0.08)  # long enough for the whole answer, had it not been stopped
            stopped = assistant_texts(driver)[-1]
            assert "word5" in stopped and "word79" not in stopped, stopped
            assert "Stopped" in driver.text()

            # A second thread, then rename and delete from the history.
            driver.click(".builtin-chat .chat-header > button:last-child")  # New chat
            # "What's pending?": the task list widget the core sends, drawn by the built-in view.
            fake.script(calls(("list_tasks", {"status": "pending"}, "call_pending")), text("Here is what's pending."))
            send(driver, "What's pending?")
            wait_for(lambda: any("what's pending" in t for t in assistant_texts(driver)), 30, "the second answer")
            widget = driver.script("return document.querySelector('.builtin-chat .widget')?.innerText ?? ''")
            assert "Pending tasks (1)" in widget and "Buy groceries" in widget, widget
            screenshot(xvfb, "builtin-chat-widget")
            # Its Complete button: the task is done at once, the row redrawn in place (struck
            # through, Reopen instead), in the Tasks view and for `tasks list` too.
            requests_before = len(fake.requests)
            click_button(driver, ".builtin-chat .widget", "Complete")
            wait_for(lambda: "Reopen" in driver.script("return document.querySelector('.builtin-chat .widget').innerText"),
                     15, "the row to offer Reopen")
            assert driver.script(
                "return getComputedStyle([...document.querySelectorAll('.builtin-chat .widget .widget-text')]"
                ".find(e => e.innerText === 'Buy groceries')).textDecorationLine") == "line-through"
            assert len(fake.requests) == requests_before, "a widget action needs no model call"
            assert [(t["title"], t["completed"]) for t in cli_tasks(tmp_path)] == [("Buy groceries", True)]
            screenshot(xvfb, "builtin-chat-widget-completed")
            set_window_width(driver, 360)
            check_narrow(driver)
            screenshot(xvfb, "builtin-chat-widget-360")
            set_window_width(driver, 1100)
            driver.click("nav.sidebar button[data-view=tasks]")
            wait_for(lambda: driver.script(
                "return document.querySelector('.tasks-pane .task-row.done')?.innerText ?? ''").count("Buy groceries") == 1,
                15, "the task completed in the Tasks view")
            driver.click("nav.sidebar button[data-view=chat]")
            wait_for(lambda: driver.script("return document.querySelector('.builtin-chat textarea')?.offsetParent != null"),
                     15, "the chat again")

            # Retry answers the question again: the old answer and its widget give way.
            fake.script(text("Nothing is pending now."))
            driver.click(".builtin-chat button[aria-label='Retry']")
            wait_for(lambda: len(t := assistant_texts(driver)) == 1 and "Nothing is pending now." in t[0], 30,
                     "the retried answer")
            assert driver.script("return document.querySelector('.builtin-chat .widget')") is None

            # Edit the question and send it again: it and its answer are replaced.
            fake.script(text("Done: Buy groceries."))
            driver.click(".builtin-chat button[aria-label='Edit message']")
            box = driver.wait_find("textarea.edit-message-input")
            driver.script("arguments[0].select()", {"element-6066-11e4-a52e-4f735466cecf": box})
            driver.type("textarea.edit-message-input", "What's done?" + "\ue007")
            wait_for(lambda: user_texts(driver) == ["What's done?"]
                     and len(t := assistant_texts(driver)) == 1 and "Done: Buy groceries." in t[0],
                     30, "the edited question and its answer")

            # 360 px wide: the sidebar becomes a bar, the thread and the composer fit; keyboard
            # focus is visible.
            set_window_width(driver, 360)
            check_narrow(driver)
            tab_to_send(driver, xvfb.display, "One more thing")
            screenshot(xvfb, "builtin-chat-360-light")
            driver.click("nav.sidebar button[data-view=tasks]")
            wait_for(lambda: driver.script("return document.querySelector('.tasks-pane') !== null"), 15, "Tasks")
            assert driver.script("return document.documentElement.scrollWidth <= window.innerWidth"), "sideways scroll"
            screenshot(xvfb, "tasks-360-light")
            driver.click("nav.sidebar button[data-view=chat]")
            wait_for(lambda: driver.script("return document.querySelector('.builtin-chat textarea')?.offsetParent != null"),
                     15, "the chat again")
            driver.script("document.querySelector('textarea.composer-input').value = ''")
            driver.script("const t = document.querySelector('textarea.composer-input');"
                          "Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(t, '');"
                          "t.dispatchEvent(new Event('input', {bubbles: true}))")
            set_window_width(driver, 1100)
            second_thread = wait_for(lambda: (t := open_thread_id(driver)) != first_thread and t, 15,
                                     "the second thread")
            driver.click(f".thread-entry[data-thread-id='{second_thread}'] button[aria-label^='Rename']")
            rename = driver.wait_find("input[aria-label='Chat title']")
            driver.script("arguments[0].select()", {"element-6066-11e4-a52e-4f735466cecf": rename})
            driver.type("input[aria-label='Chat title']", "Scratch" + "\ue007")
            wait_for(lambda: driver.script(
                f"return document.querySelector(\".thread-entry[data-thread-id='{second_thread}']\")?.innerText"
            ) and "Scratch" in driver.script(
                f"return document.querySelector(\".thread-entry[data-thread-id='{second_thread}']\").innerText"
            ), 15, "the renamed thread")
            driver.click(f".thread-entry[data-thread-id='{second_thread}'] button[aria-label^='Delete']")
            driver.click(".thread-confirm button.danger")
            wait_for(lambda: driver.script(
                f"return document.querySelector(\".thread-entry[data-thread-id='{second_thread}']\") === null"
            ), 15, "the deleted thread to leave the history")
            # Reopen the first thread from the history: it is the one remembered at exit.
            driver.click(f".thread-entry[data-thread-id='{first_thread}'] button.thread-open")
            wait_for(lambda: user_texts(driver)[:1] == [PROMPT], 15, "the first thread reopened")
            wait_for(lambda: driver.call('window.__TAURI_INTERNALS__.invoke("get_settings", {})')["value"]
                     ["last_thread_id"] == first_thread, 15, "the reopened thread to be remembered")
            # Undo on the card of the added task: the task is gone, and the card says so.
            click_button(driver, ".builtin-chat .widget", "Undo")
            wait_for(lambda: "Undone" in driver.script("return document.querySelector('.builtin-chat .widget').innerText"),
                     15, "the card to say the task was removed")
            assert cli_tasks(tmp_path) == []
            assert "Undo" not in driver.script(
                "return [...document.querySelectorAll('.builtin-chat .widget button')].map(b => b.innerText).join()")
        finally:
            driver.close()
        wait_app_closed(tmp_path, xvfb.display)

        # Restarted, in dark: the built-in view and the last thread, with the stopped answer kept.
        dark = dict(env, GTK_THEME="Adwaita:dark")
        driver = WebDriver(dark, app_binary(), tmp_path / "webdriver-2.log")
        try:
            wait_for(lambda: driver.script("return document.querySelector('.builtin-chat') !== null"), 60,
                     "the built-in chat after a restart")
            wait_for(lambda: open_thread_id(driver) == first_thread, 30, "the last thread to reopen")
            wait_for(lambda: len(user_texts(driver)) == 2, 30, "the thread's messages")
            assert user_texts(driver) == [PROMPT, "Tell me a long story"]
            kept = assistant_texts(driver)[-1]
            assert "word5" in kept and "word79" not in kept, kept
            # The thumb given before the restart is shown again.
            wait_for(lambda: pressed(driver, "Good answer")[:1] == ["true"], 15, "the stored thumb")
            assert pressed(driver, "Bad answer")[:1] == ["false"]
            card = driver.script("return document.querySelector('.builtin-chat .widget').innerText")
            assert "Undone: removed from your tasks" in card, "the redrawn card is what was stored"
            assert driver.script(
                "return document.querySelector(\".thread-entry[data-thread-id='" + second_thread + "']\") === null"
            ), "a deleted thread came back"
            screenshot(xvfb, "builtin-chat-dark")
            set_window_width(driver, 360)
            check_narrow(driver)
            screenshot(xvfb, "builtin-chat-360-dark")
        finally:
            driver.close()
    finally:
        fake.close()
    assert not fake.problems, "\n".join(fake.problems)
    subprocess.run(["secret-tool", "clear", "service", APP_IDENTIFIER, "username", "openai_api_key"], env=env)

