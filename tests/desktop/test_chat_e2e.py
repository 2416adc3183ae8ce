"""Chat end to end in the real app: ChatKit's React component drives a stand-in element
(tests/e2e/chatkit-standin.js, injected over WebDriver because OpenAI's CDN is out of
reach) through the app's IPC fetch and the core's ChatKit server with the echo responder.
A message streams back, the thread is remembered, and a restart reopens it."""

import json
import subprocess
import time

from harness import (
    ARTIFACTS, ROOT, WebDriver, app_binary, app_environment, app_pids, choose_chat_view, complete_local_onboarding,
    wait_app_closed, wait_for,
)

KEY = "sk-test-ChatE2E-4kP2"
STANDIN = (ROOT / "tests" / "e2e" / "chatkit-standin.js").read_text()
PROMPT = "Add a task to buy groceries"
SLOW_WORDS = " ".join(f"word{n}" for n in range(40))
SLOW_PROMPT = f"[slow] {SLOW_WORDS}"


def chat_environment(tmp_path, display):
    env = app_environment(tmp_path, display)
    env["TODO_ASSISTANT_TEST_RESPONDER"] = "echo"
    return env


def messages(driver):
    return driver.script(
        "return [...document.querySelectorAll('.standin-message')]"
        ".map(m => ({role: m.dataset.role, text: m.textContent}))"
    )


def thread_id(driver):
    return driver.script("return document.querySelector('openai-chatkit')?.dataset.threadId ?? null")


def open_chat_with_standin(driver):
    """The CDN cannot load here: ChatView says so and offers Retry, which finds the stand-in."""
    wait_for(lambda: "Chat can't load right now" in driver.text(), 60, "the chat pane to give up on the CDN")
    assert driver.script("return customElements.get('openai-chatkit') === undefined")
    driver.script(STANDIN)
    driver.click(".pane .card button.primary")  # Retry
    driver.wait_find("openai-chatkit[data-ready=true]", 30)


def remembered_thread(driver):
    answer = driver.call('window.__TAURI_INTERNALS__.invoke("get_settings", {})')
    assert answer["ok"], answer
    return answer["value"]["last_thread_id"]


def test_chat_streams_remembers_its_thread_and_reopens_it(xvfb, tmp_path):
    env = chat_environment(tmp_path, xvfb.display)
    driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
    try:
        complete_local_onboarding(driver, KEY)

        # Without a client secret the core refuses every ChatKit request.
        refused = driver.call(
            "window.__TAURI_INTERNALS__.invoke('chatkit_fetch', {"
            " body: JSON.stringify({type: 'threads.list', params: {}}), clientSecret: null,"
            " onEvent: '__CHANNEL__:' + window.__TAURI_INTERNALS__.transformCallback(() => {}) })"
        )
        assert refused["ok"], refused
        assert refused["value"]["status"] == 401, refused
        assert json.loads(refused["value"]["body"])["code"] == "unauthenticated"

        assert app_pids(tmp_path)  # what the restart below waits on is really watched
        # Chosen ChatKit stays ChatKit (automatic would fall back to the built-in view here).
        choose_chat_view(driver, "chatkit")
        open_chat_with_standin(driver)
        driver.type("textarea[name=composer]", PROMPT)
        driver.click("button[name=send]")

        expected = [{"role": "user", "text": PROMPT}, {"role": "assistant", "text": f"You said: {PROMPT}"}]
        wait_for(lambda: messages(driver) == expected, 30, "the echoed answer")
        thread = thread_id(driver)
        assert thread and thread.startswith("thr"), thread
        wait_for(lambda: remembered_thread(driver) == thread, 15, "the thread to be remembered")
        wait_for(lambda: driver.script(
            f"return document.querySelector('.standin-thread[data-thread-id=\"{thread}\"]')?.textContent"
        ) == PROMPT[:40], 15, "the thread titled in the history list")
        shot = xvfb.screenshot("chat")
        assert shot.exists()

        # A streamed answer stopped halfway: the stream ends in the core, which keeps the part.
        driver.type("textarea[name=composer]", SLOW_PROMPT)
        driver.click("button[name=send]")

        def partial_answer():
            shown = messages(driver)
            last = shown[-1] if shown else None
            if last and last["role"] == "assistant" and "word3" in last["text"]:
                return last["text"]
            return None

        wait_for(partial_answer, 30, "the slow answer to start streaming", interval=0.05)
        driver.click("button[name=stop]")
        time.sleep(1.5)  # long enough for the rest of the answer, had it not been stopped
        stopped = messages(driver)[-1]["text"]
        assert stopped.startswith("You said: [slow] word0"), stopped
        assert not stopped.endswith("word39"), stopped
    finally:
        driver.close()

    # A second launch while the first still runs would hand over to it and leave.
    wait_app_closed(tmp_path, xvfb.display)

    driver = WebDriver(env, app_binary(), tmp_path / "webdriver-2.log")
    try:
        wait_for(lambda: driver.script("return document.querySelector('nav.sidebar') !== null"), 60,
                 "the main view, onboarding already done")
        open_chat_with_standin(driver)
        wait_for(lambda: thread_id(driver) == thread, 30, "the remembered thread to reopen")
        reopened = wait_for(lambda: (m := messages(driver)) and len(m) == 4 and m, 30, "the thread's messages")
        assert reopened[:2] == expected
        assert reopened[2] == {"role": "user", "text": SLOW_PROMPT}
        assert reopened[3]["role"] == "assistant"
        assert reopened[3]["text"].startswith("You said: [slow] word0")
        assert not reopened[3]["text"].endswith("word39"), "the stopped answer was completed"
        assert driver.script(
            f"return document.querySelector('.standin-thread[data-thread-id=\"{thread}\"]') !== null"
        )
        subprocess.run(["import", "-display", xvfb.display, "-window", "root", str(ARTIFACTS / "chat-reopened.png")])
    finally:
        driver.close()
    subprocess.run(["secret-tool", "clear", "service", "dev.todoassistant.app", "username", "openai_api_key"], env=env)
