"""An earlier version's `tasks.json` (schema 2: tasks, a pending outbox, sync state, a
conflict) moves into tasks.db on first open, is kept beside it as `tasks.json.imported`,
and the first sync afterwards sends each queued change once and nothing twice."""

from __future__ import annotations

import json
from collections import Counter

from cli import assert_synced


def schema_2(backend_url: str, milk: int, old: int) -> dict:
    """What the JSON store wrote: 'Buy milk' synced then completed here (edit queued), 'Call
    mum' created here (create queued), 'Old' deleted here (delete queued), one conflict."""
    return {
        "schema_version": 2,
        "tasks": [
            {"id": "task_milk", "title": "Buy milk", "description": "2 litres", "completed": True,
             "created_at": "2026-11-20T08:00:00.123456Z", "updated_at": "2026-11-21T09:30:00Z"},
            {"id": "task_mum", "title": "Call mum", "completed": False,
             "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z"},
        ],
        "sync": {
            "target": {"backend_url": backend_url, "user_id": "alice"},
            "next_seq": 7,
            "outbox": [
                {"seq": 4, "op": "edit", "local_id": "task_milk", "fields": ["completed"]},
                {"seq": 5, "op": "create", "local_id": "task_mum"},
                {"seq": 6, "op": "delete", "local_id": "task_old", "server_id": str(old)},
            ],
            "server_ids": {"task_milk": str(milk), "task_old": str(old)},
            "bases": {
                "task_milk": {"title": "Buy milk", "description": "2 litres", "completed": False},
                "task_old": {"title": "Old", "description": None, "completed": False},
            },
            "conflicts": [{"task_id": "task_milk", "field": "description", "local_value": "2 litres",
                           "server_value": "3 litres", "message": "Changed on another device too."}],
            "last_synced_at": "2026-11-21T09:00:00Z",
        },
    }


def test_schema_2_tasks_json_is_imported_and_syncs_each_change_once(cli, backend):
    milk = backend.create_task("alice", "Buy milk", "2 litres")["id"]
    old = backend.create_task("alice", "Old")["id"]
    cli.data_dir.mkdir(parents=True)
    legacy = cli.data_dir / "tasks.json"
    legacy.write_text(json.dumps(schema_2(backend.url, milk, old)), "utf-8")
    original = legacy.read_bytes()

    listing = cli.list()
    assert [(t["id"], t["title"], t["completed"]) for t in listing["tasks"]] == [
        ("task_milk", "Buy milk", True), ("task_mum", "Call mum", False)]
    assert listing["pending_changes"] == 3
    assert [c["task_id"] for c in listing["conflicts"]] == ["task_milk"]
    assert listing["last_synced_at"].startswith("2026-11-21T09:00:00")
    # Kept beside the database as the backup, byte for byte, and never read again.
    assert not legacy.exists()
    assert (cli.data_dir / "tasks.json.imported").read_bytes() == original
    assert (cli.data_dir / "tasks.db").exists()

    mark = backend.mark()
    result = cli.sync()
    assert result["state"] == "synced" and result["pending_changes"] == 0, result
    writes = backend.writes(mark)
    sent = Counter((w.route, w.task_id) for w in writes)
    assert all(n == 1 for n in sent.values()), f"sent twice: {writes}"
    assert [w.route for w in writes if w.route == "create"] == ["create"], writes
    assert ("delete", old) in sent, writes
    assert any(task_id == milk and route in ("update", "toggle") for route, task_id in sent), writes

    server = backend.tasks_of("alice")
    assert sorted((t["title"], t["completed"]) for t in server) == [("Buy milk", True), ("Call mum", False)]
    assert_synced(cli.list(), server)

    # A second sync has nothing left to send, and a reopened store does not import again.
    mark = backend.mark()
    again = cli.sync()
    assert again["state"] == "synced" and backend.writes(mark) == [], backend.writes(mark)
    assert len(cli.tasks()) == 2
