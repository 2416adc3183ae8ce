"""Drives `todo-assistant tasks --data-dir D <command>`: one fresh process per call.

    cli = Cli(data_dir, token="tok-alice")
    cli.connect(backend.url, "alice")
    task = cli.add("Milk", description="2%")      # the task, as printed
    cli.sync()                                     # {"state", "pushed", "pulled", ...}
    cli.list()                                     # {"tasks", "pending_changes", "conflicts"}
    cli.run("update", "nope", "--title", "x", ok=False)  # a Result whatever the exit code

The binary is $TODO_ASSISTANT_BIN or target/debug/todo-assistant. The sync token goes in
$TODO_ASSISTANT_BACKEND_TOKEN. DISPLAY and WAYLAND_DISPLAY are removed from the environment,
so a binary without the `tasks` command fails fast instead of opening a window.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from contextlib import closing
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("TODO_ASSISTANT_BIN") or REPO / "target" / "debug" / "todo-assistant")
TOKEN_ENV = "TODO_ASSISTANT_BACKEND_TOKEN"


def base_env(token: Optional[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", TOKEN_ENV)}
    env.setdefault("RUST_BACKTRACE", "1")
    if token is not None:
        env[TOKEN_ENV] = token
    return env


def binary_problem() -> Optional[str]:
    """None when `BIN tasks --data-dir <empty dir> list` answers JSON, else why not."""
    if not BIN.exists():
        return f"{BIN} does not exist (build it with `cargo build`, or set TODO_ASSISTANT_BIN)"
    with tempfile.TemporaryDirectory() as d:
        argv = [str(BIN), "tasks", "--data-dir", d, "list"]
        try:
            p = subprocess.run(argv, env=base_env(None), capture_output=True, text=True, timeout=20)
        except subprocess.TimeoutExpired:
            return f"`{' '.join(argv)}` did not finish in 20 s"
    if p.returncode != 0:
        return f"`{BIN} tasks --data-dir D list` exited {p.returncode}: {(p.stderr or p.stdout)[-600:]}"
    try:
        json.loads(p.stdout)["tasks"]
    except (ValueError, KeyError, TypeError):
        return f"`{BIN} tasks --data-dir D list` did not print {{\"tasks\": ...}}: {p.stdout[-600:]}"
    return None


class CliError(AssertionError):
    pass


@dataclass
class Result:
    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError as e:
            raise CliError(f"{self.describe()}\nstdout is not JSON: {e}") from None

    @property
    def error(self) -> dict[str, Any]:
        """The JSON error `{"code", "message"}`, from stderr or stdout."""
        for text in (self.stderr, self.stdout):
            for candidate in (text.strip(), *reversed(text.strip().splitlines())):
                try:
                    value = json.loads(candidate)
                except ValueError:
                    continue
                if isinstance(value, dict) and "code" in value:
                    return value
        raise CliError(f"{self.describe()}\nno JSON error {{code, message}} on stderr or stdout")

    def describe(self) -> str:
        return f"todo-assistant {' '.join(self.args)} -> exit {self.code}\nstdout: {self.stdout[-1500:]}\nstderr: {self.stderr[-1500:]}"


class Cli:
    def __init__(self, data_dir: Path, token: Optional[str] = None, timeout: float = 60) -> None:
        self.data_dir = Path(data_dir)
        self.token = token
        self.timeout = timeout

    def argv(self, *args: str) -> list[str]:
        return [str(BIN), "tasks", "--data-dir", str(self.data_dir), *args]

    def env(self, token: Optional[str] = ...) -> dict[str, str]:  # type: ignore[assignment]
        return base_env(self.token if token is ... else token)

    def run(self, *args: str, ok: Optional[bool] = True, token: Optional[str] = ...) -> Result:  # type: ignore[assignment]
        """Run one command. ok=True: must exit 0 (and print JSON); ok=False: must not; None: any."""
        try:
            p = subprocess.run(self.argv(*args), env=self.env(token), capture_output=True, text=True, timeout=self.timeout)
        except subprocess.TimeoutExpired as e:
            raise CliError(f"todo-assistant {' '.join(args)} did not finish in {self.timeout} s; stderr: {e.stderr!r:.1500}") from None
        r = Result(list(args), p.returncode, p.stdout, p.stderr)
        if ok is True and r.code != 0:
            raise CliError(f"expected exit 0:\n{r.describe()}")
        if ok is False and r.code == 0:
            raise CliError(f"expected a failure:\n{r.describe()}")
        return r

    def popen(self, *args: str, token: Optional[str] = ...) -> subprocess.Popen:  # type: ignore[assignment]
        return subprocess.Popen(self.argv(*args), env=self.env(token), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    # -- the commands ----------------------------------------------------------------------------

    def connect(self, backend_url: str, user_id: str) -> Any:
        return self.run("connect", "--backend", backend_url, "--user-id", user_id).json

    def list(self) -> dict[str, Any]:
        return self.run("list").json

    def tasks(self) -> list[dict[str, Any]]:
        return self.list()["tasks"]

    def task(self, task_id: str) -> Optional[dict[str, Any]]:
        return next((t for t in self.tasks() if t["id"] == task_id), None)

    def add(self, title: str, description: Optional[str] = None) -> dict[str, Any]:
        args = ["add", title] + ([] if description is None else ["--description", description])
        return self.run(*args).json

    def update(self, task_id: str, title: Optional[str] = None, description: Optional[str] = None) -> dict[str, Any]:
        args = ["update", task_id]
        if title is not None:
            args += ["--title", title]
        if description is not None:
            args += ["--description", description]
        return self.run(*args).json

    def complete(self, task_id: str) -> dict[str, Any]:
        return self.run("complete", task_id).json

    def reopen(self, task_id: str) -> dict[str, Any]:
        return self.run("reopen", task_id).json

    def delete(self, task_id: str) -> dict[str, Any]:
        return self.run("delete", task_id).json

    def sync(self, token: Optional[str] = ...) -> dict[str, Any]:  # type: ignore[assignment]
        """One sync; its outcome. A sync that did not complete must exit 1, so scripts can tell."""
        r = self.run("sync", ok=None, token=token)
        outcome = r.json
        expected = 0 if outcome.get("state") == "synced" else 1
        if r.code != expected:
            raise CliError(f"sync ended {outcome.get('state')!r} and must exit {expected}:\n{r.describe()}")
        return outcome


# -- comparing the two sides ---------------------------------------------------------------------


def norm_description(value: Optional[str]) -> Optional[str]:
    return value if value else None


def assert_synced(listing: dict[str, Any], server_tasks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The local list (`list` output) and the server's tasks agree field by field, nothing is
    pending, every task is "synced" with a distinct server_id. Returns {local id: server task}."""
    problems: list[str] = []
    if listing["pending_changes"] != 0:
        problems.append(f"pending_changes is {listing['pending_changes']}, not 0")
    by_server_id = {str(t["id"]): t for t in server_tasks}
    seen: dict[str, str] = {}
    pairs: dict[str, dict[str, Any]] = {}
    for local in listing["tasks"]:
        sid = local.get("server_id")
        if local.get("sync") != "synced":
            problems.append(f"local task {local['id']} ({local['title']!r}) has sync={local.get('sync')!r}")
        if sid is None:
            problems.append(f"local task {local['id']} ({local['title']!r}) has no server_id")
            continue
        if not isinstance(sid, str):
            problems.append(f"local task {local['id']}: server_id {sid!r} is not a string")
            sid = str(sid)
        if sid in seen:
            problems.append(f"local tasks {seen[sid]} and {local['id']} share server_id {sid}")
        seen[sid] = local["id"]
        remote = by_server_id.get(sid)
        if remote is None:
            problems.append(f"local task {local['id']} ({local['title']!r}) has server_id {sid}, which the server does not have")
            continue
        pairs[local["id"]] = remote
        for name, lv, rv in (
            ("title", local["title"], remote["title"]),
            ("description", norm_description(local.get("description")), norm_description(remote["description"])),
            ("completed", local["completed"], remote["completed"]),
        ):
            if lv != rv:
                problems.append(f"task {local['id']} / server {sid}: {name} is {lv!r} locally, {rv!r} on the server")
    for sid, remote in by_server_id.items():
        if sid not in seen:
            problems.append(f"the server's task {sid} ({remote['title']!r}) is not in the local list")
    if problems:
        raise AssertionError("local and server disagree:\n  " + "\n  ".join(problems))
    return pairs


def check_data_files(data_dir: Path) -> int:
    """Every *.json under the data dir parses, tasks.db passes SQLite's integrity check,
    and nothing was set aside as corrupt."""
    corrupt = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if ".corrupt-" in p.name)
    assert not corrupt, f"files set aside as corrupt: {corrupt}"
    count = 0
    for path in data_dir.rglob("*.json"):
        if path.is_file():
            try:
                json.loads(path.read_bytes())
            except ValueError as e:
                raise AssertionError(f"{path.relative_to(data_dir)} does not parse: {e}") from None
            count += 1
    db_path = data_dir / "tasks.db"
    if db_path.exists():
        with closing(sqlite3.connect(db_path, timeout=10)) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        assert verdict == "ok", f"tasks.db fails its integrity check: {verdict}"
        count += 1
    return count
