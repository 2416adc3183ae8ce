"""Driving the agent (`todo-assistant serve`, default responder) over ChatKit, and the checks
every test shares: the request contract the agent must follow when it calls the model, and
what the user must see (ChatKit events, validated by ckclient against openai-chatkit's types).
"""

from __future__ import annotations

import json
import os
import sqlite3
import socket
from dataclasses import dataclass
from contextlib import closing
from pathlib import Path
from typing import Any

from chatkit.types import (
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    TaskItem,
    UserMessageItem,
    WidgetItem,
)
from ckclient import Client, Stream, canonical, message_text, user_input
from fake_responses import FakeResponses, Recorded
from serve import Serve

DEFAULT_MODEL = "gpt-5-mini"

# name -> {property: JSON-schema type, or ("enum", values)}
TOOLS: dict[str, dict[str, Any]] = {
    "add_task": {"title": "string", "description": ["string", "null"]},
    "list_tasks": {"status": ("enum", ["all", "pending", "completed"])},
    "complete_task": {"task_id": "string"},
    "delete_task": {"task_id": "string"},
    "update_task": {"task_id": "string", "title": ["string", "null"], "description": ["string", "null"]},
}

# Stable codes of the app_error client effect.
APP_ERROR_CODES = {"invalid_api_key", "rate_limited", "model_unavailable", "model_stream_broken", "model_error",
                   "model_not_found", "model_server_not_running", "model_no_tools", "model_api_not_found"}


# -- the request contract ----------------------------------------------------------------------


def tool_problems(tools: Any) -> list[str]:
    if not isinstance(tools, list):
        return [f"tools is not a list: {tools!r:.200}"]
    p = []
    names = [t.get("name") if isinstance(t, dict) else None for t in tools]
    if sorted(map(str, names)) != sorted(TOOLS):
        p.append(f"tools are {names}, expected exactly {sorted(TOOLS)}")
    for tool in tools:
        if not isinstance(tool, dict) or tool.get("name") not in TOOLS:
            continue
        name = tool["name"]
        where = f"tool {name}"
        if set(tool) != {"type", "name", "description", "parameters", "strict"}:
            p.append(f"{where}: keys {sorted(tool)}, expected type, name, description, parameters, strict")
        if tool.get("type") != "function":
            p.append(f"{where}: type {tool.get('type')!r}, expected 'function'")
        if tool.get("strict") is not True:
            p.append(f"{where}: strict {tool.get('strict')!r}, expected true")
        if not (isinstance(tool.get("description"), str) and tool["description"].strip()):
            p.append(f"{where}: no description")
        params = tool.get("parameters")
        if not isinstance(params, dict):
            p.append(f"{where}: parameters is not a JSON schema object: {params!r:.200}")
            continue
        if params.get("type") != "object":
            p.append(f"{where}: parameters.type {params.get('type')!r}, expected 'object'")
        if params.get("additionalProperties") is not False:
            p.append(f"{where}: parameters.additionalProperties must be false (strict mode)")
        props = params.get("properties")
        expected = TOOLS[name]
        if not isinstance(props, dict) or set(props) != set(expected):
            p.append(f"{where}: properties {sorted(props) if isinstance(props, dict) else props!r}, expected {sorted(expected)}")
            continue
        required = params.get("required")
        if not isinstance(required, list) or sorted(required) != sorted(expected):
            p.append(f"{where}: required {required!r}, expected every property {sorted(expected)} (strict mode)")
        for prop, want in expected.items():
            schema = props[prop]
            if not isinstance(schema, dict):
                p.append(f"{where}.{prop}: schema is not an object")
                continue
            got = schema.get("type")
            if isinstance(want, tuple):
                if got != "string" or not isinstance(schema.get("enum"), list) or sorted(schema["enum"]) != sorted(want[1]):
                    p.append(f"{where}.{prop}: {schema}, expected type string, enum {want[1]}")
            elif isinstance(want, list):
                if not isinstance(got, list) or sorted(got) != sorted(want):
                    p.append(f"{where}.{prop}: type {got!r}, expected {want}")
            elif got != want:
                p.append(f"{where}.{prop}: type {got!r}, expected {want!r}")
    return p


def user_part_ok(part: Any) -> bool:
    """A user message part: text, an attached image or an attached file (both as data URLs)."""
    if not isinstance(part, dict):
        return False
    kind = part.get("type")
    if kind == "input_text":
        return set(part) == {"type", "text"} and isinstance(part["text"], str)
    if kind == "input_image":
        return set(part) == {"type", "image_url", "detail"} and str(part["image_url"]).startswith("data:image/")
    if kind == "input_file":
        return set(part) == {"type", "filename", "file_data"} and str(part["file_data"]).startswith("data:")
    return False


def input_problems(items: Any) -> list[str]:
    """The thread as model input: user / assistant messages, function_call + function_call_output."""
    if not isinstance(items, list):
        return [f"input is not a list: {items!r:.200}"]
    p: list[str] = []
    open_calls: dict[str, int] = {}
    answered: set[str] = set()
    for i, item in enumerate(items):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            p.append(f"{where}: not an object")
            continue
        kind = item.get("type", "message")
        if kind == "message" and item.get("role") == "user":
            if set(item) - {"type"} != {"role", "content"}:
                p.append(f"{where}: user message keys {sorted(item)}, expected role, content")
            content = item.get("content")
            if not (isinstance(content, list) and content and all(map(user_part_ok, content))):
                p.append(
                    f"{where}: user content must be input_text, input_image (data URL) or input_file (data URL) parts,"
                    f" got {json.dumps(content)[:200]}"
                )
        elif kind == "message" and item.get("role") == "assistant":
            if set(item) - {"type"} != {"role", "content"} or not isinstance(item.get("content"), str):
                p.append(f"{where}: an earlier reply must be {{role: assistant, content: <text>}}, got {json.dumps(item)[:200]}")
        elif kind == "message" and item.get("role") == "developer":
            # Not in the brief's list, but valid and sensible: the ChatKit server's hidden
            # "The user cancelled the stream..." context, as openai-chatkit stores it.
            if set(item) - {"type"} != {"role", "content"} or not isinstance(item.get("content"), str):
                p.append(f"{where}: a developer note must be {{role: developer, content: <text>}}, got {json.dumps(item)[:200]}")
        elif kind == "function_call":
            missing = {"type", "call_id", "name", "arguments"} - set(item)
            extra = set(item) - {"type", "call_id", "name", "arguments", "id", "status"}
            if missing or extra:
                p.append(f"{where}: function_call missing {sorted(missing)} / unexpected {sorted(extra)}")
            if item.get("name") not in TOOLS:
                p.append(f"{where}: function_call of unknown tool {item.get('name')!r}")
            cid = item.get("call_id")
            if cid in open_calls or cid in answered:
                p.append(f"{where}: call_id {cid!r} used twice")
            open_calls[cid] = i
        elif kind == "function_call_output":
            missing = {"type", "call_id", "output"} - set(item)
            extra = set(item) - {"type", "call_id", "output", "id", "status"}
            if missing or extra:
                p.append(f"{where}: function_call_output missing {sorted(missing)} / unexpected {sorted(extra)}")
            if not isinstance(item.get("output"), str):
                p.append(f"{where}: output must be a (JSON) string")
            cid = item.get("call_id")
            if cid not in open_calls:
                p.append(f"{where}: function_call_output for {cid!r} without an earlier function_call")
            else:
                del open_calls[cid]
                answered.add(cid)
        else:
            p.append(f"{where}: unexpected input item {json.dumps(item)[:200]}")
    for cid, i in open_calls.items():
        p.append(f"input[{i}]: function_call {cid!r} has no function_call_output")
    return p


def contract_problems(rec: Recorded, model: str = DEFAULT_MODEL) -> list[str]:
    body = rec.body
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    p = []
    for key in ("model", "instructions", "input", "tools", "stream", "store", "parallel_tool_calls"):
        if key not in body:
            p.append(f"body has no {key!r}")
    if body.get("model") != model:
        p.append(f"model {body.get('model')!r}, expected {model!r}")
    if not (isinstance(body.get("instructions"), str) and body["instructions"].strip()):
        p.append("instructions must be a non-empty string")
    if body.get("stream") is not True:
        p.append(f"stream {body.get('stream')!r}, expected true")
    if body.get("store") is not False:
        p.append(f"store {body.get('store')!r}, expected false")
    if body.get("parallel_tool_calls") is not True:
        p.append(f"parallel_tool_calls {body.get('parallel_tool_calls')!r}, expected true")
    for key in ("previous_response_id", "conversation"):
        if key in body:
            p.append(f"{key} makes no sense with store: false (the whole thread is the input)")
    p += tool_problems(body.get("tools"))
    p += input_problems(body.get("input"))
    return [f"request #{rec.index}: {x}" for x in p]


def chat_contract_problems(rec: Recorded, model: str = DEFAULT_MODEL) -> list[str]:
    """The same contract over Chat Completions: the instructions as the system message, the
    five tools wrapped as {type: function, function: {...}}, every tool result answering a
    call the assistant message before it made."""
    body = rec.body
    if not isinstance(body, dict):
        return [f"request #{rec.index}: body is not a JSON object"]
    p = []
    if body.get("model") != model:
        p.append(f"model {body.get('model')!r}, expected {model!r}")
    if body.get("stream") is not True:
        p.append(f"stream {body.get('stream')!r}, expected true")
    tools = body.get("tools")
    if not isinstance(tools, list) or not all(isinstance(t, dict) and set(t) == {"type", "function"} and t["type"] == "function" for t in tools):
        p.append(f"tools must be [{{type: function, function: {{...}}}}], got {json.dumps(tools)[:300]}")
    else:
        p += tool_problems([{"type": t["type"], **t["function"]} for t in tools])
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return [f"request #{rec.index}: {x}" for x in p + ["no messages"]]
    first = messages[0]
    if first.get("role") != "system" or not (isinstance(first.get("content"), str) and first["content"].strip()):
        p.append(f"messages[0] must be the instructions as a system message, got {json.dumps(first)[:200]}")
    open_calls: set[str] = set()
    for i, m in enumerate(messages[1:], start=1):
        role = m.get("role")
        if role == "tool":
            if m.get("tool_call_id") not in open_calls:
                p.append(f"messages[{i}]: tool result for {m.get('tool_call_id')!r} without a call in the assistant message before it")
            open_calls.discard(m.get("tool_call_id"))
            if not isinstance(m.get("content"), str):
                p.append(f"messages[{i}]: tool content must be a (JSON) string")
            continue
        if open_calls:
            p.append(f"messages[{i}]: calls {sorted(open_calls)} have no tool result before the next message")
            open_calls.clear()
        if role == "assistant":
            for c in m.get("tool_calls") or []:
                if c.get("function", {}).get("name") not in TOOLS:
                    p.append(f"messages[{i}]: call of unknown tool {c.get('function')}")
                open_calls.add(c.get("id"))
        elif role in ("user", "system"):
            if not isinstance(m.get("content"), str):
                p.append(f"messages[{i}]: {role} content must be text, got {json.dumps(m.get('content'))[:200]}")
        else:
            p.append(f"messages[{i}]: unexpected role {role!r}")
    if open_calls:
        p.append(f"calls {sorted(open_calls)} have no tool result")
    return [f"request #{rec.index}: {x}" for x in p]


def simplify(items: list[dict]) -> list[tuple]:
    """Input items as comparable tuples: ("user", text), ("assistant", text),
    ("call", call_id, name, parsed arguments), ("output", call_id, parsed output)."""
    out: list[tuple] = []
    for item in items:
        kind = item.get("type", "message")
        if kind == "message":
            content = item["content"]
            text = content if isinstance(content, str) else "".join(c.get("text", "") for c in content)
            out.append((item["role"], text))
        elif kind == "function_call":
            out.append(("call", item["call_id"], item["name"], _json(item["arguments"])))
        elif kind == "function_call_output":
            out.append(("output", item["call_id"], _json(item["output"])))
        else:
            out.append((kind,))
    return out


def _json(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return ("not JSON", text)


# -- what the user sees ------------------------------------------------------------------------


@dataclass
class Turn:
    """One streamed ChatKit answer and the model requests made while it ran."""

    stream: Stream
    requests: list[Recorded]

    @property
    def events(self) -> list[Any]:
        return self.stream.events

    def types(self) -> list[str]:
        return self.stream.types()

    def done(self, cls: type) -> list[Any]:
        return [e.item for e in self.events if e.type == "thread.item.done" and isinstance(e.item, cls)]

    def tasks(self) -> list[TaskItem]:
        return self.done(TaskItem)

    def task_titles(self) -> list[str | None]:
        return [t.task.title for t in self.tasks()]

    def widgets(self) -> list[WidgetItem]:
        return self.done(WidgetItem)

    def added(self) -> list[str]:
        """The titles of the tasks shown as added (cards with Undo), in order."""
        return [t for t in map(added_title, self.widgets()) if t is not None]

    def replies(self) -> list[AssistantMessageItem]:
        return self.done(AssistantMessageItem)

    def errors(self) -> list[Any]:
        return self.stream.of("error")

    def notices(self) -> list[Any]:
        return self.stream.of("notice")

    def app_errors(self) -> list[Any]:
        return [e for e in self.stream.of("client_effect") if e.name == "app_error"]

    def index(self, pred) -> int:
        for i, e in enumerate(self.events):
            if pred(e):
                return i
        raise AssertionError("no such event")


class Agent:
    def __init__(self, serve: Serve, fake: FakeResponses | None, model: str = DEFAULT_MODEL) -> None:
        self.serve = serve
        self.fake = fake
        self.model = model
        self.client = Client(serve.url, serve.secret, timeout=60)
        self.data_dir = serve.data_dir
        self.stopped = False

    def stop(self) -> int | None:
        """Stops serve on purpose (the fixture then does not report it as died)."""
        self.stopped = True
        return self.serve.stop()

    # ChatKit

    def _turn(self, op: str, params: dict) -> Turn:
        before = len(self.fake.requests) if self.fake else 0
        stream = self.client.stream(op, params)
        requests = self.fake.requests[before:] if self.fake else []
        problems = list(self.fake.problems) if self.fake else []
        contract = chat_contract_problems if getattr(self.fake, "wire", "responses") == "chat" else contract_problems
        for rec in requests:
            problems += contract(rec, self.model)
        assert not problems, "the agent's requests to the model break the contract:\n" + "\n".join(problems)
        return Turn(stream, requests)

    def create(self, text: str) -> tuple[str, Turn]:
        turn = self._turn("threads.create", {"input": user_input(text)})
        assert turn.types()[:3] == ["thread.created", "thread.item.done", "stream_options"], turn.types()
        thread_id = turn.events[0].thread.id
        user = turn.events[1].item
        assert isinstance(user, UserMessageItem) and message_text(user) == text and user.thread_id == thread_id
        return thread_id, turn

    def send(self, thread_id: str, text: str) -> Turn:
        turn = self._turn("threads.add_user_message", {"thread_id": thread_id, "input": user_input(text)})
        assert turn.types()[:2] == ["thread.item.done", "stream_options"], turn.types()
        user = turn.events[0].item
        assert isinstance(user, UserMessageItem) and message_text(user) == text and user.thread_id == thread_id
        return turn

    def items(self, thread_id: str) -> list[Any]:
        return self.client.all_items(thread_id, order="asc")

    def snapshot(self) -> Any:
        return self.client.snapshot()

    # the task store

    @property
    def tasks_path(self) -> Path:
        return self.data_dir / "tasks.db"

    def stored_tasks(self) -> list[dict]:
        """The tasks as tasks.db holds them, in list order, read with Python's own sqlite3
        (as another process on the folder would). With no backend the outbox stays empty."""
        if not self.tasks_path.exists():
            return []
        with closing(sqlite3.connect(self.tasks_path, timeout=5)) as db:
            db.row_factory = sqlite3.Row
            assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0, "an outbox entry with no backend"
            assert db.execute("SELECT backend_url FROM sync_meta").fetchone()[0] is None
            rows = db.execute(
                "SELECT id, title, description, completed, created_at, updated_at FROM tasks ORDER BY position"
            ).fetchall()
        tasks = []
        for row in rows:
            task = {"id": row["id"], "title": row["title"], "completed": bool(row["completed"]),
                    "created_at": row["created_at"], "updated_at": row["updated_at"]}
            if row["description"] is not None:
                task["description"] = row["description"]
            tasks.append(task)
        return tasks


def start_agent(data_dir: Path, fake: FakeResponses | None, **env: str | None) -> Agent:
    base = {
        "OPENAI_API_KEY": fake.api_key if fake else "sk-test-unused",
        "OPENAI_BASE_URL": fake.base_url if fake else None,
        "OPENAI_MODEL": None,
        "OPENAI_ORG_ID": None,
        "OPENAI_PROJECT_ID": None,
        "TODO_ASSISTANT_MODEL_IDLE_TIMEOUT_SECS": "2",
        "TODO_ASSISTANT_RETRY_BASE_MS": "50",
        "RUST_LOG": os.environ.get("RUST_LOG", "info"),
    }
    base.update(env)
    serve = Serve(data_dir, responder=None, env=base).start()
    return Agent(serve, fake, model=base.get("OPENAI_MODEL") or DEFAULT_MODEL)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- assertions on what the user sees ----------------------------------------------------------


def assert_streamed_reply(turn: Turn, thread_id: str, deltas: list[str]) -> AssistantMessageItem:
    """The model's text reached the user as one assistant message, streamed delta for delta:
    item.added (empty), content_part.added, one text_delta per model delta, content_part.done,
    item.done; in that order."""
    replies = turn.replies()
    text = "".join(deltas)
    assert [message_text(r) for r in replies] == [text], f"expected one reply {text!r}, got {[message_text(r) for r in replies]}"
    reply = replies[0]
    assert reply.thread_id == thread_id
    assert [(c.type, c.text, c.annotations) for c in reply.content] == [("output_text", text, [])]
    mine = [
        e for e in turn.events
        if (e.type in ("thread.item.added", "thread.item.done") and e.item.id == reply.id)
        or (e.type == "thread.item.updated" and e.item_id == reply.id)
    ]
    kinds = [e.type if e.type != "thread.item.updated" else e.update.type for e in mine]
    assert kinds == (
        ["thread.item.added", "assistant_message.content_part.added"]
        + ["assistant_message.content_part.text_delta"] * len(deltas)
        + ["assistant_message.content_part.done", "thread.item.done"]
    ), f"the reply's events: {kinds}"
    added, part_added, *delta_events, part_done, _ = mine
    assert isinstance(added.item, AssistantMessageItem) and added.item.content == []
    assert isinstance(part_added.update, AssistantMessageContentPartAdded) and part_added.update.content_index == 0
    assert part_added.update.content.text == ""
    assert all(isinstance(d.update, AssistantMessageContentPartTextDelta) and d.update.content_index == 0 for d in delta_events)
    assert [d.update.delta for d in delta_events] == deltas, "one text_delta per model delta, in order"
    assert isinstance(part_done.update, AssistantMessageContentPartDone) and part_done.update.content.text == text
    positions = [i for i, e in enumerate(turn.events) if e in mine]
    assert positions == sorted(positions)
    return reply


def assert_task_item(item: TaskItem, title: str) -> None:
    task = item.task
    assert task.type == "custom", canonical(item)
    assert task.title == title, f"task title {task.title!r}, expected {title!r}"
    assert task.icon is not None, f"task item without an icon: {canonical(item)}"
    assert task.status_indicator == "complete", canonical(item)


def added_title(item: WidgetItem) -> str | None:
    """The task title on an "added" card (a Card with an Undo button), else None."""
    root = widget_json(item)
    undo = any(n.get("type") == "Button" and n.get("label") == "Undo" for n in _nodes(root))
    if root.get("type") != "Card" or not undo:
        return None
    texts = [t for t in widget_texts(root) if t not in ("Added to your tasks", "Undo")]
    return texts[0] if texts else None


def assert_added_card(item: WidgetItem, title: str, task_id: str) -> None:
    """A task the assistant added shows as a card with its title and Undo for that task."""
    root = widget_json(item)
    assert added_title(item) == title, f"not an added card for {title!r}: {json.dumps(root)[:400]}"
    undo = [b for b in _nodes(root) if b.get("type") == "Button" and b.get("label") == "Undo"]
    assert len(undo) == 1, json.dumps(root)[:400]
    action = undo[0]["onClickAction"]
    assert action["type"] == "task.undo_add" and action["payload"] == {"task_id": task_id}, action
    assert action.get("handler", "server") == "server", "Undo is handled by the server"


def _nodes(node: Any) -> list[dict]:
    if isinstance(node, dict):
        out = [node]
        for v in node.values():
            out.extend(_nodes(v))
        return out
    if isinstance(node, list):
        return [n for v in node for n in _nodes(v)]
    return []


def widget_json(item: WidgetItem) -> dict:
    return canonical(item)["widget"]


def widget_texts(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("type") in ("Text", "Title", "Caption", "Markdown", "Label") and isinstance(node.get("value"), str):
            out.append(node["value"])
        for v in node.values():
            out.extend(widget_texts(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(widget_texts(v))
    return out


def assert_task_list_widget(item: WidgetItem, titles: list[str]) -> None:
    """A ListView with one row per listed task, each row showing its title."""
    root = widget_json(item)
    assert root.get("type") == "ListView", f"widget root is {root.get('type')!r}, expected ListView: {json.dumps(root)[:400]}"
    rows = root.get("children", [])
    assert all(r.get("type") == "ListViewItem" for r in rows)
    assert len(rows) == len(titles), f"{len(rows)} rows for tasks {titles}: {json.dumps(root)[:600]}"
    for row, title in zip(rows, titles):
        assert any(title in t for t in widget_texts(row)), f"row for {title!r} shows {widget_texts(row)}"


def assert_app_error(turn: Turn, code: str, allow_retry: bool | None) -> Any:
    """The turn ended in ChatKit's error event (code custom, a message) and the app_error client
    effect carrying the stable code."""
    errors = turn.errors()
    assert len(errors) == 1, f"expected one error event, got {turn.types()}"
    err = errors[0]
    assert err.code == "custom", f"error code {err.code!r}, expected 'custom'"
    assert isinstance(err.message, str) and err.message.strip(), "the error event needs a message"
    if allow_retry is not None:
        assert err.allow_retry is allow_retry, f"allow_retry {err.allow_retry}, expected {allow_retry}"
    effects = turn.app_errors()
    assert len(effects) == 1, f"expected one client_effect app_error, got {[(e.type, getattr(e, 'name', None)) for e in turn.events]}"
    data = effects[0].data
    assert data.get("code") == code, f"app_error code {data.get('code')!r}, expected {code!r} (data {data})"
    assert isinstance(data.get("message"), str) and data["message"].strip(), f"app_error without a message: {data}"
    assert set(turn.types()[turn.types().index("error"):]) <= {"error", "client_effect", "notice", "thread.updated"}, (
        f"the error must end the turn: {turn.types()}"
    )
    return err
