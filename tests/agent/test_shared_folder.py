"""One data folder, many processes at once: `serve` (the assistant's tools, driven by a fake
Responses API) and several `todo-assistant tasks` command lines add, complete and delete on
the same folder. Every acknowledged write is there at the end, each process sees the
others' writes without a restart, and "database is locked" never reaches anyone.
Then kill -9 in the middle of writes, many times: no acknowledged write is lost and the
database still opens and passes SQLite's integrity check."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from pathlib import Path

from fake_responses import calls, text

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("TODO_ASSISTANT_BIN") or REPO / "target" / "debug" / "todo-assistant")

CLI_WRITERS = 3
ADDS_PER_WRITER = 8
ASSISTANT_ROUNDS = 6


def tasks_argv(data_dir: Path, *args: str) -> list[str]:
    return [str(BIN), "tasks", "--data-dir", str(data_dir), *args]


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


def tasks_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(tasks_argv(data_dir, *args), capture_output=True, text=True, timeout=60, env=cli_env())


def listed(data_dir: Path) -> dict[str, dict]:
    p = tasks_cli(data_dir, "list")
    assert p.returncode == 0, p.stderr
    return {t["id"]: t for t in json.loads(p.stdout)["tasks"]}


def assert_database_sound(data_dir: Path) -> None:
    aside = [p.name for p in data_dir.iterdir() if ".corrupt-" in p.name]
    assert not aside, f"set aside as corrupt: {aside}"
    with closing(sqlite3.connect(data_dir / "tasks.db", timeout=10)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_serve_and_command_lines_writing_at_once_lose_nothing(launch, fake):
    agent = launch()
    data_dir = agent.serve.data_dir
    # Tasks for the command lines to complete and delete while everyone adds.
    seeded = []
    for n in range(6):
        p = tasks_cli(data_dir, "add", f"Seeded {n}")
        assert p.returncode == 0, p.stderr
        seeded.append(json.loads(p.stdout)["id"])
    to_complete, to_delete = seeded[:3], seeded[3:]

    failures: list[str] = []
    acknowledged: dict[str, str] = {}  # task id -> title, for every add reported done
    lock = threading.Lock()

    def writer(w: int) -> None:
        for n in range(ADDS_PER_WRITER):
            title = f"CLI {w}.{n}"
            p = tasks_cli(data_dir, "add", title)
            if p.returncode != 0:
                failures.append(f"add {title!r} exited {p.returncode}: {p.stdout} {p.stderr[-500:]}")
                continue
            with lock:
                acknowledged[json.loads(p.stdout)["id"]] = title
        for task_id in (to_complete if w == 0 else to_delete if w == 1 else []):
            p = tasks_cli(data_dir, "complete" if w == 0 else "delete", task_id)
            if p.returncode != 0:
                failures.append(f"{'complete' if w == 0 else 'delete'} {task_id} exited {p.returncode}: {p.stderr[-500:]}")

    for k in range(ASSISTANT_ROUNDS):
        fake.script(calls(("add_task", {"title": f"Assistant {k}", "description": None}, f"call_add{k}")), text("Added."))
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(CLI_WRITERS)]
    for t in threads:
        t.start()
    thread_id, turn = agent.create("Add a task: Assistant 0")
    turns = [turn]
    for k in range(1, ASSISTANT_ROUNDS):
        turns.append(agent.send(thread_id, f"Add a task: Assistant {k}"))
    for t in threads:
        t.join(120)
    assert not failures, "\n".join(failures)

    for k, turn in enumerate(turns):
        assert turn.errors() == [] and turn.app_errors() == [], (k, turn.errors(), turn.app_errors())
        out = turn.requests[-1].outputs()[f"call_add{k}"]
        assert out["status"] == "created", out
        acknowledged[out["task_id"]] = f"Assistant {k}"

    final = listed(data_dir)
    missing = {i: t for i, t in acknowledged.items() if i not in final}
    assert not missing, f"acknowledged adds missing at the end: {missing}"
    assert {final[i]["title"] for i in acknowledged} == set(acknowledged.values())
    assert len(acknowledged) == CLI_WRITERS * ADDS_PER_WRITER + ASSISTANT_ROUNDS
    assert all(final[i]["completed"] for i in to_complete)
    assert not set(to_delete) & set(final), "a deleted task came back"
    assert len(final) == len(acknowledged) + len(to_complete)

    # serve's tools see what the command lines wrote, without a restart.
    fake.script(calls(("list_tasks", {"status": "all"}, "call_list")), text("Here they are."))
    turn = agent.send(thread_id, "What's on my list?")
    seen = turn.requests[-1].outputs()["call_list"]
    assert {t["id"] for t in seen["tasks"]} == set(final)

    log = agent.serve.log_path.read_text("utf-8", errors="replace")
    assert "database is locked" not in log.lower()
    assert_database_sound(data_dir)


def test_kill_9_during_writes_loses_no_acknowledged_write(tmp_path):
    data_dir = tmp_path / "data"
    rng = random.Random(int(os.environ.get("WRITE_KILL_SEED") or random.SystemRandom().randrange(1 << 32)))
    acknowledged: set[str] = set()
    killed = 0
    for cycle in range(25):
        procs = [subprocess.Popen(tasks_argv(data_dir, "add", f"Cycle {cycle}.{n}"), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=cli_env()) for n in range(3)]
        time.sleep(rng.uniform(0.0, 0.04))
        victim = procs[rng.randrange(3)]
        if victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)
            killed += 1
        for p in procs:
            out, err = p.communicate(timeout=60)
            if p.returncode == 0:
                acknowledged.add(json.loads(out)["id"])
            else:
                assert p is victim and p.returncode == -signal.SIGKILL, f"exit {p.returncode}: {out} {err[-800:]}"
                assert "database is locked" not in err.lower()
        # A write after the kill always succeeds: nothing is left locked or half-written.
        final = listed(data_dir)
        lost = acknowledged - set(final)
        assert not lost, f"cycle {cycle}: acknowledged adds lost: {lost}"
    assert killed > 0, "no process was still running when the kill came"
    assert_database_sound(data_dir)
