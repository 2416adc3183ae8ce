"""Fake servers on loopback for the session broker's connections, speaking the real wire shapes.

    with FakeBackend() as backend:          # a Better Auth + FastAPI-style team backend
        backend.url                         # http://127.0.0.1:<port>
        backend.add_user("alice@example.com", "correct horse", "user_alice")
        backend.mint_token("user_alice", lifetime=900)   # a JWT the backend accepts
        backend.log                         # every request received (Recorded), in order
        backend.problems                    # protocol violations seen (must end up empty)

    with FakeOpenAI() as openai:            # OpenAI's hosted ChatKit sessions endpoints
        openai.base_url                     # http://127.0.0.1:<port>/v1
        openai.api_keys.add("sk-...")

FakeBackend serves:
- `POST /api/auth/sign-in/email` (Better Auth's email sign-in): JSON `{"email", "password"}`;
  200 with Better Auth's body `{"redirect": false, "token", "user"}` and a signed session cookie
  `better-auth.session_token=<token>.<sig>; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax`
  (the signature is base64 and URL-encoded, so the value carries `%2F`/`%3D` as Better Auth's
  do); a wrong password gets Better Auth's 401 `{"code": "INVALID_EMAIL_OR_PASSWORD", ...}`.
- `GET /api/auth/token` (Better Auth's JWT plugin): with a live session cookie, `{"token": JWT}`;
  the JWT is EdDSA (Ed25519, the plugin's default) or HS256 (`jwt_alg`), with the plugin's
  claims: the user's fields, `iat`, `iss`, `aud`, `exp`, `sub`. Without one, 401.
- `POST /api/chatkit/session` (the seeds' session endpoint): `Authorization: Bearer <token>`;
  answers a new client secret in the shape `session_shape` names (see SHAPES).
- `POST /api/chatkit/refresh`: when `refresh_enabled`, body `{"client_secret": <current>}`;
  otherwise 404 like FastAPI's unknown route.
- `POST /chatkit` and `POST /api/chatkit` (a ChatKit server endpoint): the body must validate
  as openai-chatkit's `ChatKitReq`; streaming ops answer a chunked `text/event-stream` whose
  events are built from openai-chatkit's types, `event_delay` seconds apart; JSON ops answer
  JSON. The time each event was written is in `backend.sent`.
`backend.fail(path, 429, 429, ...)` makes the next requests to `path` answer those statuses.

FakeOpenAI serves `POST /v1/chatkit/sessions` and `POST /v1/chatkit/sessions/{id}/cancel`,
answering the `openai` package's `ChatSession` (with its null fields, as the API sends them)
and OpenAI's error bodies (`{"error": ErrorObject}`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import re
import secrets
import socket
import threading
import time
import urllib.parse
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from pydantic import TypeAdapter

with warnings.catch_warnings():
    # openai-chatkit's widget module warns on import; it is not ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit.types import (
        ActiveStatus,
        AssistantMessageContent,
        AssistantMessageContentPartAdded,
        AssistantMessageContentPartDone,
        AssistantMessageContentPartTextDelta,
        AssistantMessageItem,
        ChatKitReq,
        InferenceOptions,
        Page,
        StreamOptions,
        StreamOptionsEvent,
        Thread,
        ThreadCreatedEvent,
        ThreadItemAddedEvent,
        ThreadItemDoneEvent,
        ThreadItemUpdatedEvent,
        ThreadMetadata,
        ThreadUpdatedEvent,
        UserMessageItem,
        UserMessageTextContent,
        is_streaming_req,
    )

from openai.types.beta.chatkit import ChatSession
from openai.types.beta.chatkit.chat_session_automatic_thread_titling import ChatSessionAutomaticThreadTitling
from openai.types.beta.chatkit.chat_session_chatkit_configuration import ChatSessionChatKitConfiguration
from openai.types.beta.chatkit.chat_session_file_upload import ChatSessionFileUpload
from openai.types.beta.chatkit.chat_session_history import ChatSessionHistory
from openai.types.beta.chatkit.chat_session_rate_limits import ChatSessionRateLimits
from openai.types.beta.chatkit.session_create_params import SessionCreateParams
from openai.types.beta.chatkit_workflow import ChatKitWorkflow, Tracing
from openai.types.shared.error_object import ErrorObject

CHATKIT_REQ = TypeAdapter(ChatKitReq)
SESSION_CREATE = TypeAdapter(SessionCreateParams)

# The session endpoint's answer shapes: the contract's four, then the seeds' (with their extras).
SHAPES = ("plain", "expires", "data", "object", "seed001", "seed002", "seed003")
SHAPES_WITH_EXPIRY = ("expires", "data", "object", "seed001")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def free_port_url() -> str:
    """http://127.0.0.1:<port> where nothing listens (a backend that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- what a fake received ------------------------------------------------------------------------


@dataclass
class Recorded:
    index: int
    method: str
    path: str  # with the query string, as sent
    header_list: list[tuple[str, str]]  # as sent, in order
    raw: bytes
    at: float  # time.monotonic() when the body had arrived

    def header(self, name: str) -> Optional[str]:
        """The header's only value; None when absent. Fails on a repeated header."""
        values = self.headers_named(name)
        assert len(values) <= 1, f"{self.method} {self.path}: header {name} sent {len(values)} times: {values}"
        return values[0] if values else None

    def headers_named(self, name: str) -> list[str]:
        return [v for k, v in self.header_list if k.lower() == name.lower()]

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    def __repr__(self) -> str:
        return f"<{self.index}: {self.method} {self.path} {self.raw[:200]!r}>"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _serve(self) -> None:
        fake = self.server.fake
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = _read_chunked(self.rfile)
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with fake.lock:
            rec = Recorded(len(fake.log), self.command, self.path, list(self.headers.items()), raw, time.monotonic())
            fake.log.append(rec)
        try:
            fake.handle(rec, self)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    # -- answers --

    def send_json(self, status: int, body: Any, headers: list[tuple[str, str]] = ()) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


def _read_chunked(rfile) -> bytes:
    out = b""
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return out
        out += rfile.read(size)
        rfile.readline()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: "_Fake") -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class _Fake:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.log: list[Recorded] = []
        self.problems: list[str] = []
        self._fail: dict[str, list[int]] = {}
        self._server: Optional[_Server] = None

    # -- lifecycle --

    def start(self) -> "_Fake":
        self._server = _Server(self)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def close(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def url(self) -> str:
        assert self._server, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- switches and log --

    def fail(self, path: str, *statuses: int) -> None:
        """The next len(statuses) requests to `path` (no query) answer these statuses, in order."""
        with self.lock:
            self._fail.setdefault(path, []).extend(statuses)

    def _take_failure(self, path: str) -> Optional[int]:
        with self.lock:
            queue = self._fail.get(path)
            return queue.pop(0) if queue else None

    def requests_to(self, path: str, method: Optional[str] = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.log if r.path.split("?")[0] == path and (method is None or r.method == method)]

    def problem(self, rec: Recorded, text: str) -> None:
        with self.lock:
            self.problems.append(f"{rec.method} {rec.path}: {text}")

    def handle(self, rec: Recorded, h: _Handler) -> None:
        raise NotImplementedError


# -- the team backend ------------------------------------------------------------------------------


@dataclass
class User:
    id: str
    email: str
    password: str
    name: str


class FakeBackend(_Fake):
    COOKIE_NAME = "better-auth.session_token"

    def __init__(self, jwt_alg: str = "EdDSA") -> None:
        super().__init__()
        self.users: dict[str, User] = {}
        self.add_user("alice@example.com", "correct horse battery", "user_alice", "Alice")
        self.jwt_alg = jwt_alg
        self.jwt_lifetime = 900  # the JWT plugin's default 15 minutes
        self.sessions: dict[str, str] = {}  # session token -> user id
        self.cookie_secret = secrets.token_bytes(32)
        self.hs256_secret = secrets.token_bytes(32)
        self._ed_key = None
        self.kid = secrets.token_hex(8)
        self.tokens: dict[str, str] = {}  # bearer tokens the API accepts -> user id
        self.session_shape = "expires"
        self.secret_lifetime = 600
        self.session_delay = 0.0
        self.refresh_enabled = True
        self.secrets: list[str] = []  # client secrets issued, in order
        self.event_delay = 0.3
        self.sent: list[float] = []  # monotonic time each SSE event of the last stream was written
        self.stream_done_at: Optional[float] = None
        self.threads: list[Thread] = []
        self._payloads: list[str] = []
        self.issued: list[str] = []  # JWTs /api/auth/token answered, in order

    def add_user(self, email: str, password: str, user_id: str, name: str = "") -> User:
        user = User(user_id, email, password, name or email.split("@")[0])
        self.users[email] = user
        return user

    # -- Better Auth --

    def _jwt(self, user: User, lifetime: int) -> str:
        now = int(time.time())
        claims = {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "emailVerified": True,
            "image": None,
            "createdAt": "2026-01-30T09:00:00.000Z",
            "updatedAt": "2026-01-30T09:00:00.000Z",
            "iat": now,
            "iss": self.url,
            "aud": self.url,
            "exp": now + lifetime,
            "sub": user.id,
        }
        if self.jwt_alg == "HS256":
            header = {"alg": "HS256", "typ": "JWT"}
            signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
            sig = hmac.new(self.hs256_secret, signing_input.encode(), hashlib.sha256).digest()
        else:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            if self._ed_key is None:
                self._ed_key = Ed25519PrivateKey.generate()
            header = {"alg": "EdDSA", "kid": self.kid}
            signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
            sig = self._ed_key.sign(signing_input.encode())
        return f"{signing_input}.{b64url(sig)}"

    def mint_token(self, user_id: str = "user_alice", lifetime: int = 900) -> str:
        """A JWT for this user, accepted as a bearer token from now on."""
        user = next(u for u in self.users.values() if u.id == user_id)
        token = self._jwt(user, lifetime)
        with self.lock:
            self.tokens[token] = user.id
        return token

    def accept_token(self, token: str, user_id: str = "user_alice") -> None:
        with self.lock:
            self.tokens[token] = user_id

    def revoke_sessions(self) -> None:
        """Sign every session out (e.g. the user signed out elsewhere, or it expired)."""
        with self.lock:
            self.sessions.clear()

    def session_cookies(self) -> list[str]:
        """`name=value` of every live session cookie issued, as a client must send it back."""
        with self.lock:
            return [f"{self.COOKIE_NAME}={self._signed(t)}" for t in self.sessions]

    def _signed(self, session_token: str) -> str:
        sig = base64.b64encode(hmac.new(self.cookie_secret, session_token.encode(), hashlib.sha256).digest()).decode()
        return urllib.parse.quote(f"{session_token}.{sig}", safe="")

    def _session_user(self, rec: Recorded) -> Optional[User]:
        cookie_headers = rec.headers_named("Cookie")
        if len(cookie_headers) > 1:
            self.problem(rec, f"Cookie header sent {len(cookie_headers)} times")
        for header in cookie_headers:
            for part in header.split(";"):
                name, _, value = part.strip().partition("=")
                if name != self.COOKIE_NAME:
                    continue
                token, _, _sig = urllib.parse.unquote(value).partition(".")
                with self.lock:
                    user_id = self.sessions.get(token)
                if user_id and value == self._signed(token):
                    return next(u for u in self.users.values() if u.id == user_id)
        return None

    def _bearer_user(self, rec: Recorded) -> Optional[str]:
        auth = rec.header("Authorization") or ""
        if not auth.startswith("Bearer "):
            return None
        token = auth[len("Bearer "):]
        with self.lock:
            user_id = self.tokens.get(token)
        if user_id is None:
            return None
        if token.count(".") == 2:
            try:
                if jwt_claims(token).get("exp", 1 << 62) < time.time():
                    return None
            except ValueError:
                pass
        return user_id

    # -- routing --

    def handle(self, rec: Recorded, h: _Handler) -> None:
        path = rec.path.split("?")[0]
        failure = self._take_failure(path)
        if failure is not None:
            return self._error(h, failure)
        route = (rec.method, path)
        if route == ("POST", "/api/auth/sign-in/email"):
            return self._sign_in(rec, h)
        if route == ("GET", "/api/auth/token"):
            return self._token(rec, h)
        if route == ("POST", "/api/chatkit/session"):
            return self._session(rec, h)
        if route == ("POST", "/api/chatkit/refresh") and self.refresh_enabled:
            return self._refresh(rec, h)
        if rec.method == "POST" and path in ("/chatkit", "/api/chatkit"):
            return self._chatkit(rec, h)
        if route != ("POST", "/api/chatkit/refresh"):
            self.problem(rec, "no such route")
        h.send_json(404, {"detail": "Not Found"})

    def _error(self, h: _Handler, status: int) -> None:
        detail = {
            401: "Not authenticated",
            403: "Forbidden",
            429: "Rate limit exceeded: 10 per 1 minute",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }.get(status, "Error")
        headers = [("WWW-Authenticate", "Bearer")] if status == 401 else []
        h.send_json(status, {"detail": detail}, headers)

    def _json_body(self, rec: Recorded) -> Any:
        ctype = rec.header("Content-Type") or ""
        if ctype.split(";")[0].strip().lower() != "application/json":
            self.problem(rec, f"Content-Type is {ctype!r}, not application/json")
        try:
            return json.loads(rec.raw)
        except ValueError:
            self.problem(rec, f"body is not JSON: {rec.raw[:200]!r}")
            return None

    def _sign_in(self, rec: Recorded, h: _Handler) -> None:
        body = self._json_body(rec)
        if not isinstance(body, dict) or not isinstance(body.get("email"), str) or not isinstance(body.get("password"), str):
            self.problem(rec, f"sign-in body is not {{email, password}}: {rec.raw[:200]!r}")
            return h.send_json(400, {"code": "VALIDATION_ERROR", "message": "Invalid body"})
        user = self.users.get(body["email"])
        if user is None or user.password != body["password"]:
            return h.send_json(401, {"code": "INVALID_EMAIL_OR_PASSWORD", "message": "Invalid email or password"})
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[token] = user.id
        cookie = f"{self.COOKIE_NAME}={self._signed(token)}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
        h.send_json(
            200,
            {
                "redirect": False,
                "token": token,
                "user": {
                    "id": user.id,
                    "email": user.email,
                    "name": user.name,
                    "image": None,
                    "emailVerified": True,
                    "createdAt": "2026-01-30T09:00:00.000Z",
                    "updatedAt": "2026-01-30T09:00:00.000Z",
                },
            },
            [("Set-Cookie", cookie)],
        )

    def _token(self, rec: Recorded, h: _Handler) -> None:
        user = self._session_user(rec)
        if user is None:
            return h.send_json(401, {"code": "UNAUTHORIZED", "message": "Unauthorized"})
        token = self._jwt(user, self.jwt_lifetime)
        with self.lock:
            self.tokens[token] = user.id
            self.issued.append(token)
        h.send_json(200, {"token": token})

    # -- client secrets --

    def _new_secret(self, user_id: str) -> tuple[str, int]:
        # The seeds' backends mint an HS256 JWT as the client secret; any opaque string works.
        secret = f"cs_{secrets.token_hex(20)}"
        with self.lock:
            self.secrets.append(secret)
        return secret, int(time.time()) + self.secret_lifetime

    def _shaped(self, secret: str, expires_at: int, user_id: str) -> dict[str, Any]:
        session_id = f"ses_{secrets.token_hex(12)}"
        return {
            "plain": {"client_secret": secret},
            "expires": {"client_secret": secret, "expires_at": expires_at},
            "data": {"data": {"client_secret": secret, "expires_at": expires_at}},
            "object": {"client_secret": {"value": secret, "expires_at": expires_at}},
            "seed001": {"client_secret": secret, "session_id": session_id, "expires_at": expires_at},
            "seed002": {"status": "success", "data": {"client_secret": secret, "session_id": session_id}},
            "seed003": {"client_secret": secret, "user_id": user_id},
        }[self.session_shape]

    def _session(self, rec: Recorded, h: _Handler) -> None:
        if rec.raw.strip():
            self._json_body(rec)
        user_id = self._bearer_user(rec)
        if user_id is None:
            return self._error(h, 401)
        if self.session_delay:
            time.sleep(self.session_delay)
        secret, expires_at = self._new_secret(user_id)
        h.send_json(200, self._shaped(secret, expires_at, user_id))

    def _refresh(self, rec: Recorded, h: _Handler) -> None:
        body = self._json_body(rec)
        user_id = self._bearer_user(rec)
        if user_id is None:
            return self._error(h, 401)
        if not isinstance(body, dict) or not isinstance(body.get("client_secret"), str):
            self.problem(rec, f"refresh body has no client_secret: {rec.raw[:200]!r}")
            return h.send_json(422, {"detail": [{"loc": ["body", "client_secret"], "msg": "Field required", "type": "missing"}]})
        if body["client_secret"] not in self.secrets:
            return h.send_json(401, {"detail": "Unknown client secret"})
        secret, expires_at = self._new_secret(user_id)
        h.send_json(200, {"client_secret": secret, "expires_at": expires_at, "user_id": user_id})

    # -- the ChatKit endpoint --

    def _chatkit(self, rec: Recorded, h: _Handler) -> None:
        body = self._json_body(rec)
        if body is None:
            return h.send_json(400, {"detail": "Invalid JSON"})
        try:
            req = CHATKIT_REQ.validate_json(rec.raw)
        except Exception as e:  # pydantic.ValidationError
            self.problem(rec, f"not a ChatKitReq: {str(e)[:500]}")
            return h.send_json(400, {"detail": "Invalid ChatKit request"})
        if self._bearer_user(rec) is None:
            return self._error(h, 401)
        if is_streaming_req(req):
            return self._stream(h, self._events(req))
        if req.type == "threads.list":
            with self.lock:
                page = Page[Thread](data=list(reversed(self.threads)), has_more=False)
            return self._send_model(h, page)
        if req.type == "threads.get_by_id":
            with self.lock:
                found = [t for t in self.threads if t.id == req.params.thread_id]
            if not found:
                return h.send_json(404, {"detail": "Thread not found"})
            return self._send_model(h, found[0])
        return h.send_json(200, {})

    @staticmethod
    def _dump(model: Any) -> bytes:
        # As openai-chatkit's ChatKitServer serializes: by alias, nulls left out.
        return model.model_dump_json(by_alias=True, exclude_none=True, context={"exclude_metadata": True}).encode()

    def _send_model(self, h: _Handler, model: Any) -> None:
        data = self._dump(model)
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()

    def _events(self, req: Any) -> list[Any]:
        now = datetime.now(timezone.utc)
        if req.type == "threads.create":
            thread_id = f"thr_{secrets.token_hex(4)}"
            text = req.params.input.content[0].text if req.params.input.content else ""
        else:
            thread_id = getattr(req.params, "thread_id", f"thr_{secrets.token_hex(4)}")
            text = "(continued)"
        thread = Thread(id=thread_id, created_at=now, status=ActiveStatus(), items=Page(data=[]))
        user_item = UserMessageItem(
            id=f"msg_{secrets.token_hex(4)}",
            thread_id=thread_id,
            created_at=now,
            content=[UserMessageTextContent(text=text)],
            inference_options=InferenceOptions(),
        )
        reply_id = f"msg_{secrets.token_hex(4)}"
        empty = AssistantMessageItem(id=reply_id, thread_id=thread_id, created_at=now, content=[])
        words = ["Added ", "“Milk” ", "to your tasks."]
        done = AssistantMessageItem(
            id=reply_id, thread_id=thread_id, created_at=now, content=[AssistantMessageContent(text="".join(words))]
        )
        events: list[Any] = []
        if req.type == "threads.create":
            events.append(ThreadCreatedEvent(thread=thread))
        events += [
            ThreadItemDoneEvent(item=user_item),
            StreamOptionsEvent(stream_options=StreamOptions(allow_cancel=True)),
            ThreadItemAddedEvent(item=empty),
            ThreadItemUpdatedEvent(
                item_id=reply_id,
                update=AssistantMessageContentPartAdded(content_index=0, content=AssistantMessageContent(text="")),
            ),
        ]
        events += [
            ThreadItemUpdatedEvent(item_id=reply_id, update=AssistantMessageContentPartTextDelta(content_index=0, delta=w))
            for w in words
        ]
        events += [
            ThreadItemUpdatedEvent(
                item_id=reply_id,
                update=AssistantMessageContentPartDone(content_index=0, content=done.content[0]),
            ),
            ThreadItemDoneEvent(item=done),
        ]
        titled = ThreadMetadata(id=thread_id, created_at=now, title="Milk")
        events.append(ThreadUpdatedEvent(thread=Thread(**titled.model_dump(), items=Page(data=[]))))
        with self.lock:
            self.threads.append(Thread(**titled.model_dump(), items=Page(data=[])))
        return events

    def stream_payloads(self) -> list[str]:
        """The `data:` payloads of the last stream, as sent."""
        with self.lock:
            return list(self._payloads)

    def _stream(self, h: _Handler, events: list[Any]) -> None:
        payloads = [self._dump(e).decode() for e in events]
        with self.lock:
            self._payloads = payloads
            self.sent = []
            self.stream_done_at = None
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()
        # A keep-alive comment first, as sse-starlette sends them; a client must skip it.
        h.write_chunk(b": ping\n\n")
        for i, payload in enumerate(payloads):
            if i:
                time.sleep(self.event_delay)
            frame = b"data: " + payload.encode() + b"\n\n"
            if i == 1:
                # One frame split across two chunks: the relay must reassemble lines.
                cut = len(frame) // 2
                h.write_chunk(frame[:cut])
                time.sleep(0.02)
                h.write_chunk(frame[cut:])
            else:
                h.write_chunk(frame)
            with self.lock:
                self.sent.append(time.monotonic())
        h.write_chunk(b"")  # the terminating zero-length chunk
        with self.lock:
            self.stream_done_at = time.monotonic()


# -- OpenAI's hosted ChatKit sessions ----------------------------------------------------------------


def openai_error(message: str, type_: str, code: Optional[str] = None, param: Optional[str] = None) -> dict:
    """OpenAI's error body; like the API, it carries its null fields."""
    err = ErrorObject(message=message, type=type_, code=code, param=param)
    return {"error": err.model_dump(mode="json", exclude={"misalignment"})}


class FakeOpenAI(_Fake):
    def __init__(self) -> None:
        super().__init__()
        self.api_keys: set[str] = set()
        self.workflows: set[str] = {"wf_68e0c1a2b3c4d5e6f7a8b9c0d1e2f3a4"}
        self.sessions: dict[str, ChatSession] = {}

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def handle(self, rec: Recorded, h: _Handler) -> None:
        path = rec.path.split("?")[0]
        headers = [("x-request-id", f"req_{secrets.token_hex(16)}"), ("openai-processing-ms", "87")]
        failure = self._take_failure(path)
        if failure is not None:
            return h.send_json(failure, self._failure_body(failure), headers)
        auth = rec.header("Authorization") or ""
        key = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        if key not in self.api_keys:
            masked = f"{key[:6]}{'*' * max(len(key) - 10, 0)}{key[-4:]}" if key else ""
            return h.send_json(
                401,
                openai_error(
                    f"Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com/account/api-keys.",
                    "invalid_request_error",
                    "invalid_api_key",
                ),
                headers,
            )
        if rec.header("OpenAI-Beta") != "chatkit_beta=v1":
            self.problem(rec, f"OpenAI-Beta is {rec.header('OpenAI-Beta')!r}")
            return h.send_json(400, openai_error("ChatKit is in beta: send the header OpenAI-Beta: chatkit_beta=v1.", "invalid_request_error"), headers)
        if rec.method == "POST" and path == "/v1/chatkit/sessions":
            return self._create(rec, h, headers)
        m = re.fullmatch(r"/v1/chatkit/sessions/([^/]+)/cancel", path)
        if rec.method == "POST" and m:
            return self._cancel(urllib.parse.unquote(m.group(1)), h, headers)
        self.problem(rec, "no such route")
        h.send_json(404, openai_error(f"Invalid URL ({rec.method} {path})", "invalid_request_error"), headers)

    @staticmethod
    def _failure_body(status: int) -> dict:
        if status == 429:
            return openai_error(
                "Rate limit reached for requests. Limit: 10 / min. Please try again in 6s.", "requests", "rate_limit_exceeded"
            )
        if status == 403:
            return openai_error("You are not allowed to access ChatKit with this project.", "invalid_request_error", "forbidden")
        if status >= 500:
            return openai_error("The server had an error while processing your request. Sorry about that!", "server_error")
        return openai_error("Bad request.", "invalid_request_error")

    def _create(self, rec: Recorded, h: _Handler, headers: list) -> None:
        try:
            body = json.loads(rec.raw)
            params = SESSION_CREATE.validate_python(body)
            unknown = set(body) - set(SessionCreateParams.__annotations__)
            if unknown:
                raise ValueError(f"unknown parameters {sorted(unknown)}")
        except Exception as e:
            self.problem(rec, f"invalid body: {e}")
            return h.send_json(400, openai_error(f"Invalid request body: {str(e)[:200]}", "invalid_request_error"), headers)
        workflow = params["workflow"]
        if workflow["id"] not in self.workflows:
            return h.send_json(
                404,
                openai_error(f"Workflow with id '{workflow['id']}' not found.", "invalid_request_error", param="workflow.id"),
                headers,
            )
        lifetime = params.get("expires_after", {}).get("seconds", 600)
        session = ChatSession(
            id=f"cksess_{secrets.token_hex(20)}",
            object="chatkit.session",
            client_secret=f"ek_{secrets.token_hex(24)}",
            expires_at=int(time.time()) + lifetime,
            max_requests_per_1_minute=10,
            rate_limits=ChatSessionRateLimits(max_requests_per_1_minute=10),
            status="active",
            user=params["user"],
            workflow=ChatKitWorkflow(
                id=workflow["id"],
                version=workflow.get("version"),
                state_variables=workflow.get("state_variables"),
                tracing=Tracing(enabled=True),
            ),
            chatkit_configuration=ChatSessionChatKitConfiguration(
                automatic_thread_titling=ChatSessionAutomaticThreadTitling(enabled=True),
                file_upload=ChatSessionFileUpload(enabled=False, max_file_size=512, max_files=10),
                history=ChatSessionHistory(enabled=True, recent_threads=None),
            ),
        )
        with self.lock:
            self.sessions[session.id] = session
        h.send_json(200, session.model_dump(mode="json"), headers)

    def _cancel(self, session_id: str, h: _Handler, headers: list) -> None:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is not None:
                session = session.model_copy(update={"status": "cancelled"})
                self.sessions[session_id] = session
        if session is None:
            return h.send_json(
                404, openai_error(f"Session with id '{session_id}' not found.", "invalid_request_error"), headers
            )
        h.send_json(200, session.model_dump(mode="json"), headers)


# -- helpers for the tests -----------------------------------------------------------------------------


def unix(value: Any) -> int:
    """A printed `expires_at` as unix seconds: a number, or an ISO-8601 string."""
    if isinstance(value, bool) or value is None:
        raise AssertionError(f"expires_at is {value!r}, not a time")
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    raise AssertionError(f"expires_at is {value!r}, not a time")
