"""Runs the real app binary under Xvfb, with its own data folders, for desktop tests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_TITLE = "Todo Assistant"
APP_IDENTIFIER = "dev.todoassistant.app"
ARTIFACTS = ROOT / "target" / "test-artifacts"


def app_binary() -> Path:
    binary = Path(os.environ.get("TODO_ASSISTANT_BIN", ROOT / "target" / "debug" / "todo-assistant"))
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: build it with `cargo build --features tauri/custom-protocol`")
    return binary


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Xvfb:
    """A private X display; stops with the test session."""

    def __init__(self, background: str | None = None) -> None:
        for number in range(90, 140):
            if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
                break
        self.display = f":{number}"
        self.process = subprocess.Popen(
            ["Xvfb", self.display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
            # A plain black root (instead of X's stipple) for benchmarks that read the screen.
            + (["-br"] if background == "black" else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), 15, "Xvfb to start")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        subprocess.run(["import", "-display", self.display, "-window", "root", str(path)], check=True)
        return path

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def unique_colors(png: Path) -> int:
    out = subprocess.run(["identify", "-format", "%k", str(png)], check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def app_environment(home: Path, display: str) -> dict[str, str]:
    """A fresh profile: settings, data and logs go under `home`, never the user's own."""
    # The developer's own model settings must not leak into a test's app.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(
        DISPLAY=display,
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        WEBKIT_DISABLE_COMPOSITING_MODE="1",
        NO_AT_BRIDGE="1",
        RUST_LOG="info",
        # The update check at start must not reach the real release feed from a test; a
        # closed loopback port fails at once, quietly (tests/desktop/test_updates.py serves one).
        TODO_ASSISTANT_TEST_UPDATE_ENDPOINT="http://127.0.0.1:9/latest.json",
    )
    return env


def app_data_dir(home: Path) -> Path:
    return home / "data" / APP_IDENTIFIER


def write_settings(home: Path, **fields) -> Path:
    """The app's settings.json as an earlier session left it: connected to OpenAI, plus `fields`."""
    data = app_data_dir(home)
    data.mkdir(parents=True, exist_ok=True)
    settings = {
        "schema_version": 1,
        "connection": {"kind": "local", "base_url": None, "model": "gpt-5-mini"},
        "chatkit_domain_key": "domain_pk_localhost_dev",
    }
    (data / "settings.json").write_text(json.dumps(settings | fields))
    return data


class WebDriver:
    """The few W3C WebDriver calls the tests need, against Debian's WebKitWebDriver."""

    def __init__(self, env: dict[str, str], binary: Path, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        driver_env = dict(env, TAURI_WEBVIEW_AUTOMATION="true")
        self.process = subprocess.Popen(
            ["WebKitWebDriver", f"--port={self.port}"], env=driver_env, stdout=self._log, stderr=self._log
        )
        wait_for(self._ready, 20, "WebKitWebDriver")
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {"binary": str(binary), "args": []}}}}
        self.session = self.request("POST", "/session", caps)["sessionId"]

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/status", timeout=1):
                return True
        except (urllib.error.URLError, ConnectionError):
            return False

    def request(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        req = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"WebDriver {method} {path}: {e.code} {e.read()[:400]!r}") from None

    def s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def script(self, source: str, *args):
        return self.request("POST", self.s("/execute/sync"), {"script": source, "args": list(args)})

    def call(self, expression: str):
        """Awaits a promise in the page and returns {ok, value|error}."""
        source = (
            "const done = arguments[arguments.length - 1];"
            f"Promise.resolve().then(() => {expression})"
            ".then(v => done({ok: true, value: v}), e => done({ok: false, error: e}));"
        )
        return self.request("POST", self.s("/execute/async"), {"script": source, "args": []})

    def find(self, css: str) -> str:
        found = self.request("POST", self.s("/element"), {"using": "css selector", "value": css})
        return next(iter(found.values()))

    def wait_find(self, css: str, timeout: float = 30) -> str:
        def attempt():
            try:
                return self.find(css)
            except RuntimeError:
                return None

        return wait_for(attempt, timeout, f"element {css}")

    def click(self, css: str) -> None:
        self.request("POST", self.s(f"/element/{self.wait_find(css)}/click"), {})

    def pick(self, select_css: str, value: str) -> None:
        """Clicks the option of a <select> whose value is `value`: the property, which is what
        the select submits (an option whose text is its value may carry no value attribute)."""
        def option():
            return self.script(
                "return [...document.querySelectorAll(arguments[0] + ' option')]"
                ".find((o) => o.value === arguments[1]) ?? null", select_css, value)

        found = wait_for(option, 30, f"option {value} in {select_css}")
        self.request("POST", self.s(f"/element/{next(iter(found.values()))}/click"), {})

    def hover(self, css: str) -> None:
        """Moves the pointer onto the element, as a person does: WebKit fires the events."""
        element = {"element-6066-11e4-a52e-4f735466cecf": self.wait_find(css)}
        move = {"type": "pointerMove", "duration": 0, "origin": element, "x": 0, "y": 0}
        pointer = {"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [move]}
        self.request("POST", self.s("/actions"), {"actions": [pointer]})

    def type(self, css: str, text: str) -> None:
        self.request("POST", self.s(f"/element/{self.wait_find(css)}/value"), {"text": text})

    def text(self) -> str:
        return self.script("return document.body.innerText")

    def close(self) -> None:
        try:
            self.request("DELETE", self.s(""))
        except Exception:
            pass
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def have(*tools: str) -> bool:
    return all(shutil.which(t) for t in tools)


def complete_local_onboarding(driver: WebDriver, key: str) -> None:
    """Onboards the way a person does: the Local connection, an API key, Continue."""
    wait_for(lambda: "Welcome to Todo Assistant" in driver.text(), 60, "the onboarding screen")
    driver.type("input[type=password]", key)
    driver.click("button[type=submit]")
    wait_for(lambda: driver.script("return document.querySelector('nav.sidebar') !== null"), 30,
             "the main view after onboarding")


def choose(driver: WebDriver, radio: str, what: str) -> None:
    """Clicks the radio button `radio` until it is checked. Settings may still be laying out
    (the keychain's answer adds a banner above): a click that met a moving page is made
    again, as a person would."""

    def chosen() -> bool:
        if driver.script(f"return document.querySelector('{radio}')?.checked === true"):
            return True
        driver.click(radio)
        return False

    wait_for(chosen, 10, what, interval=0.5)


def choose_chat_view(driver: WebDriver, choice: str) -> None:
    """Settings → Chat view, as a person picks it ("auto", "chatkit" or "builtin"), then back to chat."""
    driver.click("nav.sidebar button[data-view=settings]")
    choose(driver, f"input[name=chat-view][value={choice}]", f"the {choice} chat view to be chosen")
    driver.click("nav.sidebar button[data-view=chat]")


def app_pids(home: Path) -> list[int]:
    """The app processes started with this test's profile (found in /proc by XDG_DATA_HOME)."""
    marker = f"XDG_DATA_HOME={home / 'data'}".encode()
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "todo-assistant":
                if marker in (proc / "environ").read_bytes().split(b"\0"):
                    pids.append(int(proc.name))
        except OSError:  # it exited while we looked, or is not ours to read
            continue
    return pids


def descendants(root_pid: int) -> list[int]:
    """The process and everything it started (WebKit's helpers), from /proc."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces or parentheses; the ppid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(proc.name))
    found, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


@contextmanager
def top_window(display: str, title: str = APP_TITLE, viewable: bool = False):
    """The first window with this title on the display (None when there is none), while the
    X connection that found it stays open."""
    from Xlib import X, display as xdisplay

    dpy = xdisplay.Display(display)
    try:
        found = None
        pending = [dpy.screen().root]
        while pending and found is None:
            window = pending.pop()
            try:
                if window.get_wm_name() == title and (
                        not viewable or window.get_attributes().map_state == X.IsViewable):
                    found = window
                else:
                    pending.extend(window.query_tree().children)
            except Exception:  # a window may vanish while we walk the tree
                continue
        yield dpy, found
    finally:
        dpy.close()


def close_app_window(display: str) -> bool:
    """Closes the app's window the way a window manager does (WM_DELETE_WINDOW)."""
    from Xlib import X, protocol

    with top_window(display) as (dpy, window):
        if window is None:
            return False
        protocols = dpy.intern_atom("WM_PROTOCOLS")
        delete = dpy.intern_atom("WM_DELETE_WINDOW")
        event = protocol.event.ClientMessage(
            window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        window.send_event(event, event_mask=X.NoEventMask)
        dpy.flush()
        return True


def wait_app_closed(home: Path, display: str, timeout: float = 60) -> None:
    """After WebDriver ends its session the app should be gone. WebKitWebDriver does not
    always close a Tauri window when it deletes the session, so if the app is still there
    its window is closed as a person closes it; either way the app must then exit by itself
    (the next launch would otherwise hand over to it)."""
    try:
        wait_for(lambda: not app_pids(home), 10, "the app to exit after the WebDriver session")
        return
    except TimeoutError:
        pass
    assert close_app_window(display), "the app is running but has no window to close"
    wait_for(lambda: not app_pids(home), timeout, "the app to exit after its window was closed")
