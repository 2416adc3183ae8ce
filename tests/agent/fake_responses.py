"""A fake OpenAI Responses API on loopback, scripted per test, speaking the real wire format.

    with FakeResponses() as fake:
        fake.base_url                    # http://127.0.0.1:<port>/v1, for OPENAI_BASE_URL
        fake.script(calls(("add_task", {"title": "Milk", "description": None})), text("Done."))
        ... drive the agent ...
        fake.requests                    # every request received, in order (Recorded)
        fake.problems                    # what was wrong with them (must end up empty)

Every streamed event is built from the `openai` package's own types
(`openai.types.responses.*`) and framed as the real API frames it: `event: <type>\\n`,
`data: <json>\\n\\n`, in a chunked `text/event-stream` body. Like the real API, the `Response`
objects carry their null fields (`"error": null`, ...) and delta events carry
`logprobs: []` and an `obfuscation` string, so a client must tolerate both.

Every request is checked: `POST /v1/responses`, `Authorization: Bearer <key>`,
`Content-Type: application/json`, and a body that validates as the package's
`ResponseCreateParamsStreaming` with no field the type does not know (a body pydantic would
only accept by dropping or coercing something counts as invalid). An invalid body gets the
real API's 400 answer; every problem is recorded in `fake.problems`. A request with nothing
left in the script is a problem too (answered 400, so the agent does not retry it).

A script entry is a `Reply`, or a function `(Recorded) -> Reply` that can read the request
(e.g. to find a task id in an earlier function_call_output). Replies: `Stream` (events, then
a clean end, an abrupt cut, or a stall), `HttpError`, `Hang`. Builders: `text`, `calls`,
`ResponseBuilder` for anything else.
"""

from __future__ import annotations

import http.server
import itertools
import json
import queue
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Union

from pydantic import BaseModel, TypeAdapter

from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseUsage,
)
from openai.types import Model
from openai.types.responses.response_create_params import ResponseCreateParamsStreaming
from openai.types.responses.response_error import ResponseError
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

CREATE_PARAMS = TypeAdapter(ResponseCreateParamsStreaming)
KNOWN_PARAMS = set(ResponseCreateParamsStreaming.__annotations__)
for _base in ResponseCreateParamsStreaming.__mro__:
    KNOWN_PARAMS |= set(getattr(_base, "__annotations__", {}))


def _rid(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


# -- validation of what the agent sends --------------------------------------------------------


def materialize(value: Any) -> Any:
    """pydantic validates `Iterable[...]` fields lazily; force them (and so their validation)."""
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [materialize(v) for v in value]
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    if isinstance(value, Iterable):
        return [materialize(v) for v in value]
    return value


def lossless_diff(validated: Any, original: Any, path: str = "$") -> list[str]:
    """What pydantic's lax validation dropped or coerced (extra keys, "true" for true, ...)."""
    if isinstance(validated, dict) and isinstance(original, dict):
        out = [f"{path}.{k}: unknown field {json.dumps(original[k])[:80]}" for k in original.keys() - validated.keys()]
        for k in validated.keys() & original.keys():
            out.extend(lossless_diff(validated[k], original[k], f"{path}.{k}"))
        return out
    if isinstance(validated, list) and isinstance(original, list):
        if len(validated) != len(original):
            return [f"{path}: length changed in validation"]
        return [d for i, (v, o) in enumerate(zip(validated, original)) for d in lossless_diff(v, o, f"{path}[{i}]")]
    if type(validated) is not type(original) or validated != original:
        return [f"{path}: {json.dumps(original)[:80]} is not of the declared type (coerced to {validated!r:.80})"]
    return []


def validate_body(body: Any) -> list[str]:
    """Problems with a request body as the openai package's `ResponseCreateParamsStreaming`."""
    if not isinstance(body, dict):
        return [f"body is not a JSON object: {body!r:.200}"]
    problems = [f"$.{k}: not a Responses API parameter" for k in body.keys() - KNOWN_PARAMS]
    try:
        validated = materialize(CREATE_PARAMS.validate_python(body))
    except Exception as e:  # pydantic.ValidationError, also raised while materializing
        text = str(e)
        return problems + [f"does not validate as ResponseCreateParamsStreaming: {text[:1500]}"]
    return problems + lossless_diff(validated, body)


# -- what the fake received --------------------------------------------------------------------


@dataclass
class Recorded:
    index: int  # 0-based, in arrival order
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    raw: bytes
    body: Any  # parsed JSON, or None
    at: float  # time.monotonic() when the body had arrived
    problems: list[str] = field(default_factory=list)

    @property
    def input(self) -> list[dict]:
        return self.body.get("input", []) if isinstance(self.body, dict) else []

    def outputs(self) -> dict[str, Any]:
        """call_id -> parsed function_call_output output, in input order."""
        out = {}
        for item in self.input:
            if item.get("type") == "function_call_output":
                try:
                    out[item["call_id"]] = json.loads(item["output"])
                except (KeyError, TypeError, ValueError):
                    out[item.get("call_id")] = item.get("output")
        return out

    def calls(self) -> list[dict]:
        """The function_call items in the input, in order."""
        return [i for i in self.input if i.get("type") == "function_call"]


# -- replies -----------------------------------------------------------------------------------


class Reply:
    def send(self, handler: "_Handler", fake: "FakeResponses") -> None:
        raise NotImplementedError


@dataclass
class RawFrame:
    """A frame sent as-is (for malformed SSE)."""

    data: bytes


@dataclass
class Pause:
    """Not sent: the stream waits this long (or until the fake closes) before the next event."""

    seconds: float


@dataclass
class Stream(Reply):
    """200 text/event-stream with these events. `end`: "clean" (terminating chunk), "cut" (the
    connection is closed mid-body, without the terminating chunk), or "stall" (nothing more is
    sent until the fake is closed)."""

    events: list[BaseModel | RawFrame | Pause]
    end: str = "clean"
    delay: float = 0.0  # between events

    def send(self, handler: "_Handler", fake: "FakeResponses") -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("x-request-id", _rid("req"))
        handler.send_header("openai-processing-ms", "42")
        handler.end_headers()
        handler.wfile.flush()
        for event in self.events:
            if isinstance(event, Pause):
                if fake.stopped.wait(event.seconds):
                    handler.cut()
                    return
                continue
            if self.delay:
                time.sleep(self.delay)
            handler.write_chunk(frame(event))
        if self.end == "clean":
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
        elif self.end == "cut":
            handler.cut()
        elif self.end == "stall":
            fake.stopped.wait(120)
            handler.cut()
        else:
            raise ValueError(self.end)


@dataclass
class HttpError(Reply):
    status: int
    body: Any = None  # JSON-able, or bytes
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, handler: "_Handler", fake: "FakeResponses") -> None:
        if isinstance(self.body, bytes):
            data, ctype = self.body, "text/plain"
        else:
            data, ctype = json.dumps(self.body if self.body is not None else api_error(self.status)).encode(), "application/json"
        handler.send_response(self.status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("x-request-id", _rid("req"))
        for k, v in self.headers.items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()


@dataclass
class Hang(Reply):
    """Reads the request, then sends nothing at all (not even headers) until the fake closes."""

    def send(self, handler: "_Handler", fake: "FakeResponses") -> None:
        fake.stopped.wait(120)
        handler.cut()


def api_error(status: int, message: str | None = None) -> dict:
    """The real API's error bodies."""
    kind = {
        400: ("invalid_request_error", None, "Invalid request."),
        401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-test-****. You can find your API key at https://platform.openai.com/account/api-keys."),
        403: ("invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported"),
        429: ("requests", "rate_limit_exceeded", "Rate limit reached for gpt-5-mini in organization org-test on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s."),
        500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
        503: ("server_error", None, "The engine is currently overloaded, please try again later."),
    }.get(status, ("server_error", None, f"HTTP {status}"))
    return {"error": {"message": message or kind[2], "type": kind[0], "param": None, "code": kind[1]}}


def frame(event: BaseModel | RawFrame) -> bytes:
    if isinstance(event, RawFrame):
        return event.data
    # exclude_unset: the fields we set (including the nulls the real API sends) and no others.
    data = event.model_dump_json(exclude_unset=True, by_alias=True)
    response = getattr(event, "response", None)
    if isinstance(response, Response):
        # The type says float; the real API sends whole seconds as JSON integers.
        obj = json.loads(data)
        for key in ("created_at", "completed_at"):
            if isinstance(obj["response"].get(key), float):
                obj["response"][key] = int(obj["response"][key])
        data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event.type}\ndata: {data}\n\n".encode()


# -- building streams --------------------------------------------------------------------------


class ResponseBuilder:
    """Builds one streamed response the way the real API streams it: response.created,
    response.in_progress, per output item: output_item.added, its content/argument events,
    output_item.done; then response.completed (or .failed) carrying every output item."""

    def __init__(self, request: Recorded | None = None, model: str | None = None) -> None:
        body = request.body if request is not None and isinstance(request.body, dict) else {}
        self.body = body
        self.model = model or body.get("model") or "gpt-5-mini"
        self.id = _rid("resp")
        self.created_at = float(int(time.time()))
        self.seq = itertools.count()
        self.output: list[BaseModel] = []
        self.events: list[BaseModel | RawFrame | Pause] = []

    def response(self, status: str, output: list | None = None, **extra) -> Response:
        fields = dict(
            id=self.id,
            object="response",
            created_at=self.created_at,
            status=status,
            background=False,
            error=None,
            incomplete_details=None,
            instructions=self.body.get("instructions"),
            max_output_tokens=None,
            max_tool_calls=None,
            model=self.model,
            output=list(output or []),
            parallel_tool_calls=self.body.get("parallel_tool_calls", True),
            previous_response_id=None,
            prompt_cache_key=None,
            reasoning={"effort": "medium", "summary": None},
            safety_identifier=None,
            service_tier="auto",
            store=self.body.get("store", False),
            temperature=1.0,
            text={"format": {"type": "text"}, "verbosity": "medium"},
            tool_choice="auto",
            tools=list(self.body.get("tools") or []),
            top_logprobs=0,
            top_p=1.0,
            truncation="disabled",
            usage=None,
            user=None,
            metadata={},
        )
        fields.update(extra)
        return Response(**fields)

    def start(self) -> "ResponseBuilder":
        self.events.append(ResponseCreatedEvent(type="response.created", sequence_number=next(self.seq), response=self.response("in_progress")))
        self.events.append(ResponseInProgressEvent(type="response.in_progress", sequence_number=next(self.seq), response=self.response("in_progress")))
        return self

    def reasoning(self) -> "ResponseBuilder":
        """A reasoning item, as gpt-5 models stream one before their answer."""
        index = len(self.output)
        rid = _rid("rs")
        self.events.append(ResponseOutputItemAddedEvent(type="response.output_item.added", sequence_number=next(self.seq), output_index=index, item=ResponseReasoningItem(id=rid, type="reasoning", summary=[])))
        done = ResponseReasoningItem(id=rid, type="reasoning", summary=[])
        self.events.append(ResponseOutputItemDoneEvent(type="response.output_item.done", sequence_number=next(self.seq), output_index=index, item=done))
        self.output.append(done)
        return self

    def message_events(self, deltas: list[str]) -> tuple[str, int]:
        """output_item.added, content_part.added and the deltas; returns (item id, output index)."""
        index = len(self.output)
        mid = _rid("msg")
        self.events.append(ResponseOutputItemAddedEvent(
            type="response.output_item.added", sequence_number=next(self.seq), output_index=index,
            item=ResponseOutputMessage(id=mid, type="message", status="in_progress", content=[], role="assistant"),
        ))
        self.events.append(ResponseContentPartAddedEvent(
            type="response.content_part.added", sequence_number=next(self.seq), output_index=index, item_id=mid,
            content_index=0, part=ResponseOutputText(type="output_text", annotations=[], logprobs=[], text=""),
        ))
        for d in deltas:
            self.events.append(ResponseTextDeltaEvent(
                type="response.output_text.delta", sequence_number=next(self.seq), output_index=index, item_id=mid,
                content_index=0, delta=d, logprobs=[], obfuscation=secrets.token_urlsafe(6)[: max(1, 10 - len(d))],
            ))
        return mid, index

    def message(self, deltas: list[str]) -> "ResponseBuilder":
        mid, index = self.message_events(deltas)
        text = "".join(deltas)
        part = ResponseOutputText(type="output_text", annotations=[], logprobs=[], text=text)
        self.events.append(ResponseTextDoneEvent(type="response.output_text.done", sequence_number=next(self.seq), output_index=index, item_id=mid, content_index=0, text=text, logprobs=[]))
        self.events.append(ResponseContentPartDoneEvent(type="response.content_part.done", sequence_number=next(self.seq), output_index=index, item_id=mid, content_index=0, part=part))
        done = ResponseOutputMessage(id=mid, type="message", status="completed", content=[part], role="assistant", phase="final_answer")
        self.events.append(ResponseOutputItemDoneEvent(type="response.output_item.done", sequence_number=next(self.seq), output_index=index, item=done))
        self.output.append(done)
        return self

    def function_call(self, name: str, arguments: str | dict, call_id: str | None = None, pieces: int = 3) -> "ResponseBuilder":
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        call_id = call_id or "call_" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
        index = len(self.output)
        fid = _rid("fc")
        self.events.append(ResponseOutputItemAddedEvent(
            type="response.output_item.added", sequence_number=next(self.seq), output_index=index,
            item=ResponseFunctionToolCall(id=fid, type="function_call", status="in_progress", arguments="", call_id=call_id, name=name),
        ))
        step = max(1, -(-len(args) // pieces))
        for i in range(0, len(args), step):
            self.events.append(ResponseFunctionCallArgumentsDeltaEvent(
                type="response.function_call_arguments.delta", sequence_number=next(self.seq), output_index=index, item_id=fid,
                delta=args[i : i + step], obfuscation=secrets.token_urlsafe(4),
            ))
        self.events.append(ResponseFunctionCallArgumentsDoneEvent(type="response.function_call_arguments.done", sequence_number=next(self.seq), output_index=index, item_id=fid, arguments=args))
        done = ResponseFunctionToolCall(id=fid, type="function_call", status="completed", arguments=args, call_id=call_id, name=name)
        self.events.append(ResponseOutputItemDoneEvent(type="response.output_item.done", sequence_number=next(self.seq), output_index=index, item=done))
        self.output.append(done)
        return self

    def usage(self) -> ResponseUsage:
        return ResponseUsage(
            input_tokens=321, input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
            output_tokens=45, output_tokens_details=OutputTokensDetails(reasoning_tokens=0), total_tokens=366,
        )

    def completed(self) -> "ResponseBuilder":
        self.events.append(ResponseCompletedEvent(
            type="response.completed", sequence_number=next(self.seq),
            response=self.response("completed", self.output, usage=self.usage(), completed_at=float(int(time.time()))),
        ))
        return self

    def failed(self, message: str, code: str = "server_error") -> "ResponseBuilder":
        self.events.append(ResponseFailedEvent(
            type="response.failed", sequence_number=next(self.seq),
            response=self.response("failed", self.output, error=ResponseError(code=code, message=message)),
        ))
        return self

    def error(self, message: str, code: str | None = "server_error") -> "ResponseBuilder":
        self.events.append(ResponseErrorEvent(type="error", sequence_number=next(self.seq), code=code, message=message, param=None))
        return self

    def raw(self, data: bytes) -> "ResponseBuilder":
        self.events.append(RawFrame(data))
        return self

    def pause(self, seconds: float) -> "ResponseBuilder":
        self.events.append(Pause(seconds))
        return self

    def stream(self, end: str = "clean", delay: float = 0.0) -> Stream:
        return Stream(self.events, end=end, delay=delay)


def text(*deltas: str, reasoning: bool = False) -> Callable[[Recorded], Reply]:
    """A complete response whose output is one assistant message streamed as these deltas."""

    def reply(req: Recorded) -> Reply:
        b = ResponseBuilder(req).start()
        if reasoning:
            b.reasoning()
        return b.message(list(deltas)).completed().stream()

    return reply


def calls(*specs: tuple, reasoning: bool = False) -> Callable[[Recorded], Reply]:
    """A complete response whose output is these function calls: (name, arguments[, call_id])."""

    def reply(req: Recorded) -> Reply:
        b = ResponseBuilder(req).start()
        if reasoning:
            b.reasoning()
        for spec in specs:
            b.function_call(*spec)
        return b.completed().stream()

    return reply


ScriptEntry = Union[Reply, Callable[[Recorded], Reply]]


# -- the server --------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-openai/1"
    fake: "FakeResponses"

    def log_message(self, fmt: str, *args) -> None:  # quiet
        pass

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def cut(self) -> None:
        """Close the connection now, mid-body."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_POST(self) -> None:
        self.fake._handle(self)

    def do_GET(self) -> None:
        self.fake._handle(self)


class FakeResponses:
    wire = "responses"

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key or "sk-test-" + secrets.token_hex(16)
        self.requests: list[Recorded] = []
        self.problems: list[str] = []
        #: What `GET /models` lists, and how often it was asked.
        self.models: list[str] = ["gpt-5-mini"]
        self.model_listings = 0
        self.stopped = threading.Event()
        self._script: queue.Queue[ScriptEntry] = queue.Queue()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # lifecycle

    def start(self) -> "FakeResponses":
        self._thread.start()
        return self

    def close(self) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def __enter__(self) -> "FakeResponses":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # scripting

    def script(self, *entries: ScriptEntry) -> "FakeResponses":
        for e in entries:
            self._script.put(e)
        return self

    def pending(self) -> int:
        """Script entries not consumed yet."""
        return self._script.qsize()

    def wait_requests(self, n: int, timeout: float = 10.0) -> bool:
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= n, timeout)

    # serving

    def _check(self, rec: Recorded) -> list[str]:
        p = []
        if rec.method != "POST":
            p.append(f"method {rec.method}, expected POST")
        if rec.path != "/v1/responses":
            p.append(f"path {rec.path!r}, expected '/v1/responses'")
        auth = rec.headers.get("authorization")
        if auth != f"Bearer {self.api_key}":
            p.append(f"Authorization {auth!r}, expected 'Bearer {self.api_key}'")
        ctype = rec.headers.get("content-type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            p.append(f"Content-Type {ctype!r}, expected application/json")
        if rec.body is None:
            p.append(f"body is not JSON: {rec.raw[:200]!r}")
        else:
            p.extend(validate_body(rec.body))
        return p

    def _answer_models(self, h: _Handler) -> None:
        """`GET {base}/models` (the app's model picker asks it): `self.models` as the `openai`
        package's `Model` objects, for the right key only. Kept apart from the script."""
        with self._lock:
            self.model_listings += 1
        if h.headers.get("Authorization") != f"Bearer {self.api_key}":
            HttpError(401, api_error(401, "Incorrect API key provided.")).send(h, self)
            return
        data = [Model(id=m, created=0, object="model", owned_by="fake").model_dump() for m in self.models]
        HttpError(200, {"object": "list", "data": data}).send(h, self)

    def _handle(self, h: _Handler) -> None:
        if h.command == "GET" and h.path.rstrip("/").endswith("/models"):
            self._answer_models(h)
            return
        length = int(h.headers.get("Content-Length") or 0)
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = _read_chunked(h.rfile)
        else:
            raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._arrived:
            rec = Recorded(len(self.requests), h.command, h.path, {k.lower(): v for k, v in h.headers.items()}, raw, body, time.monotonic())
            rec.problems = self._check(rec)
            self.requests.append(rec)
            self.problems.extend(f"request #{rec.index}: {p}" for p in rec.problems)
            self._arrived.notify_all()
        try:
            if rec.problems and (rec.body is None or any(marker in p for p in rec.problems for marker in (
                    "ResponseCreateParams", "CompletionCreateParams", "unknown field", "not a Responses API", "not a Chat Completions"))):
                reply: Reply = HttpError(400, api_error(400, "; ".join(rec.problems)[:2000]))
            else:
                try:
                    entry = self._script.get_nowait()
                except queue.Empty:
                    with self._lock:
                        self.problems.append(f"request #{rec.index}: unexpected (nothing left in the script)")
                    reply = HttpError(400, api_error(400, "fake: unexpected request"))
                else:
                    reply = entry if isinstance(entry, Reply) else entry(rec)
            reply.send(h, self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            h.close_connection = True
        except Exception as e:  # a bug in a script function: make it visible
            with self._lock:
                self.problems.append(f"request #{rec.index}: script raised {type(e).__name__}: {e}")
            h.close_connection = True
            try:
                HttpError(400, api_error(400, f"fake: script raised {e}")).send(h, self)
            except OSError:
                pass


def _read_chunked(rfile) -> bytes:
    out = bytearray()
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return bytes(out)
        out += rfile.read(size)
        rfile.readline()
