"""A fake team backend on loopback with the hackathon REST contract for tasks.

    backend = FakeBackend().start()          # 127.0.0.1:<free port>, threaded, in-process
    backend.url                              # http://127.0.0.1:<port>, for `connect --backend`
    backend.tasks_of("alice")                # what the server holds for a user (copies)
    backend.create_task("alice", "Milk")     # edit state directly: "another device"
    backend.requests(since=mark)             # the request log (Recorded), `mark = backend.mark()`
    backend.go_offline(); backend.go_online()  # listener closed (connection refused), then back
    backend.mode = "error500" | "revoked"    # every request answered 500, or 401
    backend.fault = fn                       # per request: None or a Fault (see `Fault`)
    backend.close()
    backend.problems                         # exceptions raised while handling (must stay empty)

The contract (every route needs `Authorization: Bearer <token>`; tokens map to user ids):
- `GET    /api/{user_id}/tasks`                 -> 200 [task, ...]
- `POST   /api/{user_id}/tasks`                 -> 201 task; body {title, description?}
- `GET    /api/{user_id}/tasks/{id}`            -> 200 task
- `PUT    /api/{user_id}/tasks/{id}`            -> 200 task; body {title?, description?, completed?}
- `DELETE /api/{user_id}/tasks/{id}`            -> 204 (`delete_status` makes it 200)
- `PATCH  /api/{user_id}/tasks/{id}/complete`   -> 200 task; TOGGLES `completed`
- task: {id: int, user_id, title, description: str|null, completed, created_at, updated_at}
- 401 no or unknown token ({"detail": ...}, `WWW-Authenticate: Bearer`); 403 the token's user
  is not the path's; 422 FastAPI-style {"detail": [{type, loc, msg, input, ctx?}]} for a bad
  body (title 1..200 chars, description <= 1000) or a non-integer task id; 404 unknown task or
  another user's; 405 a method a route does not have.
Like FastAPI on pydantic, a body's unknown fields are ignored (a POST's `completed` included)
and validation errors are pydantic's own (`e.errors()`), with "body" or "path" in front of
`loc`. Ids come from one counter for all users, like a database sequence, and are never reused.

Timestamps are UTC ISO-8601 with microseconds; `timestamp_style` picks the suffix: "Z"
(default), "+00:00", or "naive" (no offset at all, as SQLModel's `datetime.utcnow` gives).
`updated_at` changes on every change and never repeats.

Failures to simulate:
- `go_offline()`: closes the listener and every open connection; new connections are refused
  until `go_online()` listens again on the same port.
- `mode = "error500"`: every request gets uvicorn's 500 (`text/plain`, "Internal Server
  Error"), nothing applied. `mode = "revoked"`: every request gets 401 (token revoked).
- `fault`: a function `(Incoming) -> Fault | None` called for every request before anything
  else, for failures that depend on the request or on how many came before. `Fault.ERROR_500`
  answers 500 without applying; `Fault.OFFLINE` drops this connection unanswered and goes
  offline (later requests are refused until `go_online()`); `Fault.DROP` closes this
  connection unanswered, nothing applied; `Fault.DROP_AFTER_APPLY` applies the request and then
  closes the connection unanswered (a response lost on the way back).
- `delay`: seconds (or a (low, high) range drawn per request) each request takes; half is spent
  before the change is applied and half after, so a client killed meanwhile may or may not
  have had its change applied.
- `wait_idle()`: returns once no request is being handled (a killed client's requests go on
  on the server; wait for them before the next step of a test).
- `after_apply`: functions `(Recorded) -> None` called once a write has been applied and before
  its answer is sent (e.g. to SIGKILL the client exactly there).
"""

from __future__ import annotations

import enum
import http.server
import json
import random
import re
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

from pydantic import BaseModel, Field, ValidationError

DEFAULT_TOKENS = {"tok-alice": "alice", "tok-bob": "bob", "tok-carol": "carol"}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# -- the backend's request models (as its FastAPI app declares them) --------------------------


class TaskCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: Optional[str] = Field(default=None, max_length=1000)


class TaskUpdate(BaseModel):
    title: Optional[str] = Field(default=None, min_length=1, max_length=200)
    description: Optional[str] = Field(default=None, max_length=1000)
    completed: Optional[bool] = None


class Fault(enum.Enum):
    ERROR_500 = "500"
    OFFLINE = "offline"
    DROP = "drop"
    DROP_AFTER_APPLY = "drop_after_apply"


@dataclass
class Incoming:
    """A request as it arrives, before it is handled (what a `fault` function sees)."""

    seq: int  # 1-based, across the backend's life
    method: str
    path: str
    route: str  # "list", "create", "get", "update", "delete", "toggle" or "unknown"
    user_id: Optional[str]
    task_id: Optional[int]


@dataclass
class Recorded:
    """One request in the log, with what became of it."""

    seq: int
    method: str
    path: str
    route: str
    user_id: Optional[str]
    task_id: Optional[int]
    headers: dict[str, str]
    body: Any  # parsed JSON, the raw text if it did not parse, None when empty
    status: Optional[int] = None  # None: no answer (dropped, or the listener went away)
    outcome: str = "pending"  # "answered", "dropped", "dropped_after_apply"
    applied: bool = False  # a write that changed the server's state
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    def __repr__(self) -> str:
        body = "" if self.body is None else f" {json.dumps(self.body)[:120]}"
        return f"<#{self.seq} {self.method} {self.path}{body} -> {self.status} {self.outcome}>"


ROUTES = [
    (re.compile(r"^/api/(?P<user>[^/]+)/tasks/?$"), {"GET": "list", "POST": "create"}),
    (
        re.compile(r"^/api/(?P<user>[^/]+)/tasks/(?P<task>[^/]+)/?$"),
        {"GET": "get", "PUT": "update", "DELETE": "delete"},
    ),
    (re.compile(r"^/api/(?P<user>[^/]+)/tasks/(?P<task>[^/]+)/complete/?$"), {"PATCH": "toggle"}),
]


def _route(method: str, path: str) -> tuple[str, Optional[str], Optional[str], bool]:
    """(route name, user id, raw task id, path known but method not allowed)."""
    for pattern, methods in ROUTES:
        m = pattern.match(path)
        if m:
            return methods.get(method, "unknown"), m.group("user"), m.groupdict().get("task"), method not in methods
    return "unknown", None, None, False


def _int_or_none(raw: Optional[str]) -> Optional[int]:
    if raw is None or not re.fullmatch(r"[+-]?\d+", raw):
        return None
    return int(raw)


class _Answer(Exception):
    def __init__(self, status: int, body: Any = None, headers: Optional[dict[str, str]] = None, text: Optional[str] = None):
        super().__init__(status)
        self.status, self.body, self.headers, self.text = status, body, headers or {}, text


def _validation_error(where: str, error: ValidationError) -> _Answer:
    detail = []
    for e in error.errors(include_url=False):
        e = dict(e)
        e["loc"] = [where, *e["loc"]]
        if "ctx" in e:
            e["ctx"] = {k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v)) for k, v in e["ctx"].items()}
        detail.append(e)
    return _Answer(422, {"detail": detail})


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    backend: "FakeBackend"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.server.backend._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        self.server.backend._track(self.connection, False)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, OSError):
            self.close_connection = True

    def _dispatch(self) -> None:
        self.server.backend._handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def drop(self) -> None:
        """Close the connection without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send(self, status: int, body: Any = None, headers: Optional[dict[str, str]] = None, text: Optional[str] = None) -> None:
        if status == 204:
            payload, ctype = b"", None
        elif text is not None:
            payload, ctype = text.encode(), "text/plain; charset=utf-8"
        else:
            payload, ctype = json.dumps(body, separators=(",", ":")).encode(), "application/json"
        try:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if payload and self.command != "HEAD":
                self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class FakeBackend:
    def __init__(
        self,
        tokens: Optional[dict[str, str]] = None,
        *,
        timestamp_style: str = "Z",
        delete_status: int = 204,
        seed: Optional[int] = None,
    ) -> None:
        assert timestamp_style in ("Z", "+00:00", "naive")
        assert delete_status in (200, 204)
        self.tokens = dict(DEFAULT_TOKENS if tokens is None else tokens)
        self.timestamp_style = timestamp_style
        self.delete_status = delete_status
        self.mode = "ok"  # "ok", "error500", "revoked"
        self.fault: Optional[Callable[[Incoming], Optional[Fault]]] = None
        self.delay: float | tuple[float, float] = 0.0
        self.after_apply: list[Callable[[Recorded], None]] = []
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self.problems: list[str] = []  # exceptions while handling (the fixture fails on any)
        self._idle = threading.Condition(threading.Lock())
        self._in_flight = 0
        self._tasks: dict[int, dict[str, Any]] = {}  # id -> stored task (datetimes inside)
        self._next_id = 1
        self._last_stamp: Optional[datetime] = None
        self._log: list[Recorded] = []
        self._seq = 0
        self._connections: set[socket.socket] = set()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self.port = 0
        self.offline = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "FakeBackend":
        self._listen()
        return self

    def __enter__(self) -> "FakeBackend":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _listen(self) -> None:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.backend = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self.offline = False

    def go_offline(self) -> None:
        """Close the listener and every open connection: connections are refused from now on."""
        with self._lock:
            if self.offline:
                return
            self.offline = True
            server, self._server = self._server, None
            conns = list(self._connections)
        if server is not None:
            server.shutdown()
            server.server_close()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def go_online(self) -> None:
        with self._lock:
            if not self.offline:
                return
            for attempt in range(50):
                try:
                    self._listen()
                    return
                except OSError:
                    if attempt == 49:
                        raise
                    time.sleep(0.05)

    def close(self) -> None:
        self.go_offline()

    def _track(self, conn: socket.socket, opened: bool) -> None:
        with self._lock:
            if opened:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # -- state, as another device (or the test) sees and changes it ----------------------------

    def _stamp(self) -> datetime:
        now = datetime.now(timezone.utc)
        if self._last_stamp is not None and now <= self._last_stamp:
            now = self._last_stamp + timedelta(microseconds=1)
        self._last_stamp = now
        return now

    def _fmt(self, t: datetime) -> str:
        if self.timestamp_style == "naive":
            return t.replace(tzinfo=None).isoformat(timespec="microseconds")
        text = t.isoformat(timespec="microseconds")
        return text.replace("+00:00", "Z") if self.timestamp_style == "Z" else text

    def _json(self, task: dict[str, Any]) -> dict[str, Any]:
        out = dict(task)
        out["created_at"] = self._fmt(task["created_at"])
        out["updated_at"] = self._fmt(task["updated_at"])
        return out

    def create_task(self, user_id: str, title: str, description: Optional[str] = None, completed: bool = False) -> dict[str, Any]:
        with self._lock:
            now = self._stamp()
            task = {
                "id": self._next_id,
                "user_id": user_id,
                "title": title,
                "description": description,
                "completed": completed,
                "created_at": now,
                "updated_at": now,
            }
            self._next_id += 1
            self._tasks[task["id"]] = task
            return self._json(task)

    def edit_task(self, task_id: int, **changes: Any) -> dict[str, Any]:
        """Change title / description / completed directly (bumps updated_at)."""
        assert set(changes) <= {"title", "description", "completed"}, changes
        with self._lock:
            task = self._tasks[task_id]
            task.update(changes)
            task["updated_at"] = self._stamp()
            return self._json(task)

    def delete_task(self, task_id: int) -> None:
        with self._lock:
            del self._tasks[task_id]

    def task(self, task_id: int) -> Optional[dict[str, Any]]:
        with self._lock:
            task = self._tasks.get(task_id)
            return None if task is None else self._json(task)

    def tasks_of(self, user_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [self._json(t) for t in sorted(self._tasks.values(), key=lambda t: t["id"]) if t["user_id"] == user_id]

    def all_tasks(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._json(t) for t in sorted(self._tasks.values(), key=lambda t: t["id"])]

    # -- the request log -------------------------------------------------------------------------

    def mark(self) -> int:
        """A position in the log, for `requests(since=...)`."""
        with self._lock:
            return len(self._log)

    def requests(self, since: int = 0) -> list[Recorded]:
        with self._lock:
            return list(self._log[since:])

    def writes(self, since: int = 0) -> list[Recorded]:
        return [r for r in self.requests(since) if r.is_write]

    def applied_writes(self, since: int = 0) -> list[Recorded]:
        return [r for r in self.requests(since) if r.applied]

    # -- handling ----------------------------------------------------------------------------------

    def _sleep(self, share: float) -> None:
        delay = self.delay
        if isinstance(delay, tuple):
            with self._lock:
                delay = self._rng.uniform(*delay)
        if delay:
            time.sleep(delay * share)

    def wait_idle(self, timeout: float = 10) -> None:
        """Until no request is being handled (e.g. the ones a killed client left behind)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self._in_flight} request(s) still being handled after {timeout} s")
                self._idle.wait(left)

    def _handle(self, h: _Handler) -> None:
        with self._idle:
            self._in_flight += 1
        try:
            self._handle_one(h)
        except Exception as e:  # a bug in the fake or in a test's hook: recorded, not hidden
            self.problems.append(f"{h.command} {h.path}: {type(e).__name__}: {e}\n{traceback.format_exc()}")
            h.drop()
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _handle_one(self, h: _Handler) -> None:
        path = h.path.split("?", 1)[0]
        name, user_raw, task_raw, bad_method = _route(h.command, path)
        with self._lock:
            self._seq += 1
            seq = self._seq
        try:
            raw = h.read_body()
        except (OSError, ValueError):
            h.drop()
            return
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        rec = Recorded(
            seq=seq,
            method=h.command,
            path=h.path,
            route=name,
            user_id=user_raw,
            task_id=_int_or_none(task_raw),
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
        )
        with self._lock:
            self._log.append(rec)
        if self.offline:
            rec.outcome = "dropped"
            h.drop()
            return

        fault = self.fault(Incoming(seq, h.command, path, name, user_raw, rec.task_id)) if self.fault else None
        if fault is Fault.OFFLINE:
            rec.outcome = "dropped"
            self.go_offline()  # before the drop: once the client sees it, the port is closed
            h.drop()
            return
        if fault is Fault.DROP:
            rec.outcome = "dropped"
            h.drop()
            return

        self._sleep(0.5)
        if self.offline:
            rec.outcome = "dropped"
            h.drop()
            return
        try:
            if fault is Fault.ERROR_500 or self.mode == "error500":
                raise _Answer(500, text="Internal Server Error")
            result = self._apply(h, rec, name, user_raw, task_raw, bad_method, raw)
            status, payload = result
        except _Answer as a:
            status, payload = a.status, a
        if rec.applied:
            for hook in list(self.after_apply):
                hook(rec)
        self._sleep(0.5)
        if fault is Fault.DROP_AFTER_APPLY or self.offline:
            rec.outcome = "dropped_after_apply" if rec.applied else "dropped"
            h.drop()
            return
        rec.status = status
        rec.outcome = "answered"
        if isinstance(payload, _Answer):
            rec.response = payload.body if payload.text is None else payload.text
            h.send(payload.status, payload.body, payload.headers, payload.text)
        else:
            rec.response = payload
            h.send(status, payload)

    def _apply(self, h: _Handler, rec: Recorded, name: str, user_raw: Optional[str], task_raw: Optional[str], bad_method: bool, raw: bytes) -> tuple[int, Any]:
        if name == "unknown" and not bad_method:
            raise _Answer(404, {"detail": "Not Found"})
        if bad_method:
            raise _Answer(405, {"detail": "Method Not Allowed"})

        # Authentication (a dependency, so before any validation), then the user check.
        if self.mode == "revoked":
            raise _Answer(401, {"detail": "Token has been revoked"}, {"WWW-Authenticate": "Bearer"})
        auth = h.headers.get("Authorization")
        if not auth:
            raise _Answer(401, {"detail": "Not authenticated"}, {"WWW-Authenticate": "Bearer"})
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Answer(401, {"detail": "Invalid authentication credentials"}, {"WWW-Authenticate": "Bearer"})
        user = self.tokens.get(token.strip())
        if user is None:
            raise _Answer(401, {"detail": "Invalid or expired token"}, {"WWW-Authenticate": "Bearer"})
        if user != user_raw:
            raise _Answer(403, {"detail": "Not authorized to access this user's tasks"})

        # Path and body validation (FastAPI collects both before the endpoint runs).
        errors: list[dict[str, Any]] = []
        task_id = None
        if task_raw is not None:
            task_id = _int_or_none(task_raw)
            if task_id is None:
                errors.append({"type": "int_parsing", "loc": ["path", "task_id"], "msg": "Unable to parse string as an integer", "input": task_raw})
        data = None
        if name in ("create", "update"):
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError as e:
                parsed = None
                errors.append({"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error", "input": {}, "ctx": {"error": str(e)}})
            else:
                if parsed is None:
                    errors.append({"type": "missing", "loc": ["body"], "msg": "Field required", "input": None})
                else:
                    model = TaskCreate if name == "create" else TaskUpdate
                    try:
                        data = model.model_validate(parsed)
                    except ValidationError as e:
                        errors.extend(_validation_error("body", e).body["detail"])
        if errors:
            raise _Answer(422, {"detail": errors})

        with self._lock:
            if name == "list":
                return 200, self.tasks_of(user)
            if name == "create":
                assert isinstance(data, TaskCreate)
                task = self.create_task(user, data.title, data.description)
                rec.applied = True
                return 201, task
            task = self._tasks.get(task_id)  # type: ignore[arg-type]
            if task is None or task["user_id"] != user:
                raise _Answer(404, {"detail": "Task not found"})
            if name == "get":
                return 200, self._json(task)
            if name == "update":
                assert isinstance(data, TaskUpdate)
                changes = data.model_dump(exclude_unset=True)
                # An explicit null title is not a change (the column is NOT NULL); an explicit
                # null description clears it.
                if changes.get("title", "") is None:
                    changes.pop("title")
                if "completed" in changes and changes["completed"] is None:
                    changes.pop("completed")
                task.update(changes)
                task["updated_at"] = self._stamp()
                rec.applied = True
                return 200, self._json(task)
            if name == "delete":
                del self._tasks[task["id"]]
                rec.applied = True
                return self.delete_status, (None if self.delete_status == 204 else {"message": "Task deleted"})
            if name == "toggle":
                task["completed"] = not task["completed"]
                task["updated_at"] = self._stamp()
                rec.applied = True
                return 200, self._json(task)
        raise AssertionError(name)
