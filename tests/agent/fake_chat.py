"""A fake OpenAI-compatible Chat Completions server on loopback (what llama.cpp's server,
vLLM, LM Studio, Ollama and most gateways speak), scripted per test like fake_responses.py.

    with FakeChat() as fake:
        fake.base_url                     # http://127.0.0.1:<port>/v1
        fake.script(chat_calls(("add_task", {"title": "Milk", "description": None})), chat_text("Done."))
        fake.requests                     # every POST /v1/chat/completions, in order (Recorded)
        fake.route_misses                 # every request to a path this server does not serve
        fake.listings                     # every GET /v1/models

Every streamed chunk is an `openai.types.chat.ChatCompletionChunk`, framed as the real API
frames them: `data: <json>\\n\\n` (no `event:` line), ending with `data: [DONE]`. Tool calls
stream as the real API streams them: the first delta of a call carries its index, id, type
and name with empty arguments, later deltas only the index and a piece of the arguments.

Every chat request is checked: `Authorization: Bearer <key>` (unless the fake takes no key,
like Ollama or LM Studio), JSON, and a body that validates as the package's
`CompletionCreateParamsStreaming` with nothing pydantic had to drop or coerce. `POST
/v1/responses` gets what a server without the Responses API answers (`responses_status`: 404
with a plain-text body, as Ollama's router does, or 405). `GET /v1/models` answers with
`openai.types.Model` entries.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, Callable

from pydantic import BaseModel, TypeAdapter

from openai.types import Model
from openai.types.chat import ChatCompletionChunk
from openai.types.chat.chat_completion_chunk import (
    Choice,
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
)
from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming
from openai.types.completion_usage import CompletionUsage

from fake_responses import (
    FakeResponses,
    HttpError,
    Pause,
    RawFrame,
    Recorded,
    Reply,
    Stream,
    _Handler,
    _read_chunked,
    lossless_diff,
    materialize,
)

CHAT_PARAMS = TypeAdapter(CompletionCreateParamsStreaming)
KNOWN_CHAT_PARAMS: set[str] = set()
for _base in CompletionCreateParamsStreaming.__mro__:
    KNOWN_CHAT_PARAMS |= set(getattr(_base, "__annotations__", {}))

DONE = RawFrame(b"data: [DONE]\n\n")


def validate_chat_body(body: Any) -> list[str]:
    """Problems with a request body as the openai package's `CompletionCreateParamsStreaming`."""
    if not isinstance(body, dict):
        return [f"body is not a JSON object: {body!r:.200}"]
    problems = [f"$.{k}: not a Chat Completions parameter" for k in body.keys() - KNOWN_CHAT_PARAMS]
    try:
        validated = materialize(CHAT_PARAMS.validate_python(body))
    except Exception as e:  # pydantic.ValidationError, also raised while materializing
        return problems + [f"does not validate as CompletionCreateParamsStreaming: {str(e)[:1500]}"]
    return problems + lossless_diff(validated, body)


# -- what the fake received, read as chat ------------------------------------------------------


def messages(rec: Recorded) -> list[dict]:
    return rec.body.get("messages", []) if isinstance(rec.body, dict) else []


def tool_results(rec: Recorded) -> dict[str, Any]:
    """tool_call_id -> parsed content of each role "tool" message, in order."""
    out = {}
    for m in messages(rec):
        if m.get("role") == "tool":
            try:
                out[m["tool_call_id"]] = json.loads(m["content"])
            except (KeyError, TypeError, ValueError):
                out[m.get("tool_call_id")] = m.get("content")
    return out


def simplify_chat(rec: Recorded) -> list[tuple]:
    """The messages as comparable tuples: ("system", text), ("user", text), ("assistant",
    text, [(call_id, name, parsed arguments), ...]), ("tool", call_id, parsed content)."""
    out: list[tuple] = []
    for m in messages(rec):
        role = m.get("role")
        if role == "assistant":
            calls = [(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in m.get("tool_calls") or []]
            out.append(("assistant", m.get("content") or "", calls))
        elif role == "tool":
            out.append(("tool", m["tool_call_id"], tool_results_one(m)))
        else:
            out.append((role, m.get("content")))
    return out


def tool_results_one(m: dict) -> Any:
    try:
        return json.loads(m["content"])
    except (TypeError, ValueError):
        return m["content"]


# -- building streams --------------------------------------------------------------------------


class ChatBuilder:
    """One streamed chat completion: the role chunk, text deltas and/or tool calls, the
    finish, a usage chunk (choices: []), then [DONE]."""

    def __init__(self, request: Recorded | None = None, model: str | None = None) -> None:
        body = request.body if request is not None and isinstance(request.body, dict) else {}
        self.model = model or body.get("model") or "llama3.1"
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.events: list[BaseModel | RawFrame | Pause] = []

    def chunk(self, delta: ChoiceDelta, finish: str | None = None, **extra) -> "ChatBuilder":
        self.events.append(ChatCompletionChunk(
            id=self.id, object="chat.completion.chunk", created=self.created, model=self.model,
            system_fingerprint="fp_fake", service_tier="default",
            choices=[Choice(index=0, delta=delta, finish_reason=finish, logprobs=None)], **extra,
        ))
        return self

    def role(self) -> "ChatBuilder":
        return self.chunk(ChoiceDelta(role="assistant", content="", refusal=None))

    def text(self, deltas: list[str]) -> "ChatBuilder":
        for d in deltas:
            self.chunk(ChoiceDelta(content=d))
        return self

    def tool_calls(self, specs: list[tuple], pieces: int = 3) -> "ChatBuilder":
        """Each call's head (index, id, name), then its arguments in `pieces` parts, the
        calls' parts interleaved: a client must put them together by index."""
        parts: list[list[str]] = []
        for index, spec in enumerate(specs):
            name, arguments = spec[0], spec[1]
            call_id = spec[2] if len(spec) > 2 else "call_" + secrets.token_hex(12)
            self.chunk(ChoiceDelta(tool_calls=[ChoiceDeltaToolCall(
                index=index, id=call_id, type="function", function=ChoiceDeltaToolCallFunction(name=name, arguments=""))]))
            text = arguments if isinstance(arguments, str) else json.dumps(arguments)
            size = max(1, -(-len(text) // pieces))
            parts.append([text[i : i + size] for i in range(0, len(text), size)])
        for round_ in range(max((len(p) for p in parts), default=0)):
            for index, p in enumerate(parts):
                if round_ < len(p):
                    self.chunk(ChoiceDelta(tool_calls=[ChoiceDeltaToolCall(
                        index=index, function=ChoiceDeltaToolCallFunction(arguments=p[round_]))]))
        return self

    def finish(self, reason: str) -> "ChatBuilder":
        return self.chunk(ChoiceDelta(), finish=reason)

    def usage(self) -> "ChatBuilder":
        self.events.append(ChatCompletionChunk(
            id=self.id, object="chat.completion.chunk", created=self.created, model=self.model,
            system_fingerprint="fp_fake", choices=[],
            usage=CompletionUsage(prompt_tokens=321, completion_tokens=45, total_tokens=366),
        ))
        return self

    def done(self) -> "ChatBuilder":
        self.events.append(DONE)
        return self

    def raw(self, data: bytes) -> "ChatBuilder":
        self.events.append(RawFrame(data))
        return self

    def pause(self, seconds: float) -> "ChatBuilder":
        self.events.append(Pause(seconds))
        return self

    def stream(self, end: str = "clean", delay: float = 0.0) -> Stream:
        return ChatStream(self.events, end=end, delay=delay)


class ChatStream(Stream):
    """A Stream whose events are framed as chat chunks (data lines only)."""

    def send(self, handler: _Handler, fake: FakeResponses) -> None:
        framed = [e if isinstance(e, (RawFrame, Pause)) else RawFrame(chat_frame(e)) for e in self.events]
        Stream(framed, end=self.end, delay=self.delay).send(handler, fake)


def chat_frame(chunk: BaseModel) -> bytes:
    return f"data: {chunk.model_dump_json(exclude_unset=True)}\n\n".encode()


def chat_text(*deltas: str) -> Callable[[Recorded], Reply]:
    """A complete answer: these text deltas, finish "stop"."""

    def reply(req: Recorded) -> Reply:
        return ChatBuilder(req).role().text(list(deltas)).finish("stop").usage().done().stream()

    return reply


def chat_calls(*specs: tuple, say: list[str] | None = None) -> Callable[[Recorded], Reply]:
    """A complete answer calling these tools, (name, arguments[, call_id]), optionally after
    some text; finish "tool_calls"."""

    def reply(req: Recorded) -> Reply:
        b = ChatBuilder(req).role()
        if say:
            b.text(say)
        return b.tool_calls(list(specs)).finish("tool_calls").usage().done().stream()

    return reply


# -- real servers' error bodies ----------------------------------------------------------------


def openai_model_not_found(model: str) -> HttpError:
    return HttpError(404, {"error": {
        "message": f"The model `{model}` does not exist or you do not have access to it.",
        "type": "invalid_request_error", "param": None, "code": "model_not_found"}})


def ollama_model_not_found(model: str) -> HttpError:
    return HttpError(404, {"error": {
        "message": f'model "{model}" not found, try pulling it first', "type": "api_error", "param": None, "code": None}})


def ollama_no_tools(model: str) -> HttpError:
    return HttpError(400, {"error": {
        "message": f"registry.ollama.ai/library/{model} does not support tools", "type": "api_error", "param": None, "code": None}})


# -- the server --------------------------------------------------------------------------------


class FakeChat(FakeResponses):
    wire = "chat"

    def __init__(self, api_key: str | None = None, *, keyless: bool = False, models: list[str] | None = None,
                 responses_status: int = 404) -> None:
        super().__init__(api_key)
        self.keyless = keyless
        self.models = models if models is not None else ["llama3.1:8b", "qwen2.5:7b", "gemma3:1b"]
        self.responses_status = responses_status
        self.route_misses: list[Recorded] = []
        self.listings: list[Recorded] = []

    def _auth_problems(self, rec: Recorded) -> list[str]:
        auth = rec.headers.get("authorization")
        if self.keyless:
            return [] if auth is None else [f"Authorization {auth!r} sent to a server that takes no key"]
        return [] if auth == f"Bearer {self.api_key}" else [f"Authorization {auth!r}, expected 'Bearer {self.api_key}'"]

    def _check(self, rec: Recorded) -> list[str]:
        p = []
        if rec.method != "POST":
            p.append(f"method {rec.method}, expected POST")
        if rec.path != "/v1/chat/completions":
            p.append(f"path {rec.path!r}, expected '/v1/chat/completions'")
        p += self._auth_problems(rec)
        ctype = rec.headers.get("content-type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            p.append(f"Content-Type {ctype!r}, expected application/json")
        if rec.body is None:
            p.append(f"body is not JSON: {rec.raw[:200]!r}")
        else:
            p.extend(validate_chat_body(rec.body))
        return p

    def _handle(self, h: _Handler) -> None:
        if h.path == "/v1/chat/completions":
            return super()._handle(h)
        length = int(h.headers.get("Content-Length") or 0)
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = _read_chunked(h.rfile)
        else:
            raw = h.rfile.read(length) if length else b""
        with self._arrived:
            rec = Recorded(len(self.route_misses) + len(self.listings), h.command, h.path,
                           {k.lower(): v for k, v in h.headers.items()}, raw, None, time.monotonic())
            self._arrived.notify_all()
        try:
            if h.command == "GET" and h.path == "/v1/models":
                self.listings.append(rec)
                problems = self._auth_problems(rec)
                if problems:
                    return HttpError(401).send(h, self)
                data = [json.loads(Model(id=m, created=1_700_000_000, object="model", owned_by="library").model_dump_json())
                        for m in self.models]
                return HttpError(200, {"object": "list", "data": data}).send(h, self)
            self.route_misses.append(rec)
            if h.path == "/v1/responses" and self.responses_status == 405:
                return HttpError(405, {"detail": "Method Not Allowed"}).send(h, self)
            HttpError(404, b"404 page not found").send(h, self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            h.close_connection = True
