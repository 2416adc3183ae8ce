"""A small ChatKit HTTP client for the tests, and strict validation against openai-chatkit's types.

Only the standard library's http.client does HTTP. Every JSON answer and every SSE event is
checked three ways: it validates as the openai-chatkit type; it contains no JSON null; and it
is exactly what openai-chatkit itself would serialize for the same value (its
`ChatKitServer._serialize`: by alias, nulls left out, defaults kept), so a missing required
field, an extra field, or a value of the wrong JSON type is caught even where pydantic's lax
parsing would coerce it. Datetimes must be ISO-8601 strings.
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator
from urllib.parse import urlsplit

from pydantic import BaseModel, TypeAdapter

from chatkit.types import (
    Page,
    SyncCustomActionResponse,
    Thread,
    ThreadItem,
    ThreadStreamEvent,
)

EVENT = TypeAdapter(ThreadStreamEvent)
THREAD = TypeAdapter(Thread)
THREAD_PAGE = TypeAdapter(Page[Thread])
ITEM_PAGE = TypeAdapter(Page[ThreadItem])
SYNC_ACTION = TypeAdapter(SyncCustomActionResponse)


# -- strict validation ---------------------------------------------------------------------


def find_nulls(value: Any, path: str = "$") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in find_nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in find_nulls(v, f"{path}[{i}]")]
    return []


def _is_datetime_key(key: str) -> bool:
    return key == "created_at" or key.endswith("_at") and key != "expires_at"


def json_diff(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences between the canonical serialization and what the server sent."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for k in expected.keys() - actual.keys():
            out.append(f"{path}.{k}: missing (openai-chatkit emits {json.dumps(expected[k])[:80]})")
        for k in actual.keys() - expected.keys():
            out.append(f"{path}.{k}: unexpected field {json.dumps(actual[k])[:80]}")
        for k in expected.keys() & actual.keys():
            sub = f"{path}.{k}"
            if _is_datetime_key(k) and isinstance(expected[k], str):
                if not isinstance(actual[k], str):
                    out.append(f"{sub}: datetime must be an ISO-8601 string, got {actual[k]!r}")
                elif _parse_dt(actual[k]) != _parse_dt(expected[k]):
                    out.append(f"{sub}: {actual[k]!r} != {expected[k]!r}")
            else:
                out.extend(json_diff(expected[k], actual[k], sub))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} elements, canonical form has {len(expected)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in json_diff(e, a, f"{path}[{i}]")]
    if type(expected) is not type(actual) or expected != actual:
        return [f"{path}: {json.dumps(actual)[:80]} (canonical: {json.dumps(expected)[:80]})"]
    return []


def _parse_dt(text: str) -> datetime | str:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text


def canonical(model: Any) -> Any:
    if isinstance(model, BaseModel):
        text = model.model_dump_json(by_alias=True, exclude_none=True, context={"exclude_metadata": True})
    else:
        text = TypeAdapter(type(model)).dump_json(model, by_alias=True, exclude_none=True).decode()
    return json.loads(text)


class ProtocolError(AssertionError):
    pass


def strict(adapter: TypeAdapter, raw: bytes | str, what: str) -> Any:
    """Validate `raw` JSON as `adapter`'s type, with no nulls and in canonical form."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        parsed = json.loads(text)
    except ValueError as e:
        raise ProtocolError(f"{what}: not JSON ({e}): {text[:300]!r}") from None
    nulls = find_nulls(parsed)
    if nulls:
        raise ProtocolError(f"{what}: JSON must omit null fields, found null at {nulls}: {text[:300]}")
    try:
        model = adapter.validate_json(text)
    except Exception as e:  # pydantic.ValidationError
        raise ProtocolError(f"{what}: does not validate as openai-chatkit's type: {e}\n{text[:500]}") from None
    diffs = json_diff(canonical(model), parsed)
    if diffs:
        raise ProtocolError(f"{what}: differs from openai-chatkit's serialization: {diffs}\n{text[:500]}")
    return model


# -- HTTP ----------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.content_type!r}, {self.body[:300]!r})"


@dataclass
class Stream:
    """A complete SSE answer: raw `data:` payloads and the validated events."""

    status: int
    headers: dict[str, str]
    raw: list[str] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def of(self, type_: str) -> list[Any]:
        return [e for e in self.events if e.type == type_]


class Client:
    def __init__(self, url: str, secret: str, timeout: float = 30.0) -> None:
        self.url = url
        parts = urlsplit(url)
        self.host = parts.hostname
        self.port = parts.port
        self.path = parts.path or "/"
        self.secret = secret
        self.timeout = timeout

    # low level

    def _headers(self, auth: bool | str, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "*/*"}
        if auth is True:
            headers["Authorization"] = f"Bearer {self.secret}"
        elif isinstance(auth, str):
            headers["Authorization"] = auth
        headers.update(extra or {})
        return headers

    @staticmethod
    def body_of(op: str | None, params: Any, body: bytes | str | None) -> bytes:
        if body is not None:
            return body.encode() if isinstance(body, str) else body
        payload: dict[str, Any] = {"type": op}
        if params is not ...:
            payload["params"] = params
        return json.dumps(payload).encode()

    def open(
        self,
        op: str | None = None,
        params: Any = ...,
        *,
        body: bytes | str | None = None,
        auth: bool | str = True,
        headers: dict[str, str] | None = None,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse, socket.socket]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        conn.connect()
        sock = conn.sock  # kept: http.client forgets it when the response is read to EOF
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.request("POST", self.path, body=self.body_of(op, params, body), headers=self._headers(auth, headers))
        return conn, conn.getresponse(), sock

    def post(self, op: str | None = None, params: Any = ..., **kw) -> Response:
        conn, resp, _ = self.open(op, params, **kw)
        try:
            data = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    # JSON ops

    def call(self, op: str, params: Any, adapter: TypeAdapter | None = None, **kw) -> Any:
        """A JSON op that must succeed: 200, application/json, strict-validated."""
        r = self.post(op, params, **kw)
        if r.status != 200:
            raise ProtocolError(f"{op} {json.dumps(params)[:200]} -> {r!r}")
        if not r.content_type.startswith("application/json"):
            raise ProtocolError(f"{op}: content-type {r.content_type!r}, expected application/json")
        if adapter is None:
            parsed = r.json()
            if find_nulls(parsed):
                raise ProtocolError(f"{op}: JSON must omit null fields: {r.body[:300]!r}")
            return parsed
        return strict(adapter, r.body, op)

    def get_thread(self, thread_id: str) -> Thread:
        return self.call("threads.get_by_id", {"thread_id": thread_id}, THREAD)

    def list_threads(self, **params) -> Page:
        return self.call("threads.list", params, THREAD_PAGE)

    def list_items(self, thread_id: str, **params) -> Page:
        return self.call("items.list", {"thread_id": thread_id, **params}, ITEM_PAGE)

    def all_threads(self, order: str = "asc", limit: int = 50) -> list[Thread]:
        out, after = [], None
        while True:
            page = self.list_threads(limit=limit, order=order, **({"after": after} if after else {}))
            out.extend(page.data)
            if not page.has_more:
                return out
            if not page.data or page.after is None:
                raise ProtocolError(f"threads.list has_more without rows/after: {page!r}")
            after = page.after

    def all_items(self, thread_id: str, order: str = "asc", limit: int = 50) -> list[Any]:
        out, after = [], None
        while True:
            page = self.list_items(thread_id, limit=limit, order=order, **({"after": after} if after else {}))
            out.extend(page.data)
            if not page.has_more:
                return out
            if not page.data or page.after is None:
                raise ProtocolError(f"items.list has_more without rows/after: {page!r}")
            after = page.after

    def snapshot(self) -> Any:
        """Everything stored that the protocol can see, as plain JSON."""
        threads = self.all_threads()
        return {
            "threads": [canonical(t) for t in threads],
            "items": {t.id: [canonical(i) for i in self.all_items(t.id)] for t in threads},
            "by_id": {t.id: canonical(self.get_thread(t.id)) for t in threads},
        }

    # streaming ops

    def events(self, op: str, params: Any, **kw) -> Iterator[tuple[str, Any]]:
        """Yields (raw json, validated event) as they arrive; closing the generator drops the connection."""
        conn, resp, sock = self.open(op, params, **kw)
        try:
            if resp.status != 200:
                raise ProtocolError(f"{op} -> {resp.status} {resp.read()[:300]!r}")
            ctype = resp.getheader("content-type", "")
            if not ctype.startswith("text/event-stream"):
                raise ProtocolError(f"{op}: content-type {ctype!r}, expected text/event-stream")
            for raw in read_sse(resp):
                yield raw, strict(EVENT, raw, f"{op} event")
        finally:
            drop(conn, resp, sock)

    def stream(self, op: str, params: Any, **kw) -> Stream:
        """A streaming op that must answer 200 text/event-stream; reads it to the end."""
        conn, resp, _ = self.open(op, params, **kw)
        try:
            out = Stream(resp.status, {k.lower(): v for k, v in resp.getheaders()})
            if resp.status != 200:
                raise ProtocolError(f"{op} {json.dumps(params)[:200]} -> {resp.status} {resp.read()[:300]!r}")
            ctype = out.headers.get("content-type", "")
            if not ctype.startswith("text/event-stream"):
                raise ProtocolError(f"{op}: content-type {ctype!r}, expected text/event-stream")
            for raw in read_sse(resp):
                out.raw.append(raw)
                out.events.append(strict(EVENT, raw, f"{op} event"))
            return out
        finally:
            conn.close()


def read_sse(resp: http.client.HTTPResponse) -> Iterator[str]:
    """Frames are exactly `data: <json>\\n\\n`; no event:/id: lines; the stream ends with the response."""
    while True:
        line = resp.readline()
        if not line:
            return
        if not line.startswith(b"data: ") or not line.endswith(b"\n") or line.endswith(b"\r\n"):
            raise ProtocolError(f"SSE line is not `data: <json>\\n`: {line[:200]!r}")
        blank = resp.readline()
        if blank != b"\n":
            raise ProtocolError(f"SSE frame not ended by a blank line: after {line[:80]!r} came {blank[:80]!r}")
        yield line[len(b"data: ") : -1].decode("utf-8")


def drop(conn: http.client.HTTPConnection, resp: http.client.HTTPResponse, sock: socket.socket) -> None:
    """Closes the connection for real (FIN now), as a browser dropping a stream does."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    resp.close()
    conn.close()
    sock.close()


# -- request bodies ------------------------------------------------------------------------


def user_input(text: str) -> dict[str, Any]:
    return {"content": [{"type": "input_text", "text": text}], "attachments": [], "inference_options": {}}


def message_text(item: Any) -> str:
    """Text of a user (input_text parts) or assistant (output_text parts) message item."""
    return "".join(part.text for part in item.content if getattr(part, "type", "") in ("input_text", "output_text"))
