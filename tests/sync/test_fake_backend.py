"""The fake backend keeps the contract the sync engine is tested against (no binary needed)."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from datetime import datetime
from typing import Any, Optional

import pytest

from fake_backend import Fault, FakeBackend


def call(backend: FakeBackend, method: str, path: str, body: Any = None, token: Optional[str] = "tok-alice", raw: Optional[bytes] = None, timeout: float = 5) -> tuple[int, Any, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", backend.port, timeout=timeout)
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    payload = raw
    if body is not None:
        payload = json.dumps(body).encode()
    if payload is not None:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        ctype = resp.getheader("Content-Type") or ""
        parsed: Any = json.loads(data) if data and "json" in ctype else data.decode()
        return resp.status, parsed, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


TASK_KEYS = {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}


def test_crud_round_trip(backend):
    status, task, _ = call(backend, "POST", "/api/alice/tasks", {"title": "Milk", "description": "2%"})
    assert status == 201
    assert set(task) == TASK_KEYS
    assert isinstance(task["id"], int) and task["user_id"] == "alice"
    assert (task["title"], task["description"], task["completed"]) == ("Milk", "2%", False)
    assert task["created_at"].endswith("Z") and datetime.fromisoformat(task["created_at"].replace("Z", "+00:00"))
    tid = task["id"]

    assert call(backend, "GET", f"/api/alice/tasks/{tid}")[:2] == (200, task)
    assert call(backend, "GET", "/api/alice/tasks")[:2] == (200, [task])

    status, updated, _ = call(backend, "PUT", f"/api/alice/tasks/{tid}", {"title": "Oat milk", "description": None, "completed": True})
    assert status == 200
    assert (updated["title"], updated["description"], updated["completed"]) == ("Oat milk", None, True)
    assert updated["updated_at"] > task["updated_at"] and updated["created_at"] == task["created_at"]

    status, toggled, _ = call(backend, "PATCH", f"/api/alice/tasks/{tid}/complete")
    assert (status, toggled["completed"]) == (200, False)
    status, toggled, _ = call(backend, "PATCH", f"/api/alice/tasks/{tid}/complete")
    assert (status, toggled["completed"]) == (200, True)

    status, body, _ = call(backend, "DELETE", f"/api/alice/tasks/{tid}")
    assert (status, body) == (204, "")
    assert call(backend, "GET", f"/api/alice/tasks/{tid}")[0] == 404
    assert call(backend, "DELETE", f"/api/alice/tasks/{tid}")[0] == 404
    assert call(backend, "GET", "/api/alice/tasks")[:2] == (200, [])


def test_post_ignores_completed_and_unknown_fields(backend):
    status, task, _ = call(backend, "POST", "/api/alice/tasks", {"title": "A", "completed": True, "color": "red"})
    assert status == 201 and task["completed"] is False and task["description"] is None


def test_put_changes_only_given_fields(backend):
    tid = call(backend, "POST", "/api/alice/tasks", {"title": "A", "description": "d"})[1]["id"]
    status, task, _ = call(backend, "PUT", f"/api/alice/tasks/{tid}", {"completed": True})
    assert status == 200 and (task["title"], task["description"], task["completed"]) == ("A", "d", True)


def test_auth_and_isolation(backend):
    tid = call(backend, "POST", "/api/alice/tasks", {"title": "Alice's"})[1]["id"]
    call(backend, "POST", "/api/bob/tasks", {"title": "Bob's"}, token="tok-bob")

    status, body, headers = call(backend, "GET", "/api/alice/tasks", token=None)
    assert status == 401 and "detail" in body and headers.get("www-authenticate") == "Bearer"
    assert call(backend, "GET", "/api/alice/tasks", token="tok-nobody")[0] == 401
    assert call(backend, "POST", "/api/alice/tasks", {"title": "x"}, token="tok-nobody")[0] == 401
    # bob's token on alice's path: 403, whatever the route
    for method, path, body in [
        ("GET", "/api/alice/tasks", None),
        ("POST", "/api/alice/tasks", {"title": "x"}),
        ("GET", f"/api/alice/tasks/{tid}", None),
        ("PUT", f"/api/alice/tasks/{tid}", {"title": "x"}),
        ("DELETE", f"/api/alice/tasks/{tid}", None),
        ("PATCH", f"/api/alice/tasks/{tid}/complete", None),
    ]:
        assert call(backend, method, path, body, token="tok-bob")[0] == 403, (method, path)
    # alice's task on bob's own path: 404 (not his)
    for method, path, body in [
        ("GET", f"/api/bob/tasks/{tid}", None),
        ("PUT", f"/api/bob/tasks/{tid}", {"title": "x"}),
        ("DELETE", f"/api/bob/tasks/{tid}", None),
        ("PATCH", f"/api/bob/tasks/{tid}/complete", None),
    ]:
        assert call(backend, method, path, body, token="tok-bob")[0] == 404, (method, path)
    assert [t["title"] for t in call(backend, "GET", "/api/bob/tasks", token="tok-bob")[1]] == ["Bob's"]
    assert [t["title"] for t in backend.tasks_of("alice")] == ["Alice's"]
    assert backend.task(tid)["completed"] is False


@pytest.mark.parametrize(
    "method,body,loc,kind",
    [
        ("POST", {"title": ""}, ["body", "title"], "string_too_short"),
        ("POST", {"title": "x" * 201}, ["body", "title"], "string_too_long"),
        ("POST", {"title": "ok", "description": "d" * 1001}, ["body", "description"], "string_too_long"),
        ("POST", {"description": "no title"}, ["body", "title"], "missing"),
        ("POST", {"title": 7}, ["body", "title"], "string_type"),
        ("PUT", {"title": ""}, ["body", "title"], "string_too_short"),
        ("PUT", {"title": "x" * 201}, ["body", "title"], "string_too_long"),
        ("PUT", {"description": "d" * 1001}, ["body", "description"], "string_too_long"),
        ("PUT", {"completed": "maybe"}, ["body", "completed"], "bool_parsing"),
    ],
)
def test_validation_422(backend, method, body, loc, kind):
    tid = backend.create_task("alice", "Existing")["id"]
    path = "/api/alice/tasks" if method == "POST" else f"/api/alice/tasks/{tid}"
    status, answer, _ = call(backend, method, path, body)
    assert status == 422
    assert isinstance(answer["detail"], list) and answer["detail"]
    first = answer["detail"][0]
    assert first["loc"] == loc and first["type"] == kind and "msg" in first
    assert [t["title"] for t in backend.tasks_of("alice")] == ["Existing"]


def test_title_limits_are_inclusive(backend):
    assert call(backend, "POST", "/api/alice/tasks", {"title": "x" * 200, "description": "d" * 1000})[0] == 201
    assert call(backend, "POST", "/api/alice/tasks", {"title": "x"})[0] == 201


def test_bad_json_and_bad_ids(backend):
    status, answer, _ = call(backend, "POST", "/api/alice/tasks", raw=b"{not json")
    assert status == 422 and answer["detail"][0]["type"] == "json_invalid"
    status, answer, _ = call(backend, "GET", "/api/alice/tasks/abc")
    assert status == 422 and answer["detail"][0]["loc"] == ["path", "task_id"]
    assert call(backend, "GET", "/api/alice/tasks/999999")[0] == 404
    assert call(backend, "GET", "/api/alice/nothing")[0] == 404
    assert call(backend, "PATCH", "/api/alice/tasks")[0] == 405


def test_ids_are_never_reused(backend):
    a = call(backend, "POST", "/api/alice/tasks", {"title": "a"})[1]["id"]
    call(backend, "DELETE", f"/api/alice/tasks/{a}")
    b = call(backend, "POST", "/api/bob/tasks", {"title": "b"}, token="tok-bob")[1]["id"]
    c = call(backend, "POST", "/api/alice/tasks", {"title": "c"})[1]["id"]
    assert a < b < c


def test_request_log(backend):
    mark = backend.mark()
    call(backend, "POST", "/api/alice/tasks", {"title": "a"})
    call(backend, "GET", "/api/alice/tasks", token=None)
    reqs = backend.requests(since=mark)
    assert [(r.method, r.route, r.status, r.applied) for r in reqs] == [("POST", "create", 201, True), ("GET", "list", 401, False)]
    assert reqs[0].body == {"title": "a"} and reqs[0].headers["authorization"] == "Bearer tok-alice"
    assert [r.seq for r in backend.writes(since=mark)] == [reqs[0].seq]


def test_timestamp_styles():
    for style, check in [("naive", lambda s: "+" not in s and not s.endswith("Z")), ("+00:00", lambda s: s.endswith("+00:00"))]:
        with FakeBackend(timestamp_style=style) as b:
            t = call(b, "POST", "/api/alice/tasks", {"title": "a"})[1]
            assert check(t["created_at"]) and check(t["updated_at"]), t
            datetime.fromisoformat(t["created_at"])


def test_modes_500_and_revoked(backend):
    backend.mode = "error500"
    status, body, headers = call(backend, "POST", "/api/alice/tasks", {"title": "a"})
    assert (status, body) == (500, "Internal Server Error") and headers["content-type"].startswith("text/plain")
    backend.mode = "revoked"
    assert call(backend, "GET", "/api/alice/tasks")[0] == 401
    backend.mode = "ok"
    assert call(backend, "GET", "/api/alice/tasks")[:2] == (200, [])


def test_offline_refuses_and_comes_back_on_the_same_port(backend):
    port = backend.port
    call(backend, "POST", "/api/alice/tasks", {"title": "a"})
    backend.go_offline()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    backend.go_online()
    assert backend.port == port
    assert [t["title"] for t in call(backend, "GET", "/api/alice/tasks")[1]] == ["a"]


def test_offline_closes_open_keep_alive_connections(backend):
    conn = http.client.HTTPConnection("127.0.0.1", backend.port, timeout=5)
    conn.request("GET", "/api/alice/tasks", headers={"Authorization": "Bearer tok-alice"})
    assert conn.getresponse().read() == b"[]"
    backend.go_offline()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("GET", "/api/alice/tasks", headers={"Authorization": "Bearer tok-alice"})
        conn.getresponse().read()
    conn.close()


def test_faults(backend):
    seen = []

    def fault(req):
        seen.append(req.route)
        return {1: Fault.ERROR_500, 2: Fault.DROP_AFTER_APPLY, 3: Fault.DROP}.get(len(seen))

    backend.fault = fault
    assert call(backend, "POST", "/api/alice/tasks", {"title": "500"})[0] == 500
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        call(backend, "POST", "/api/alice/tasks", {"title": "applied, answer lost"})
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        call(backend, "POST", "/api/alice/tasks", {"title": "dropped"})
    assert [t["title"] for t in backend.tasks_of("alice")] == ["applied, answer lost"]
    assert [r.outcome for r in backend.requests()] == ["answered", "dropped_after_apply", "dropped"]

    backend.fault = lambda req: Fault.OFFLINE
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        call(backend, "GET", "/api/alice/tasks")
    assert backend.offline
    with pytest.raises(ConnectionRefusedError):
        call(backend, "GET", "/api/alice/tasks")
    backend.fault = None
    backend.go_online()
    assert call(backend, "GET", "/api/alice/tasks")[0] == 200


def test_after_apply_hook_runs_before_the_answer(backend):
    order = []
    backend.after_apply.append(lambda rec: order.append(("applied", rec.method, len(backend.tasks_of("alice")))))
    status, _, _ = call(backend, "POST", "/api/alice/tasks", {"title": "a"})
    order.append(("answered", status))
    call(backend, "GET", "/api/alice/tasks")  # reads do not run the hook
    assert order == [("applied", "POST", 1), ("answered", 201)]


def test_delay_and_concurrency(backend):
    backend.delay = 0.2
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(call(backend, "POST", "/api/alice/tasks", {"title": f"t{i}"})[0])) for i in range(10)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    assert results == [201] * 10
    assert 0.2 <= elapsed < 1.5, elapsed  # in parallel: one after another would take 2 s
    assert sorted(t["title"] for t in backend.tasks_of("alice")) == [f"t{i}" for i in range(10)]
