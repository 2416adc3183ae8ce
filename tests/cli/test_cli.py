"""The command lines, as a script or a person uses them: `todo-assistant-cli` (headless, no
GTK or WebKit) and the app binary's subcommands. No display is set for any of them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "debug"
HEADLESS = TARGET / "todo-assistant-cli"
APP = TARGET / "todo-assistant"
VERSION = tomllib.loads((REPO / "Cargo.toml").read_text())["package"]["version"]

SUBCOMMANDS = {
    "serve": [],
    "tasks": ["list", "add", "update", "complete", "reopen", "delete", "connect", "sync"],
    "backend": ["sign-in", "paste-token", "token-status", "sign-out", "session-secret", "chatkit"],
    "hosted": ["save-key", "session", "cancel"],
    "models": [],
}


def no_display_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["HOME"] = str(tmp_path)
    return env


def run(binary: Path, *args: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(params=["headless", "app"])
def binary(request) -> Path:
    path = HEADLESS if request.param == "headless" else APP
    if not path.exists():
        pytest.fail(f"{path} is missing: build the workspace first (cargo build --workspace)", pytrace=False)
    return path


def test_the_headless_binary_links_no_gtk_or_webkit():
    if shutil.which("ldd") is None:
        pytest.skip("ldd is not available")
    libraries = subprocess.run(["ldd", str(HEADLESS)], capture_output=True, text=True, check=True).stdout
    linked = [line.split()[0] for line in libraries.splitlines() if line.strip()]
    assert linked, libraries
    assert not [lib for lib in linked if re.search(r"gtk|gdk|webkit|javascriptcore|soup", lib)], libraries
    # The app binary is the one that does link them: the check above can see a GUI library.
    app_libraries = subprocess.run(["ldd", str(APP)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"webkit2gtk", app_libraries), app_libraries


def test_version_comes_from_cargo_toml(binary, tmp_path):
    r = run(binary, "--version", env=no_display_env(tmp_path))
    assert r.returncode == 0, r
    assert r.stdout.strip() == f"{binary.name} {VERSION}", r.stdout


def test_help_at_every_level_without_a_display(binary, tmp_path):
    env = no_display_env(tmp_path)
    top = run(binary, "--help", env=env)
    assert top.returncode == 0 and "Usage:" in top.stdout, top
    for group, actions in SUBCOMMANDS.items():
        assert group in top.stdout, (group, top.stdout)
        group_help = run(binary, group, "--help", env=env)
        assert group_help.returncode == 0 and "Usage:" in group_help.stdout, (group, group_help)
        for action in actions:
            assert action in group_help.stdout, (group, action, group_help.stdout)
            r = run(binary, group, action, "--help", env=env)
            assert r.returncode == 0 and f"{group} {action}" in r.stdout, (group, action, r)
    # Nothing created a data folder or opened a window: help is only help.
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    "args",
    [["frobnicate"], ["tasks", "frobnicate"], ["tasks", "add"], ["tasks", "list", "--bogus"], ["serve", "--port", "99999"]],
    ids=" ".join,
)
def test_usage_errors_exit_2_with_usage_on_stderr_and_a_coded_error_on_stdout(binary, tmp_path, args):
    r = run(binary, *args, env=no_display_env(tmp_path))
    assert r.returncode == 2, r
    # clap shows the usage for a wrong shape, and points to --help for a wrong value.
    assert "Usage:" in r.stderr or (args[0] == "serve" and "--help" in r.stderr), r.stderr
    error = json.loads(r.stdout)
    assert error["code"] == "invalid_input" and error["message"], error
    assert "Usage:" not in error["message"], "the JSON error is one line, without the usage block"


def test_tasks_work_headless_and_a_failed_job_exits_non_zero(binary, tmp_path):
    env = no_display_env(tmp_path)
    data = str(tmp_path / "folder")
    added = run(binary, "tasks", "--data-dir", data, "add", "Walk the dog", "--description", "before dinner", env=env)
    assert added.returncode == 0, added
    task = json.loads(added.stdout)
    assert task["title"] == "Walk the dog" and task["description"] == "before dinner"
    listed = json.loads(run(binary, "tasks", "list", "--data-dir", data, env=env).stdout)
    assert [t["id"] for t in listed["tasks"]] == [task["id"]]
    # A missing id is input to correct: exit 2, coded.
    gone = run(binary, "tasks", "--data-dir", data, "complete", "task_nope", env=env)
    assert gone.returncode == 2 and json.loads(gone.stdout)["code"] == "not_found", gone
    # Sync against a backend that cannot be reached did not do its job: exit 1, state printed.
    connect = run(binary, "tasks", "--data-dir", data, "connect", "--backend", "http://127.0.0.1:9", "--user-id", "alice", env=env)
    assert connect.returncode == 0, connect
    env_with_token = {**env, "TODO_ASSISTANT_BACKEND_TOKEN": "tok", "TODO_ASSISTANT_RETRY_BASE_MS": "1"}
    sync = run(binary, "tasks", "--data-dir", data, "sync", env=env_with_token, timeout=120)
    assert sync.returncode == 1, sync
    assert json.loads(sync.stdout)["state"] == "offline", sync.stdout


def test_the_app_without_a_subcommand_and_without_a_display_says_so(tmp_path):
    r = run(APP, env=no_display_env(tmp_path))
    assert r.returncode == 2, r
    assert "no display" in r.stderr and "serve" in r.stderr, r.stderr


def test_the_app_hands_its_command_line_to_the_cli_beside_it(tmp_path):
    """The app binary carries no headless code: it execs todo-assistant-cli from its own folder
    (the same process, so a signal or kill -9 reaches the server), or says what is missing."""
    env = no_display_env(tmp_path)
    served = subprocess.Popen([str(APP), "serve", "--port", "0", "--data-dir", str(tmp_path / "d")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready = json.loads(served.stdout.readline())
        assert ready["chatkit_url"].startswith("http://127.0.0.1:"), ready
        if Path(f"/proc/{served.pid}/exe").exists():
            assert Path(f"/proc/{served.pid}/exe").resolve() == HEADLESS.resolve()
    finally:
        served.kill()
        served.wait(10)

    alone = tmp_path / "bin" / APP.name
    alone.parent.mkdir()
    shutil.copy2(APP, alone)
    missing = run(alone, "tasks", "list", "--data-dir", str(tmp_path / "d"), env=env)
    assert missing.returncode == 1, missing
    error = json.loads(missing.stdout)
    assert error["code"] == "not_supported" and "todo-assistant-cli" in error["message"], error
    shutil.copy2(HEADLESS, alone.parent / HEADLESS.name)
    present = run(alone, "tasks", "list", "--data-dir", str(tmp_path / "d"), env=env)
    assert present.returncode == 0 and json.loads(present.stdout)["tasks"] == [], present
