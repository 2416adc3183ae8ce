"""Sync under random edits, random backend failures and kill -9.

- A property test (hypothesis): any sequence of local edits (add / update / complete / reopen /
  delete on random tasks), interleaved with syncs while the backend fails random requests with
  500 or goes offline part-way through, ends, once the backend is healthy and one more sync
  ran, with the server holding exactly the local state, which is exactly what the edits made;
  a further sync writes nothing. No other device edits here, so no sync may report a conflict.
  SYNC_PROPERTY_EXAMPLES (default 25) sets the example count; SYNC_PROPERTY_SHRINK=1 turns
  shrinking on (off by default: every example runs processes, so shrinking takes minutes).
- A crash loop: `sync` against a slow backend (50-200 ms a request, half before the change is
  applied, half after) with many queued ops, SIGKILLed at random moments, over and over, with
  another edit queued before each round; every data file parses after each kill and local
  state is what the edits made; then a clean sync: no duplicates, nothing lost, local ==
  server. SYNC_KILL_ROUNDS (kills, default 15) and SYNC_KILL_SEED change the run.
"""

from __future__ import annotations

import os
import random
import signal
import string
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from cli import Cli, assert_synced, check_data_files, norm_description
from fake_backend import FakeBackend, Fault

EXAMPLES = int(os.environ.get("SYNC_PROPERTY_EXAMPLES", "25"))
PHASES = tuple(Phase) if os.environ.get("SYNC_PROPERTY_SHRINK") == "1" else (Phase.explicit, Phase.reuse, Phase.generate)


# -- a model of the local state: what the edits made ---------------------------------------------


class Model:
    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}  # local id -> {title, description, completed}
        self.counter = 0

    def title(self, word: str) -> str:
        self.counter += 1
        return f"{word} {self.counter}"  # unique, so the server's copies can be counted by title

    def pick(self, index: int) -> Optional[str]:
        ids = sorted(self.tasks)
        return ids[index % len(ids)] if ids else None

    def check_local(self, listing: dict[str, Any]) -> None:
        local = {t["id"]: {"title": t["title"], "description": norm_description(t.get("description")), "completed": t["completed"]} for t in listing["tasks"]}
        assert local == self.tasks, f"local state is not what the edits made:\n local: {local}\n model: {self.tasks}"

    def check_server(self, server: list[dict[str, Any]]) -> None:
        titles = [t["title"] for t in server]
        dupes = sorted({t for t in titles if titles.count(t) > 1})
        assert not dupes, f"duplicated on the server: {dupes}"
        got = sorted((t["title"], norm_description(t["description"]), t["completed"]) for t in server)
        want = sorted((t["title"], t["description"], t["completed"]) for t in self.tasks.values())
        assert got == want, f"the server does not hold what the edits made:\n server: {got}\n model:  {want}"


def apply_edit(cli: Cli, model: Model, op: tuple) -> None:
    kind = op[0]
    if kind == "add":
        _, word, description = op
        title = model.title(word)
        task = cli.add(title, description=description)
        model.tasks[task["id"]] = {"title": title, "description": norm_description(description), "completed": False}
        return
    task_id = model.pick(op[1])
    if task_id is None:
        return
    if kind == "update":
        _, _, word, description = op
        title = model.title(word) if word is not None else None
        if title is None and description is None:
            title = model.title("renamed")
        cli.update(task_id, title=title, description=description)
        if title is not None:
            model.tasks[task_id]["title"] = title
        if description is not None:
            model.tasks[task_id]["description"] = norm_description(description)
    elif kind == "complete":
        cli.complete(task_id)
        model.tasks[task_id]["completed"] = True
    elif kind == "reopen":
        cli.reopen(task_id)
        model.tasks[task_id]["completed"] = False
    elif kind == "delete":
        cli.delete(task_id)
        del model.tasks[task_id]
    else:
        raise AssertionError(op)


# -- the property test -----------------------------------------------------------------------------

words = st.text(alphabet=string.ascii_letters + "äéßжя", min_size=1, max_size=10)
descriptions = st.one_of(
    st.none(),
    st.lists(st.text(alphabet=string.ascii_letters + string.digits + "ü!?", min_size=1, max_size=8), min_size=1, max_size=4).map(" ".join),
)
index = st.integers(min_value=0, max_value=1000)
edits = st.one_of(
    st.tuples(st.just("add"), words, descriptions),
    st.tuples(st.just("update"), index, st.one_of(st.none(), words), descriptions),
    st.tuples(st.just("complete"), index),
    st.tuples(st.just("reopen"), index),
    st.tuples(st.just("delete"), index),
)
# How the backend behaves during one sync: healthy; each request fails with 500 with some
# probability; goes offline after n requests (and comes back after that sync); or is down.
failures = st.one_of(
    st.just(("healthy",)),
    st.tuples(st.just("500"), st.sampled_from([0.2, 0.4, 0.7])),
    st.tuples(st.just("offline_after"), st.integers(min_value=0, max_value=8)),
    st.just(("down",)),
)
steps = st.lists(st.one_of(edits, edits, edits, st.tuples(st.just("sync"), failures)), min_size=1, max_size=8)


def faulty_sync(cli: Cli, backend: FakeBackend, model: Model, failure: tuple, rng: random.Random) -> None:
    kind = failure[0]
    count = {"n": 0}
    if kind == "500":
        backend.fault = lambda req: Fault.ERROR_500 if rng.random() < failure[1] else None
    elif kind == "offline_after":

        def fault(req: Any) -> Optional[Fault]:
            count["n"] += 1
            return Fault.OFFLINE if count["n"] > failure[1] else None

        backend.fault = fault
    elif kind == "down":
        backend.go_offline()
    try:
        result = cli.sync()
    finally:
        backend.fault = None
        backend.go_online()
    note(f"sync with the backend {failure}: {result}")
    assert result["state"] in ("synced", "offline", "error"), result
    assert result["conflicts"] == [], f"no other device edited anything, yet: {result['conflicts']}"
    if kind == "healthy":
        assert result["state"] == "synced", result
    if kind == "down":
        assert result["state"] == "offline" and result["pushed"] == 0, result
    listing = cli.list()
    assert listing["pending_changes"] == result["pending_changes"], (listing["pending_changes"], result)
    model.check_local(listing)
    if result["state"] == "synced":
        assert_synced(listing, backend.tasks_of("alice"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=steps, final=st.lists(failures, min_size=1, max_size=4), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_edits_and_failures_end_with_the_server_equal_to_local(binary, steps, final, seed):
    # The backend's threads decide which requests fail: a plain Random, seeded by hypothesis
    # (hypothesis's own random may not be drawn from other threads).
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp, FakeBackend() as backend:
        cli = Cli(Path(tmp) / "data", token="tok-alice")
        cli.connect(backend.url, "alice")
        model = Model()
        for step in steps:
            note(f"step {step}")
            if step[0] == "sync":
                faulty_sync(cli, backend, model, step[1], rng)
            else:
                apply_edit(cli, model, step)
        for failure in final:
            faulty_sync(cli, backend, model, failure, rng)

        result = cli.sync()  # healthy now
        note(f"final sync: {result}")
        assert result["state"] == "synced" and result["pending_changes"] == 0, result
        listing = cli.list()
        model.check_local(listing)
        assert_synced(listing, backend.tasks_of("alice"))
        model.check_server(backend.tasks_of("alice"))
        check_data_files(cli.data_dir)

        mark = backend.mark()
        again = cli.sync()
        assert again["state"] == "synced" and again["pushed"] == 0, again
        assert backend.writes(mark) == [], f"syncing again wrote to the server: {backend.writes(mark)}"
        model.check_server(backend.tasks_of("alice"))
        assert not backend.problems, backend.problems


# -- kill -9 during sync -------------------------------------------------------------------------------

KILLS = int(os.environ.get("SYNC_KILL_ROUNDS", "15"))


def test_sigkill_during_sync_loses_nothing_and_duplicates_nothing(cli, backend):
    seed = int(os.environ.get("SYNC_KILL_SEED") or random.SystemRandom().randrange(1 << 32))
    rng = random.Random(seed)
    print(f"SYNC_KILL_SEED={seed}")
    cli.connect(backend.url, "alice")
    model = Model()

    def edit(kind: str) -> None:
        ids = sorted(model.tasks)
        if kind == "add" or not ids:
            apply_edit(cli, model, ("add", rng.choice(["Milk", "Bread", "Call", "Write", "Fix"]), rng.choice([None, "some notes"])))
        elif kind == "update":
            apply_edit(cli, model, ("update", rng.randrange(1000), rng.choice(["Renamed", "Moved", None]), rng.choice([None, "changed notes", ""])))
        elif kind == "toggle":
            task_id = rng.choice(ids)
            op = "reopen" if model.tasks[task_id]["completed"] else "complete"
            apply_edit(cli, model, (op, ids.index(task_id)))
        else:
            apply_edit(cli, model, ("delete", rng.randrange(1000)))

    for _ in range(8):
        edit("add")
    edit("toggle")
    first = cli.sync()
    assert first["state"] == "synced", first

    # Many queued ops, each on a task of its own so none coalesce: creates, then updates,
    # completions and reopenings (PATCH toggles), deletes of synced tasks.
    synced = sorted(model.tasks)
    rng.shuffle(synced)
    for _ in range(6):
        edit("add")
    for i, task_id in enumerate(synced):
        index = sorted(model.tasks).index(task_id)
        if i < 3:
            apply_edit(cli, model, ("update", index, rng.choice(["Renamed", "Moved", None]), rng.choice([None, "changed notes", ""])))
        elif i < 6:
            apply_edit(cli, model, ("reopen" if model.tasks[task_id]["completed"] else "complete", index))
        else:
            apply_edit(cli, model, ("delete", index))
    queued = cli.list()["pending_changes"]
    assert queued == 6 + len(synced), queued

    backend.delay = (0.05, 0.2)
    killed = rounds = 0
    while killed < KILLS:
        rounds += 1
        assert rounds <= 2 * KILLS, f"only {killed} of {rounds - 1} syncs were still running when the kill came"
        if rounds > 1:
            edit(rng.choice(["add", "update", "toggle", "toggle", "delete"]))  # keep the outbox busy
        proc = cli.popen("sync")
        time.sleep(rng.uniform(0.02, 0.6))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        out, err = proc.communicate(timeout=30)
        assert proc.returncode in (0, -signal.SIGKILL), f"round {rounds}: sync exited {proc.returncode}: {err[-1500:]}"
        backend.wait_idle()  # what the killed client had sent finishes on the server first
        check_data_files(cli.data_dir)
        model.check_local(cli.list())

    backend.delay = 0
    result = cli.sync()
    assert result["state"] == "synced" and result["pending_changes"] == 0, result
    assert result["conflicts"] == [], result
    listing = cli.list()
    model.check_local(listing)
    model.check_server(backend.tasks_of("alice"))
    assert_synced(listing, backend.tasks_of("alice"))
    mark = backend.mark()
    again = cli.sync()
    assert again["state"] == "synced" and backend.writes(mark) == [], (again, backend.writes(mark))
