"""The Tasks view in the real app: a few hundred tasks added through the core's commands
show in a virtualized list (the DOM holds only the rows in view), the keyboard toggles a
task and the change reaches the store, and Delete can be undone."""

import json
import subprocess

from harness import APP_IDENTIFIER, WebDriver, app_binary, app_environment, complete_local_onboarding, wait_for, write_settings

KEY = "sk-test-TasksView-3mQ8"
COUNT = 300

VERBS = ["Buy", "Call", "Email", "Fix", "Plan", "Book", "Review", "Clean", "Pay", "Write", "Renew", "Order"]
THINGS = ["groceries", "the plumber", "Anna about the trip", "the bike's brakes", "the garden party",
          "a dentist appointment", "the quarterly report", "the garage", "the electricity bill",
          "thank-you notes", "the passport", "printer ink", "the team offsite", "birthday present for Sam"]
NOTES = [None, "Before Friday", "Ask about the discount code", None, "Check the receipt folder first",
         None, "Two of them, the blue ones", None]

ARROW_DOWN = "\ue015"
DELETE = "\ue017"
ENTER = "\ue007"
ESCAPE = "\ue00c"


def task_fields(n: int) -> tuple[str, str | None]:
    title = f"{VERBS[n % len(VERBS)]} {THINGS[(n * 5) % len(THINGS)]}"
    return (title if n % 7 else f"{title} ({n})"), NOTES[n % len(NOTES)]


def invoke(driver, command: str, args: dict):
    answer = driver.call(f"window.__TAURI_INTERNALS__.invoke({json.dumps(command)}, {json.dumps(args)})")
    assert answer["ok"], answer
    return answer["value"]


def press(driver, *keys: str) -> None:
    """Key presses sent to whatever has focus, as a person types them."""
    actions = []
    for key in keys:
        actions += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
    driver.request("POST", driver.s("/actions"), {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})
    driver.request("DELETE", driver.s("/actions"))


def rows_in_dom(driver) -> int:
    return driver.script("return document.querySelectorAll('.task-grid [role=row]').length")


def selected_task_id(driver) -> str | None:
    row_id = driver.script("return document.querySelector('.task-grid')?.getAttribute('aria-activedescendant')")
    return row_id.removeprefix("task-row-") if row_id else None


def test_tasks_view_virtualizes_and_works_from_the_keyboard(xvfb, tmp_path):
    env = app_environment(tmp_path, xvfb.display)
    driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
    try:
        complete_local_onboarding(driver, KEY)

        for n in range(COUNT):
            title, description = task_fields(n)
            task = invoke(driver, "task_add", {"title": title, "description": description})
            if n % 4 == 0:
                invoke(driver, "task_set_completed", {"id": task["id"], "completed": True})
        tasks = invoke(driver, "tasks_list", {})
        assert len(tasks) == COUNT

        driver.click("nav.sidebar button[data-view=tasks]")
        wait_for(lambda: rows_in_dom(driver) > 0, 30, "task rows")
        assert driver.script("return document.querySelector('.task-grid').getAttribute('aria-rowcount')") == str(COUNT)
        mounted = rows_in_dom(driver)
        assert 5 < mounted < 60, f"{mounted} rows in the DOM for {COUNT} tasks: the list is not virtualized"
        assert f"All {COUNT}" in driver.text()
        assert "Pending 225" in driver.text() and "Completed 75" in driver.text()
        assert driver.script(
            "return document.querySelector('nav.sidebar [data-view=tasks]').getAttribute('aria-label')"
        ) == "Tasks (225 pending)"

        # Click the second row to focus the list, then move down and toggle it with Space.
        driver.click(".task-grid [role=row]:nth-child(2) .task-title")
        press(driver, ARROW_DOWN)
        target = selected_task_id(driver)
        assert target, "no row is selected"
        before = next(t for t in tasks if t["id"] == target)
        assert driver.script("return document.activeElement?.classList.contains('task-grid')")
        press(driver, " ")

        def toggled():
            now = next(t for t in invoke(driver, "tasks_list", {}) if t["id"] == target)
            return now["completed"] != before["completed"]

        wait_for(toggled, 15, "the toggle to reach the store")
        checked = driver.script(
            f"return document.querySelector('#task-row-{target} input[type=checkbox]').checked"
        )
        assert checked == (not before["completed"])

        # Enter edits in place, Escape leaves it as it was.
        press(driver, ENTER)
        driver.wait_find(".task-row.editing input.edit-title", 10)
        assert driver.script("return document.activeElement?.classList.contains('edit-title')")
        xvfb.screenshot("tasks-editing")
        press(driver, ESCAPE)
        wait_for(lambda: driver.script("return document.querySelector('.task-row.editing') === null"), 10,
                 "the editor to close")

        # Delete from the keyboard, then Undo from the toast: the same task comes back.
        press(driver, DELETE)
        wait_for(lambda: "Deleted “" in driver.text(), 15, "the undo toast")
        assert len(invoke(driver, "tasks_list", {})) == COUNT - 1
        xvfb.screenshot("tasks-undo")
        driver.click(".toast .toast-action")
        wait_for(lambda: any(t["id"] == target for t in invoke(driver, "tasks_list", {})), 15, "the restore")
        assert len(invoke(driver, "tasks_list", {})) == COUNT

        # A change from elsewhere (the assistant's tools go through the same store) shows live.
        invoke(driver, "run_task_tool", {"name": "add_task",
                                         "params": {"title": "Added by the assistant", "description": None}})
        wait_for(lambda: "Added by the assistant" in driver.text(), 15, "the live update")

        # Undo hands the keyboard back to the list.
        press(driver, ARROW_DOWN, ARROW_DOWN)
        assert selected_task_id(driver) != target
        shot = xvfb.screenshot("tasks")
        assert shot.exists()

        # Scrolled to the bottom, the DOM still holds only a window of rows.
        driver.script("const g = document.querySelector('.task-grid'); g.scrollTop = g.scrollHeight;")
        wait_for(lambda: driver.script(
            "return [...document.querySelectorAll('.task-grid [role=row]')]"
            f".some(r => r.getAttribute('aria-rowindex') === '{COUNT + 1}')"
        ), 10, "the last row after scrolling")
        assert rows_in_dom(driver) < 60

        # Offline (simulated: the test machine's network state is not ours to change), chat
        # says calmly what is going on, and Tasks keep working.
        driver.script(
            "Object.defineProperty(Navigator.prototype, 'onLine', {configurable: true, get: () => false});"
            "window.dispatchEvent(new Event('offline'));"
        )
        driver.click("nav.sidebar button[data-view=chat]")
        # ChatKit loads from the internet, so the built-in chat takes over and says why.
        wait_for(lambda: driver.script("return document.querySelector('[data-code=chatkit_offline]') !== null"), 30,
                 "the built-in chat's offline notice")
        assert "You're offline, and ChatKit loads from the internet" in driver.text()
        assert "Offline" in driver.script("return document.querySelector('.net-status').textContent")
        assert driver.script("return document.querySelector('.builtin-chat textarea') !== null")
        xvfb.screenshot("chat-offline")
        driver.click("nav.sidebar button[data-view=tasks]")
        wait_for(lambda: rows_in_dom(driver) > 0, 15, "the Tasks view, offline")
        driver.type("input.add-input", "Written offline" + ENTER)
        wait_for(lambda: any(t["title"] == "Written offline" for t in invoke(driver, "tasks_list", {})), 15,
                 "a task added offline")
    finally:
        driver.close()
    subprocess.run(["secret-tool", "clear", "service", APP_IDENTIFIER, "username", "openai_api_key"], env=env)


def test_the_start_has_no_pop_ins_the_badge_is_there_and_a_short_wait_shows_no_spinner(xvfb, tmp_path):
    """The window is created with the pending count in the page, so the Tasks badge does not
    pop in once the list arrives; and the chat's "Loading chat…" wait shows only once it has
    lasted half a second, so a quick start flashes no spinner (each such late repaint would
    also take another block of X shared memory)."""
    env = app_environment(tmp_path, xvfb.display)
    data = write_settings(tmp_path)

    def cli(*args: str) -> dict:
        done = subprocess.run([str(app_binary()), "tasks", "--data-dir", str(data), *args], env=env,
                              check=True, capture_output=True, text=True)
        return json.loads(done.stdout)

    added = [cli("add", title) for title in ("Buy milk", "Call Anna", "Pay rent", "Book flights")]
    cli("complete", added[1]["id"])
    driver = WebDriver(env, app_binary(), tmp_path / "webdriver.log")
    try:
        wait_for(lambda: driver.script("return document.querySelector('nav.sidebar') !== null"), 60, "the main view")
        assert driver.script("return window.__TODO_ASSISTANT_START_PENDING_TASKS__") == 3
        wait_for(lambda: driver.script(
            "return document.querySelector('nav.sidebar button[data-view=tasks] .nav-badge')?.textContent") == "3",
            30, "the Tasks badge")

        # The wait the chat pane shows while its view loads, as ChatPane renders it.
        driver.script("""
            const wait = document.createElement('section');
            wait.className = 'pane center slow-wait';
            wait.id = 'probe-wait';
            wait.innerHTML = '<div class="spinner"></div><p>Loading chat…</p>';
            document.body.append(wait);
            window.__probeStarted = performance.now();
        """)
        early = driver.script("""
            const spinner = document.querySelector('#probe-wait .spinner');
            return [getComputedStyle(spinner).visibility, performance.now() - window.__probeStarted];
        """)
        if early[1] < 400:  # WebDriver answered well inside the half second
            assert early[0] == "hidden", early
        wait_for(lambda: driver.script(
            "return getComputedStyle(document.querySelector('#probe-wait .spinner')).visibility") == "visible",
            10, "the spinner of a long wait")
    finally:
        driver.close()
