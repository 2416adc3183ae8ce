"""The sync engine through `todo-assistant tasks`, against the fake backend (fake_backend.py).

Every CLI call is a fresh process, so each test also checks that what one call queued is on
disk for the next ("restart" is just the next call).
"""

from __future__ import annotations

import os
import signal
import threading
from datetime import datetime
from typing import Any, Callable

import pytest

from cli import Cli, assert_synced, check_data_files, norm_description
from fake_backend import FakeBackend, Fault, Recorded

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def by_title(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for t in listing["tasks"]:
        assert t["title"] not in out, f"two local tasks titled {t['title']!r}: {listing['tasks']}"
        out[t["title"]] = t
    return out


def server_by_title(backend: FakeBackend, user: str = "alice") -> dict[str, dict[str, Any]]:
    out = {}
    for t in backend.tasks_of(user):
        assert t["title"] not in out, f"the server has two tasks titled {t['title']!r}: {backend.tasks_of(user)}"
        out[t["title"]] = t
    return out


def synced_ok(cli: Cli, backend: FakeBackend, user: str = "alice") -> dict[str, Any]:
    """Sync once; it must succeed and leave local == server."""
    result = cli.sync()
    assert result["state"] == "synced", result
    assert result["pending_changes"] == 0, result
    assert result["message"] is None or isinstance(result["message"], str)
    assert_synced(cli.list(), backend.tasks_of(user))
    return result


def touching(requests: list[Recorded], server_id: str) -> list[Recorded]:
    return [r for r in requests if r.task_id is not None and str(r.task_id) == server_id]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- local only, and the CLI's own answers ---------------------------------------------------------


def test_tasks_before_connect_stay_local(cli, backend):
    task = cli.add("Local only", description="never sent")
    assert task["id"].startswith("task_")
    assert task["title"] == "Local only" and task["description"] == "never sent" and task["completed"] is False
    cli.complete(task["id"])
    listing = cli.list()
    assert listing["pending_changes"] == 0, "nothing is queued before `connect`"
    (local,) = listing["tasks"]
    assert local["id"] == task["id"]
    assert local["sync"] == "local" and local["server_id"] is None and local["completed"] is True
    assert listing["conflicts"] == []
    assert backend.requests() == [], "nothing may reach a backend before `connect`"


def test_add_then_list_shows_a_pending_task_with_a_local_id(alice, backend):
    mark = backend.mark()
    task = alice.add("Milk", description="2%")
    assert task["id"].startswith("task_") and task["title"] == "Milk" and task["description"] == "2%"
    parse_time(task["created_at"]), parse_time(task["updated_at"])
    listing = alice.list()
    (local,) = listing["tasks"]
    assert local["id"] == task["id"]
    assert local["server_id"] is None and local["sync"] == "pending"
    assert listing["pending_changes"] == 1
    assert backend.requests(mark) == [], "a local edit must not wait for (or call) the backend"


BAD_INPUT = [
    ["add", ""],
    ["add", "   "],
    ["add", "x" * 201],
    ["add", "ok", "--description", "d" * 1001],
    ["update", "{id}", "--title", ""],
    ["update", "{id}", "--title", "x" * 201],
    ["update", "{id}", "--description", "d" * 1001],
    ["update", "task_doesnotexist", "--title", "x"],
    ["complete", "task_doesnotexist"],
    ["reopen", "task_doesnotexist"],
    ["delete", "task_doesnotexist"],
    ["add"],
    ["frobnicate"],
]


def test_bad_input_exits_2_with_a_json_error_and_queues_nothing(alice):
    task = alice.add("Existing")
    before = alice.list()
    problems = []
    for args in BAD_INPUT:
        result = alice.run(*[a.replace("{id}", task["id"]) for a in args], ok=None)
        shown = " ".join(a[:12] for a in args)
        if result.code != 2:
            problems.append(f"`{shown}` exited {result.code}, not 2: {result.stdout[:200]} {result.stderr[:200]}")
            continue
        try:
            error = result.error
        except AssertionError as e:
            problems.append(f"`{shown}`: {e}")
            continue
        if not (isinstance(error.get("code"), str) and error["code"] and isinstance(error.get("message"), str) and error["message"]):
            problems.append(f"`{shown}`: the error is not {{code, message}}: {error}")
    assert not problems, "\n".join(problems)
    assert alice.list() == before, "a refused command changed local state"


def test_connect_refuses_a_bad_url(cli):
    result = cli.run("connect", "--backend", "not a url", "--user-id", "alice", ok=False)
    assert result.code == 2 and result.error["code"]


# -- push and pull ---------------------------------------------------------------------------------


def test_every_edit_is_queued_durably_then_one_sync_pushes_all(alice, backend):
    ids = []
    for n, title in enumerate(["Milk", "Bread", "Eggs"], start=1):
        ids.append(alice.add(title, description=f"{title} desc")["id"])
        assert alice.list()["pending_changes"] == n
    first = synced_ok(alice, backend)
    assert first["pushed"] >= 3, first
    listing = alice.list()
    assert {t["id"] for t in listing["tasks"]} == set(ids), "local ids must stay stable"
    pairs = assert_synced(listing, backend.tasks_of("alice"))
    for local in listing["tasks"]:
        assert local["server_id"] == str(pairs[local["id"]]["id"])

    milk, bread, eggs = ids
    alice.update(milk, title="Oat milk")
    assert alice.list()["pending_changes"] == 1
    alice.complete(bread)
    assert alice.list()["pending_changes"] == 2
    alice.delete(eggs)
    assert alice.list()["pending_changes"] == 3
    listing = alice.list()
    assert {t["id"]: t["sync"] for t in listing["tasks"]} == {milk: "pending", bread: "pending"}

    mark = backend.mark()
    second = synced_ok(alice, backend)
    assert second["pushed"] >= 3, second
    server = server_by_title(backend)
    assert set(server) == {"Oat milk", "Bread"}
    assert server["Oat milk"]["description"] == "Milk desc" and server["Oat milk"]["completed"] is False
    assert server["Bread"]["completed"] is True
    writes = backend.writes(mark)
    assert {r.method for r in writes} >= {"DELETE"} and all(r.status and r.status < 400 for r in writes), writes
    assert {t["id"] for t in alice.tasks()} == {milk, bread}


def test_sync_with_nothing_to_do_writes_nothing(alice, backend):
    for title in ("a", "b"):
        alice.add(title)
    alice.complete(alice.tasks()[0]["id"])
    synced_ok(alice, backend)
    mark = backend.mark()
    again = synced_ok(alice, backend)
    assert again["pushed"] == 0 and again["conflicts"] == [], again
    assert backend.writes(mark) == [], f"a sync with nothing queued wrote to the server: {backend.writes(mark)}"


def test_pull_brings_in_other_devices_changes(alice, backend):
    mine = alice.add("Mine")
    synced_ok(alice, backend)
    theirs = backend.create_task("alice", "From the phone", description="added elsewhere")
    backend.create_task("bob", "Bob's own")
    result = synced_ok(alice, backend)
    assert result["pulled"] >= 1, result
    local = by_title(alice.list())
    assert set(local) == {"Mine", "From the phone"}, "bob's task must never appear in alice's list"
    assert local["From the phone"]["server_id"] == str(theirs["id"])
    assert local["From the phone"]["description"] == "added elsewhere"
    assert local["From the phone"]["id"] != mine["id"]

    backend.edit_task(theirs["id"], title="From the phone, edited", completed=True)
    synced_ok(alice, backend)
    edited = by_title(alice.list())["From the phone, edited"]
    assert edited["completed"] is True and edited["id"] == local["From the phone"]["id"]

    mine_sid = int(by_title(alice.list())["Mine"]["server_id"])
    backend.delete_task(mine_sid)
    synced_ok(alice, backend)
    assert set(by_title(alice.list())) == {"From the phone, edited"}


def test_description_can_be_cleared(alice, backend):
    task = alice.add("With notes", description="some notes")
    synced_ok(alice, backend)
    alice.update(task["id"], description="")
    assert norm_description(alice.task(task["id"]).get("description")) is None
    synced_ok(alice, backend)
    (remote,) = backend.tasks_of("alice")
    assert remote["description"] is None


# -- offline, restarts ------------------------------------------------------------------------------


def test_offline_keeps_everything_queued_then_syncs(alice, backend):
    a = alice.add("A")
    b = alice.add("B", description="bee")
    alice.complete(a["id"])
    before = alice.list()
    backend.go_offline()
    result = alice.sync()
    assert result["state"] == "offline", result
    assert result["pending_changes"] == before["pending_changes"] > 0, result
    assert result["pushed"] == 0
    assert alice.list() == before, "an offline sync must not change local state"
    backend.go_online()
    synced_ok(alice, backend)
    server = server_by_title(backend)
    assert set(server) == {"A", "B"} and server["A"]["completed"] is True and server["B"]["description"] == "bee"
    assert {t["id"] for t in alice.tasks()} == {a["id"], b["id"]}


def test_backend_going_offline_mid_sync_loses_nothing(alice, backend):
    titles = [f"Task {i}" for i in range(6)]
    for t in titles:
        alice.add(t)
    seen = {"n": 0}

    def fault(req):
        seen["n"] += 1
        return Fault.OFFLINE if seen["n"] == 4 else None

    backend.fault = fault
    result = alice.sync()
    assert result["state"] == "offline", result
    assert 0 < result["pending_changes"] <= 6, result
    backend.fault = None
    backend.go_online()
    synced_ok(alice, backend)
    assert sorted(server_by_title(backend)) == sorted(titles)


def test_offline_edits_survive_restarts_and_reach_the_server_exactly(alice, backend):
    keep = alice.add("Keep", description="as is")
    rename = alice.add("Rename me", description="old notes")
    finish = alice.add("Finish me")
    drop = alice.add("Drop me")
    reopen = alice.add("Reopen me")
    alice.complete(reopen["id"])
    synced_ok(alice, backend)

    backend.go_offline()
    alice.update(rename["id"], title="Renamed", description="new notes")
    alice.complete(finish["id"])
    alice.delete(drop["id"])
    alice.reopen(reopen["id"])
    added = alice.add("Added offline", description="while away")
    alice.complete(added["id"])
    for _ in range(2):
        assert alice.sync()["state"] == "offline"
    # A fresh process sees every edit, still queued.
    listing = Cli(alice.data_dir, token="tok-alice").list()
    local = by_title(listing)
    assert set(local) == {"Keep", "Renamed", "Finish me", "Reopen me", "Added offline"}
    assert listing["pending_changes"] >= 5
    assert local["Keep"]["sync"] == "synced"
    for t in ("Renamed", "Finish me", "Reopen me", "Added offline"):
        assert local[t]["sync"] == "pending", local[t]
    assert local["Added offline"]["server_id"] is None
    check_data_files(alice.data_dir)

    backend.go_online()
    synced_ok(alice, backend)
    server = server_by_title(backend)
    expected = {
        "Keep": ("as is", False),
        "Renamed": ("new notes", False),
        "Finish me": (None, True),
        "Reopen me": (None, False),
        "Added offline": ("while away", True),
    }
    assert {t: (s["description"], s["completed"]) for t, s in server.items()} == expected
    assert by_title(alice.list())["Added offline"]["id"] == added["id"]
    assert keep["id"] in {t["id"] for t in alice.tasks()}


# -- conflicts ---------------------------------------------------------------------------------------


def test_conflict_server_field_wins_local_only_field_applies(alice, backend):
    task = alice.add("Buy milk", description="2%")
    synced_ok(alice, backend)
    sid = int(alice.task(task["id"])["server_id"])
    backend.edit_task(sid, title="Buy oat milk")  # another device, after our last pull
    alice.update(task["id"], title="Buy soy milk", description="organic")

    result = alice.sync()
    assert result["state"] == "synced" and result["pending_changes"] == 0, result
    remote = backend.task(sid)
    assert remote["title"] == "Buy oat milk", "the field changed on the server since the last pull keeps the server's value"
    assert remote["description"] == "organic", "the field changed only locally is applied"
    local = alice.task(task["id"])
    assert (local["title"], local["description"], local["sync"]) == ("Buy oat milk", "organic", "synced")

    conflicts = result["conflicts"]
    assert len(conflicts) == 1, conflicts
    (c,) = conflicts
    assert c["task_id"] == task["id"] and c["field"] == "title"
    assert c["local_value"] == "Buy soy milk" and c["server_value"] == "Buy oat milk"
    assert isinstance(c["message"], str) and c["message"]
    listed = alice.list()["conflicts"]
    assert [(x["task_id"], x["field"], x["local_value"], x["server_value"]) for x in listed] == [
        (task["id"], "title", "Buy soy milk", "Buy oat milk")
    ], "`list` shows the conflict the last sync reported"
    assert_synced(alice.list(), backend.tasks_of("alice"))


def test_same_title_added_on_two_devices_stays_two_tasks(alice, backend):
    """Nothing crashed and nothing was sent twice: a task added here is a task of its own, even
    when another device added one with the same title and description meanwhile."""
    synced_ok(alice, backend)
    phone = backend.create_task("alice", "Buy milk", description="2 litres")
    mine = alice.add("Buy milk", description="2 litres")
    synced_ok(alice, backend)
    server = backend.tasks_of("alice")
    assert [(t["title"], t["description"]) for t in server] == [("Buy milk", "2 litres")] * 2, f"two adds became one: {server}"
    local = {t["id"]: t["server_id"] for t in alice.tasks()}
    assert local[mine["id"]] != str(phone["id"])


def test_changes_to_different_fields_merge_without_conflict(alice, backend):
    task = alice.add("Plan trip", description="somewhere")
    synced_ok(alice, backend)
    sid = int(alice.task(task["id"])["server_id"])
    backend.edit_task(sid, description="Lisbon")
    alice.update(task["id"], title="Plan the trip")
    alice.complete(task["id"])
    result = synced_ok(alice, backend)
    assert result["conflicts"] == [], result
    remote = backend.task(sid)
    assert (remote["title"], remote["description"], remote["completed"]) == ("Plan the trip", "Lisbon", True)


def test_same_change_on_both_sides_is_not_undone(alice, backend):
    """Completed on the phone and here: PATCH /complete toggles, so replaying it blindly would
    reopen the task."""
    task = alice.add("Pay rent")
    synced_ok(alice, backend)
    sid = int(alice.task(task["id"])["server_id"])
    backend.edit_task(sid, completed=True)
    alice.complete(task["id"])
    synced_ok(alice, backend)
    assert backend.task(sid)["completed"] is True
    assert alice.task(task["id"])["completed"] is True


def test_local_edit_of_a_field_the_server_did_not_touch_wins_even_if_server_edited_later(alice, backend):
    task = alice.add("Water plants", description="ferns")
    synced_ok(alice, backend)
    sid = int(alice.task(task["id"])["server_id"])
    alice.update(task["id"], description="ferns and cacti")
    backend.edit_task(sid, completed=True)  # after the local edit, on another field
    result = synced_ok(alice, backend)
    assert result["conflicts"] == []
    remote = backend.task(sid)
    assert (remote["description"], remote["completed"]) == ("ferns and cacti", True)


# -- auth and server failures -------------------------------------------------------------------------


def _queue_three(alice: Cli) -> dict[str, Any]:
    alice.add("One")
    alice.add("Two", description="second")
    alice.complete(alice.tasks()[0]["id"])
    return alice.list()


@pytest.mark.parametrize("how", ["unknown token", "revoked", "no token"])
def test_401_asks_to_sign_in_and_keeps_the_outbox(alice, backend, how):
    before = _queue_three(alice)
    if how == "revoked":
        backend.mode = "revoked"
        result = alice.sync()
    elif how == "unknown token":
        result = alice.sync(token="tok-stolen")
    else:
        # No token at all: either the same answer as a 401, or a usage error (exit 2).
        run = alice.run("sync", ok=None, token=None)
        if run.code == 2:
            assert run.error["code"] and run.error["message"]
            assert backend.requests() == [] and alice.list() == before
            result = {"state": "sign_in_required", "pending_changes": before["pending_changes"], "pushed": 0}
        else:
            assert run.code == 1, run.describe()
            result = run.json
    assert result["state"] == "sign_in_required", result
    assert result["pending_changes"] == before["pending_changes"], result
    assert result["pushed"] == 0
    assert alice.list() == before
    assert backend.tasks_of("alice") == []
    backend.mode = "ok"
    synced_ok(alice, backend)
    assert set(server_by_title(backend)) == {"One", "Two"}


def test_token_revoked_mid_sync_keeps_what_was_not_pushed(alice, backend):
    for i in range(5):
        alice.add(f"T{i}")
    count = {"creates": 0}

    def fault(req):
        if req.route == "create":
            count["creates"] += 1
            if count["creates"] == 3:
                backend.mode = "revoked"
        return None

    backend.fault = fault
    result = alice.sync()
    assert result["state"] == "sign_in_required", result
    assert result["pending_changes"] == 5 - len(backend.tasks_of("alice")) > 0, (result, backend.tasks_of("alice"))
    backend.fault, backend.mode = None, "ok"
    synced_ok(alice, backend)
    assert sorted(server_by_title(backend)) == [f"T{i}" for i in range(5)]


def test_another_users_token_is_refused_and_the_outbox_kept(alice, backend):
    before = _queue_three(alice)
    result = alice.sync(token="tok-bob")  # a valid token, for someone else: 403
    assert result["state"] in ("sign_in_required", "error"), result
    assert result["pending_changes"] == before["pending_changes"], result
    assert backend.all_tasks() == []
    synced_ok(alice, backend)


def test_server_errors_keep_the_outbox(alice, backend):
    before = _queue_three(alice)
    backend.mode = "error500"
    result = alice.sync()
    assert result["state"] == "error", result
    assert isinstance(result["message"], str) and result["message"], result
    assert result["pending_changes"] == before["pending_changes"], result
    assert alice.list() == before
    assert backend.all_tasks() == []
    backend.mode = "ok"
    synced_ok(alice, backend)
    assert set(server_by_title(backend)) == {"One", "Two"}


# -- a task deleted on the server ----------------------------------------------------------------------


@pytest.mark.parametrize("op", ["update+complete", "delete"])
def test_task_deleted_on_the_server_resolves_the_op_without_retrying(alice, backend, op):
    gone = alice.add("Deleted elsewhere")
    kept = alice.add("Kept")
    synced_ok(alice, backend)
    sid = alice.task(gone["id"])["server_id"]
    backend.delete_task(int(sid))
    if "update" in op:
        alice.update(gone["id"], title="Edited here")
    if "complete" in op:
        alice.complete(gone["id"])
    if op == "delete":
        alice.delete(gone["id"])
    alice.update(kept["id"], description="still syncs")

    first = alice.sync()
    assert first["state"] == "synced" and first["pending_changes"] == 0, first
    assert len(touching(backend.requests(), sid)) <= 2, f"retried the deleted task: {touching(backend.requests(), sid)}"
    assert [t["id"] for t in alice.tasks()] == [kept["id"]], "the task deleted on the server is gone locally after the pull"
    assert backend.tasks_of("alice")[0]["description"] == "still syncs"
    assert [r for r in backend.writes() if r.method == "POST" and r.body and r.body.get("title") == "Edited here"] == [], "a task deleted on the server must not be re-created"

    mark = backend.mark()
    second = alice.sync()
    assert second["state"] == "synced" and second["pushed"] == 0, second
    assert touching(backend.requests(mark), sid) == [], f"the second sync hit the deleted task again: {touching(backend.requests(mark), sid)}"
    assert backend.writes(mark) == []
    assert_synced(alice.list(), backend.tasks_of("alice"))


@pytest.mark.parametrize("op", ["update", "complete", "delete"])
def test_task_deleted_on_the_server_during_the_sync_answers_404_and_is_dropped(alice, backend, op):
    """Deleted by another device after this sync's first look at the server and before the
    write: the write itself gets the 404."""
    gone = alice.add("Deleted mid-sync")
    alice.add("Kept")
    synced_ok(alice, backend)
    sid = alice.task(gone["id"])["server_id"]
    if op == "update":
        alice.update(gone["id"], title="Edited here")
    else:
        getattr(alice, op)(gone["id"])

    def fault(req):
        if req.method in WRITES and str(req.task_id) == sid and backend.task(int(sid)) is not None:
            backend.delete_task(int(sid))
        return None

    backend.fault = fault
    mark = backend.mark()
    first = alice.sync()
    backend.fault = None
    hits = touching(backend.requests(mark), sid)
    assert any(r.method in WRITES and r.status == 404 for r in hits), f"the write never reached the server: {hits}"
    assert len([r for r in hits if r.method in WRITES]) == 1, f"the 404 was retried: {hits}"
    assert first["state"] == "synced" and first["pending_changes"] == 0, first
    assert [t["title"] for t in alice.tasks()] == ["Kept"]
    mark = backend.mark()
    second = alice.sync()
    assert second["state"] == "synced" and second["pushed"] == 0, second
    assert touching(backend.requests(mark), sid) == []
    assert backend.writes(mark) == []


# -- idempotent replay after a crash ---------------------------------------------------------------------


class KillAt:
    """SIGKILLs a running `sync` from the backend's after_apply hook: the server has applied the
    write but the client never gets the answer."""

    def __init__(self, backend: FakeBackend, when: Callable[[Recorded], bool]) -> None:
        self.when = when
        self.ready = threading.Event()
        self.fired: list[Recorded] = []
        self.proc = None
        backend.after_apply.append(self)

    def start(self, cli: Cli):
        self.proc = cli.popen("sync")
        self.ready.set()
        return self.proc

    def __call__(self, rec: Recorded) -> None:
        if self.fired or not self.when(rec):
            return
        self.ready.wait(10)
        self.fired.append(rec)
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def run_killed_sync(cli: Cli, backend: FakeBackend, when: Callable[[Recorded], bool]) -> Recorded:
    killer = KillAt(backend, when)
    proc = killer.start(cli)
    try:
        proc.communicate(timeout=30)
    finally:
        backend.after_apply.remove(killer)
    assert proc.returncode == -signal.SIGKILL, f"sync was not killed (exit {proc.returncode}); the write it waited for never came"
    assert killer.fired
    check_data_files(cli.data_dir)
    return killer.fired[0]


def test_crash_after_the_server_created_does_not_duplicate(alice, backend):
    first = alice.add("Only once", description="one copy")
    second = alice.add("Also once")
    rec = run_killed_sync(alice, backend, lambda r: r.route == "create")
    assert rec.body["title"] == "Only once"
    assert [t["title"] for t in backend.tasks_of("alice")] == ["Only once"]

    synced_ok(alice, backend)
    server = backend.tasks_of("alice")
    assert sorted(t["title"] for t in server) == ["Also once", "Only once"], f"duplicated after the crash: {server}"
    local = {t["id"]: t for t in alice.tasks()}
    assert set(local) == {first["id"], second["id"]}
    assert local[first["id"]]["server_id"] == str(server_by_title(backend)["Only once"]["id"])
    mark = backend.mark()
    synced_ok(alice, backend)
    assert backend.writes(mark) == []


@pytest.mark.parametrize("then", ["delete", "update", "complete"])
@pytest.mark.parametrize("how", ["killed", "answer lost"])
def test_server_created_unacknowledged_then_a_local_edit(alice, backend, how, then):
    """The server created the task but the client never learnt it (killed, or the answer was
    lost); the user then edits or deletes the task: the server ends with that edit on its one
    copy (or no copy at all), and local agrees."""
    task = alice.add("Created, unacknowledged", description="v1")
    if how == "killed":
        run_killed_sync(alice, backend, lambda r: r.route == "create")
    else:
        backend.fault = lambda req: Fault.DROP_AFTER_APPLY if req.route == "create" else None
        lost = alice.sync()
        backend.fault = None
        assert lost["state"] in ("offline", "error") and lost["pending_changes"] == 1, lost
    backend.wait_idle()
    assert len(backend.tasks_of("alice")) == 1
    if then == "delete":
        alice.delete(task["id"])
    elif then == "update":
        alice.update(task["id"], title="Edited after the crash", description="v2")
    else:
        alice.complete(task["id"])
    synced_ok(alice, backend)
    server = [(t["title"], t["description"], t["completed"]) for t in backend.tasks_of("alice")]
    local = [(t["title"], norm_description(t.get("description")), t["completed"]) for t in alice.tasks()]
    want = {
        "delete": [],
        "update": [("Edited after the crash", "v2", False)],
        "complete": [("Created, unacknowledged", "v1", True)],
    }[then]
    assert server == want, f"server: {server}"
    assert local == want, f"local: {local}"
    if want:
        assert alice.tasks()[0]["id"] == task["id"]


def test_a_twin_brought_up_to_date_unacknowledged_is_still_deleted(alice, backend):
    """The create landed unacknowledged; the user edited the title; the next sync adopted the
    server's copy and its PUT landed unacknowledged too; then the user deleted the task. The
    delete must reach that copy (it now has the new title, so it can no longer be found by the
    fields the create sent), and the task must not come back from the server."""
    task = alice.add("Buy milk")
    backend.fault = lambda req: Fault.DROP_AFTER_APPLY if req.route == "create" else None
    lost = alice.sync()
    assert lost["state"] in ("offline", "error"), lost
    alice.update(task["id"], title="Buy oat milk")
    backend.fault = lambda req: Fault.DROP_AFTER_APPLY if req.method in ("PUT", "PATCH") else None
    lost = alice.sync()
    backend.fault = None
    backend.wait_idle()
    assert lost["state"] in ("offline", "error"), lost
    assert [t["title"] for t in backend.tasks_of("alice")] == ["Buy oat milk"], "the PUT landed"
    alice.delete(task["id"])
    synced_ok(alice, backend)
    assert backend.tasks_of("alice") == [], "the delete reached the adopted copy"
    assert alice.tasks() == [], "the deleted task did not come back with the pull"


@pytest.mark.parametrize("final", ["complete", "reopen"])
def test_crash_after_the_server_applied_completion_does_not_toggle_back(alice, backend, final):
    task = alice.add("Toggle me")
    if final == "reopen":
        alice.complete(task["id"])
    synced_ok(alice, backend)
    sid = int(alice.task(task["id"])["server_id"])
    want = final == "complete"
    getattr(alice, final)(task["id"])
    run_killed_sync(alice, backend, lambda r: r.task_id == sid and r.method in ("PUT", "PATCH"))
    assert backend.task(sid)["completed"] is want
    synced_ok(alice, backend)
    assert backend.task(sid)["completed"] is want, "the completion was applied twice (PATCH /complete toggles)"
    assert alice.task(task["id"])["completed"] is want


@pytest.mark.parametrize("how", ["killed", "answer lost"])
def test_server_applied_an_edit_unacknowledged_then_another_edit(alice, backend, how):
    """The server applied our rename but the client never learnt it (killed, or the answer was
    lost on the way back); the user renamed again. The server's value is this device's own
    write, not another device's edit: the latest rename wins and no conflict is reported."""
    task = alice.add("Draft", description="notes")
    synced_ok(alice, backend)
    sid = int(alice.task(task["id"])["server_id"])
    alice.update(task["id"], title="Second draft")
    if how == "killed":
        run_killed_sync(alice, backend, lambda r: r.task_id == sid and r.method in WRITES)
    else:
        backend.fault = lambda req: Fault.DROP_AFTER_APPLY if req.task_id == sid and req.method in WRITES else None
        lost = alice.sync()
        backend.fault = None
        assert lost["state"] in ("offline", "error") and lost["pending_changes"] == 1, lost
    backend.wait_idle()
    assert backend.task(sid)["title"] == "Second draft"
    alice.update(task["id"], title="Final draft")
    result = synced_ok(alice, backend)
    assert backend.task(sid)["title"] == "Final draft", f"the last rename was lost: {backend.task(sid)}, sync said {result}"
    assert result["conflicts"] == [], result


@pytest.mark.parametrize("field", ["completed", "title"])
def test_an_edit_landed_unacknowledged_then_a_retry_that_never_arrived(alice, backend, field):
    """Two unacknowledged attempts in a row: the first landed (its answer lost), the user edited
    again, the second never reached the server. The server's value is still this device's own
    first write, not another device's edit, so the latest local value wins with no conflict.
    (Found by the kill -9 loop: remembering only the last attempt reported a conflict and kept
    the stale value.)"""
    task = alice.add("Draft")
    synced_ok(alice, backend)
    sid = int(alice.task(task["id"])["server_id"])

    def edit_then_sync(edit: Callable[[], Any], fault: Fault) -> None:
        edit()
        backend.fault = lambda req: fault if req.task_id == sid and req.method in WRITES else None
        lost = alice.sync()
        backend.wait_idle()
        assert lost["state"] in ("offline", "error") and lost["pending_changes"] == 1, lost

    if field == "completed":
        edits = [lambda: alice.complete(task["id"]), lambda: alice.reopen(task["id"])]
    else:
        edits = [lambda: alice.update(task["id"], title="Second draft"), lambda: alice.update(task["id"], title="Final draft")]
    edit_then_sync(edits[0], Fault.DROP_AFTER_APPLY)
    landed = backend.task(sid)[field]
    assert landed == (True if field == "completed" else "Second draft"), backend.task(sid)
    edit_then_sync(edits[1], Fault.DROP)
    assert backend.task(sid)[field] == landed, "the second attempt must not have reached the server"

    backend.fault = None
    result = synced_ok(alice, backend)
    want = False if field == "completed" else "Final draft"
    assert result["conflicts"] == [], result
    assert backend.task(sid)[field] == want, f"the latest edit was lost: {backend.task(sid)}"
    assert alice.task(task["id"])[field] == want


def test_crash_after_the_server_deleted_resolves(alice, backend):
    task = alice.add("Delete me")
    alice.add("Stay")
    synced_ok(alice, backend)
    sid = int(alice.task(task["id"])["server_id"])
    alice.delete(task["id"])
    run_killed_sync(alice, backend, lambda r: r.method == "DELETE")
    assert backend.task(sid) is None
    synced_ok(alice, backend)
    assert [t["title"] for t in backend.tasks_of("alice")] == ["Stay"]
    mark = backend.mark()
    alice.sync()
    assert touching(backend.requests(mark), str(sid)) == []


def test_lost_answer_to_a_create_does_not_duplicate(alice, backend):
    """The server created the task but the answer never arrived (the connection dropped): the
    engine does not know whether it was applied, and must not end up with two."""
    alice.add("Sent once")
    backend.fault = lambda req: Fault.DROP_AFTER_APPLY if req.route == "create" else None
    result = alice.sync()
    assert result["state"] in ("offline", "error"), result
    assert result["pending_changes"] >= 1, result
    backend.fault = None
    synced_ok(alice, backend)
    titles = [t["title"] for t in backend.tasks_of("alice")]
    assert titles == ["Sent once"], f"the task was created twice: {titles}"


# -- wire details ---------------------------------------------------------------------------------------


def test_naive_timestamps_and_delete_answered_200(cli):
    """SQLModel backends answer `datetime.utcnow()` timestamps with no offset, and some answer
    DELETE with 200 and a body."""
    with FakeBackend(timestamp_style="naive", delete_status=200) as backend:
        cli.connect(backend.url, "alice")
        a = cli.add("A")
        cli.add("B")
        synced_ok(cli, backend)
        backend.create_task("alice", "C")
        cli.update(a["id"], title="A2")
        synced_ok(cli, backend)
        cli.delete(a["id"])
        synced_ok(cli, backend)
        assert sorted(server_by_title(backend)) == ["B", "C"]
    assert not backend.problems, backend.problems


def test_requests_carry_the_token_and_json(alice, backend):
    t = alice.add("Wire", description="check")
    synced_ok(alice, backend)
    alice.update(t["id"], title="Wire 2")
    alice.complete(t["id"])
    synced_ok(alice, backend)
    reqs = backend.requests()
    assert reqs and all(r.headers.get("authorization") == "Bearer tok-alice" for r in reqs)
    assert all(r.user_id == "alice" for r in reqs)
    for r in reqs:
        if r.method in ("POST", "PUT"):
            assert r.headers.get("content-type", "").startswith("application/json"), r
            assert isinstance(r.body, dict), r
    assert all(r.status is not None and r.status < 400 for r in reqs), [r for r in reqs if not r.status or r.status >= 400]
