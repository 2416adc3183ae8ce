"""ChatKit protocol conformance of `todo-assistant serve --responder echo`, over HTTP.

Every JSON answer and every SSE event is validated with openai-chatkit's own types and must
be exactly what openai-chatkit would serialize (see ckclient.strict). The echo responder's
behaviour is the contract in the brief: it answers "You said: <text>" word by word.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time

import pytest

from chatkit.types import (
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    ClientToolCallItem,
    UserMessageItem,
)
from ckclient import (
    EVENT,
    SYNC_ACTION,
    THREAD,
    Client,
    Response,
    canonical,
    find_nulls,
    message_text,
    strict,
    user_input,
)

MISSING = "thr_doesnotexist0000"


# -- helpers -------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """The echo responder's deltas: one per word, each with its trailing space."""
    return re.findall(r"\S+\s*", text)


def assert_error(r: Response, status: int, code: str | None = None) -> dict:
    """A JSON error `{"code", "message"}` with this HTTP status (and code, when given)."""
    assert r.status == status, f"expected HTTP {status}, got {r!r}"
    assert r.content_type.startswith("application/json"), f"error must be application/json: {r!r}"
    body = r.json()
    assert isinstance(body, dict) and set(body) == {"code", "message"}, f"error shape must be {{code, message}}: {r!r}"
    assert isinstance(body["code"], str) and re.fullmatch(r"[a-z][a-z0-9_.]*", body["code"]), f"unstable code: {r!r}"
    assert isinstance(body["message"], str) and body["message"].strip(), f"empty message: {r!r}"
    if code is not None:
        assert body["code"] == code, f"expected code {code!r}, got {r!r}"
    return body


def assert_echo(events: list, thread_id: str, reply: str) -> AssistantMessageItem:
    """`events` is exactly one streamed assistant message whose text is `reply`."""
    expected = ["thread.item.added", "thread.item.updated"] + ["thread.item.updated"] * len(words(reply))
    expected += ["thread.item.updated", "thread.item.done"]
    assert [e.type for e in events] == expected, f"echo response events for {reply!r}"
    added, part_added, *deltas, part_done, done = events
    assert isinstance(added.item, AssistantMessageItem)
    assert added.item.thread_id == thread_id
    assert added.item.content == [], "thread.item.added carries an empty assistant message"
    item_id = added.item.id
    for e in [part_added, *deltas, part_done]:
        assert e.item_id == item_id, "updates refer to the added item"
    assert isinstance(part_added.update, AssistantMessageContentPartAdded)
    assert part_added.update.content_index == 0
    assert part_added.update.content.type == "output_text" and part_added.update.content.text == ""
    for d in deltas:
        assert isinstance(d.update, AssistantMessageContentPartTextDelta) and d.update.content_index == 0
    assert [d.update.delta for d in deltas] == words(reply)
    assert isinstance(part_done.update, AssistantMessageContentPartDone)
    assert part_done.update.content_index == 0 and part_done.update.content.text == reply
    assert isinstance(done.item, AssistantMessageItem)
    assert done.item.id == item_id and done.item.thread_id == thread_id
    assert [(c.type, c.text, c.annotations) for c in done.item.content] == [("output_text", reply, [])]
    return done.item


def assert_user_item(item, thread_id: str, text: str) -> UserMessageItem:
    assert isinstance(item, UserMessageItem)
    assert item.thread_id == thread_id and item.id
    assert [(c.type, c.text) for c in item.content] == [("input_text", text)]
    assert item.attachments == [] and item.quoted_text is None
    return item


def create(client: Client, text: str):
    """threads.create; checks the whole event sequence; returns (thread_id, user item, assistant item, stream)."""
    s = client.stream("threads.create", {"input": user_input(text)})
    reply = "You said: " + text
    types = s.types()
    n = len(words(reply))
    assert types == (
        ["thread.created", "thread.item.done", "stream_options", "thread.item.added"]
        + ["thread.item.updated"] * (n + 2)
        + ["thread.item.done", "thread.updated"]
    ), f"threads.create event order: {types}"
    created, user_done, options = s.events[:3]
    thread_id = created.thread.id
    assert thread_id
    assert created.thread.title is None and '"title"' not in s.raw[0], "untitled thread must omit title"
    assert created.thread.status.type == "active"
    assert created.thread.items.data == [] and not created.thread.items.has_more
    user = assert_user_item(user_done.item, thread_id, text)
    assert options.stream_options.allow_cancel is True
    assistant = assert_echo(s.events[3:-1], thread_id, reply)
    updated = s.events[-1]
    assert updated.thread.id == thread_id and updated.thread.title == text[:40]
    assert user.id != assistant.id
    return thread_id, user, assistant, s


def add_message(client: Client, thread_id: str, text: str, untitled_ok: bool = False):
    """threads.add_user_message on a titled thread; returns (user item, assistant item).

    With `untitled_ok`, the thread may still be untitled: then it ends with thread.updated.
    """
    s = client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input(text)})
    assert s.types()[:2] == ["thread.item.done", "stream_options"], s.types()
    user = assert_user_item(s.events[0].item, thread_id, text)
    assert s.events[1].stream_options.allow_cancel is True
    events = s.events[2:]
    if untitled_ok and events and events[-1].type == "thread.updated":
        assert events[-1].thread.title == text[:40]
        events = events[:-1]
    assistant = assert_echo(events, thread_id, "You said: " + text)
    return user, assistant


def check_page(page, rows_expected: list[str], has_more: bool) -> None:
    assert [r.id for r in page.data] == rows_expected
    assert page.has_more is has_more
    if has_more:
        assert page.after == rows_expected[-1], "after is the id of the last row returned"
    else:
        assert page.after in (None, rows_expected[-1] if rows_expected else None)


def ids(items) -> list[str]:
    return [i.id for i in items]


# -- ready line ----------------------------------------------------------------------------


def test_ready_line(server):
    ready = json.loads(server.ready_line)
    assert set(ready) == {"chatkit_url", "client_secret", "expires_at"}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d{2,5}/chatkit", ready["chatkit_url"]), ready
    assert isinstance(ready["client_secret"], str) and len(ready["client_secret"]) >= 16
    assert isinstance(ready["expires_at"], int) and ready["expires_at"] > time.time()


# -- threads -------------------------------------------------------------------------------


def test_create_streams_in_order_and_get_by_id(client):
    text = "Buy groceries for the week: milk, eggs, bread and coffee"
    thread_id, user, assistant, _ = create(client, text)
    thread = client.get_thread(thread_id)
    assert thread.id == thread_id and thread.title == text[:40] and len(thread.title) == 40
    assert thread.status.type == "active"
    assert [canonical(i) for i in thread.items.data] == [canonical(user), canonical(assistant)], "items ascending"
    assert thread.items.has_more is False
    assert thread.created_at <= thread.items.data[0].created_at <= thread.items.data[1].created_at


def test_title_is_first_40_characters_not_bytes(client):
    text = "Café ☕ — réunion à 9h, préparer l’ordre du jour ✅ et les notes"
    thread_id, _, _, s = create(client, text)
    assert len(text[:40].encode()) > 40
    assert s.events[-1].thread.title == text[:40]
    assert client.get_thread(thread_id).title == text[:40]


def test_short_title_is_whole_text(client):
    thread_id, _, _, _ = create(client, "hello")
    assert client.get_thread(thread_id).title == "hello"


def test_threads_list_order_and_keyset_paging(client):
    created = [create(client, f"thread {n:02d}")[0] for n in range(25)]
    newest_first = created[::-1]

    page = client.list_threads()
    check_page(page, newest_first[:20], True)  # default: desc, 20 rows (openai-chatkit's DEFAULT_PAGE_SIZE)
    for row in page.data:
        assert row.items.data == [] and row.items.has_more is False, "threads.list rows carry no items"
        assert row.title and row.title.startswith("thread ")
    assert [r.title for r in page.data] == [f"thread {n:02d}" for n in range(24, 4, -1)]

    for order, expected in (("desc", newest_first), ("asc", created)):
        seen, after, sizes = [], None, []
        while True:
            params = {"limit": 10, "order": order, **({"after": after} if after else {})}
            page = client.list_threads(**params)
            more = len(seen) + len(page.data) < 25
            check_page(page, expected[len(seen) : len(seen) + 10], more)
            seen += ids(page.data)
            sizes.append(len(page.data))
            if not page.has_more:
                break
            after = page.after
        assert seen == expected and sizes == [10, 10, 5], (order, sizes)

    check_page(client.list_threads(order="asc", after=created[4], limit=3), created[5:8], True)
    check_page(client.list_threads(after=created[4], limit=3), newest_first[21:24], True)
    check_page(client.list_threads(after=created[1], limit=3), created[:1], False)
    check_page(client.list_threads(limit=100), newest_first, False)
    check_page(client.list_threads(order="asc", after=created[-1]), [], False)


def test_items_list_order_and_paging(client):
    thread_id, u, a, _ = create(client, "message 00")
    asc = [u.id, a.id]
    for n in range(1, 11):
        u, a = add_message(client, thread_id, f"message {n:02d}")
        asc += [u.id, a.id]
    assert len(asc) == 22 and len(set(asc)) == 22
    desc = asc[::-1]

    check_page(client.list_items(thread_id), desc[:20], True)  # desc, 20 by default
    seen, after, sizes = [], None, []
    while True:
        page = client.list_items(thread_id, limit=8, **({"after": after} if after else {}))
        check_page(page, desc[len(seen) : len(seen) + 8], len(seen) + len(page.data) < 22)
        seen += ids(page.data)
        sizes.append(len(page.data))
        if not page.has_more:
            break
        after = page.after
    assert seen == desc and sizes == [8, 8, 6]
    check_page(client.list_items(thread_id, order="asc", limit=5, after=asc[3]), asc[4:9], True)
    check_page(client.list_items(thread_id, order="asc", limit=50), asc, False)

    texts = [message_text(i) for i in client.all_items(thread_id)]
    assert texts[:4] == ["message 00", "You said: message 00", "message 01", "You said: message 01"]

    # get_by_id: the thread with its first page of items, ascending.
    thread = client.get_thread(thread_id)
    assert ids(thread.items.data) == asc[:20] and thread.items.has_more is True
    assert thread.items.after == asc[19]


def test_add_user_message_to_titled_thread_does_not_retitle(client):
    thread_id, _, _, _ = create(client, "first")
    s = client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input("second one")})
    assert "thread.created" not in s.types() and "thread.updated" not in s.types(), s.types()
    assert s.types()[:2] == ["thread.item.done", "stream_options"]
    assert_user_item(s.events[0].item, thread_id, "second one")
    assistant = assert_echo(s.events[2:], thread_id, "You said: second one")
    assert client.get_thread(thread_id).title == "first"
    assert ids(client.all_items(thread_id))[-2:] == [s.events[0].item.id, assistant.id]


def test_threads_update_renames_and_persists(client):
    thread_id, _, _, _ = create(client, "original title")
    other, _, _, _ = create(client, "other thread")
    thread = client.call("threads.update", {"thread_id": thread_id, "title": "Renamed ✓"}, THREAD)
    assert thread.id == thread_id and thread.title == "Renamed ✓"
    assert client.get_thread(thread_id).title == "Renamed ✓"
    titles = {t.id: t.title for t in client.all_threads()}
    assert titles == {thread_id: "Renamed ✓", other: "other thread"}
    # A renamed thread keeps its title when more messages come in.
    s = client.stream("threads.add_user_message", {"thread_id": thread_id, "input": user_input("more")})
    assert "thread.updated" not in s.types()
    assert client.get_thread(thread_id).title == "Renamed ✓"


def test_threads_delete(client):
    gone, _, _, _ = create(client, "to be deleted")
    kept, ku, ka, _ = create(client, "to be kept")
    before_kept = client.all_items(kept)
    r = client.post("threads.delete", {"thread_id": gone})
    assert r.status == 200 and r.content_type.startswith("application/json") and r.json() == {}, r
    assert_error(client.post("threads.get_by_id", {"thread_id": gone}), 404, "not_found")
    assert_error(client.post("items.list", {"thread_id": gone}), 404, "not_found")
    assert ids(client.all_threads()) == [kept]
    assert [canonical(i) for i in client.all_items(kept)] == [canonical(i) for i in before_kept]
    assert ids(before_kept) == [ku.id, ka.id]
    assert_error(client.post("threads.delete", {"thread_id": gone}), 404, "not_found")


def test_items_feedback(client):
    thread_id, _, a, _ = create(client, "rate me")
    before = client.snapshot()
    for kind in ("positive", "negative"):
        r = client.post("items.feedback", {"thread_id": thread_id, "item_ids": [a.id], "kind": kind})
        assert r.status == 200 and r.content_type.startswith("application/json") and r.json() == {}, r
    assert client.snapshot() == before


# -- retry, client tools, actions, structured input ----------------------------------------


def test_retry_after_item_replaces_everything_after_it(client):
    thread_id, u0, a0, _ = create(client, "first question")
    u1, a1 = add_message(client, thread_id, "second question")
    assert ids(client.all_items(thread_id)) == [u0.id, a0.id, u1.id, a1.id]

    s = client.stream("threads.retry_after_item", {"thread_id": thread_id, "item_id": u0.id})
    removed = [e.item_id for e in s.of("thread.item.removed")]
    assert set(removed) <= {a0.id, u1.id, a1.id} and len(removed) == len(set(removed)), removed
    rest = [e for e in s.events if e.type != "thread.item.removed"]
    assert [e.type for e in rest[:1]] == ["stream_options"], s.types()
    new = assert_echo(rest[1:], thread_id, "You said: first question")
    assert new.id not in {u0.id, a0.id, u1.id, a1.id}

    items = client.all_items(thread_id)
    assert ids(items) == [u0.id, new.id], "items after the retried message are removed, then a new answer"
    assert canonical(items[0]) == canonical(u0)
    assert message_text(items[1]) == "You said: first question"
    assert ids(client.get_thread(thread_id).items.data) == [u0.id, new.id]
    assert ids(client.list_items(thread_id).data) == [new.id, u0.id]


def test_client_tool_call_roundtrip(client):
    text = "[client-tool]  Buy oat milk"
    s = client.stream("threads.create", {"input": user_input(text)})
    assert s.types() == ["thread.created", "thread.item.done", "stream_options", "thread.item.done", "thread.updated"]
    thread_id = s.events[0].thread.id
    user = assert_user_item(s.events[1].item, thread_id, text)
    call = s.events[3].item
    assert isinstance(call, ClientToolCallItem) and call.thread_id == thread_id
    assert call.status == "pending" and call.name == "add_task" and call.arguments == {"title": "Buy oat milk"}
    assert re.fullmatch(r"call_\w+", call.call_id), call.call_id
    assert '"output"' not in s.raw[3], "a pending call has no output field"
    assert s.events[4].thread.title == text[:40]
    assert [canonical(i) for i in client.all_items(thread_id)] == [canonical(user), canonical(call)]

    result = {"created": True, "id": "task_7", "title": "Buy oat milk"}
    s = client.stream("threads.add_client_tool_output", {"thread_id": thread_id, "result": result})
    tool_events = [e for e in s.events if e.type != "stream_options" and getattr(getattr(e, "item", None), "id", None) == call.id]
    for e in tool_events:  # optional: the server may announce the completed call
        assert e.type in ("thread.item.done", "thread.item.replaced") and e.item.status == "completed", e
    rest = [e for e in s.events if not any(e is t for t in tool_events)]
    assert rest[0].type == "stream_options", s.types()
    # The echo responder writes the output as compact JSON.
    answer = assert_echo(rest[1:], thread_id, "Tool result: " + json.dumps(result, separators=(",", ":")))
    assert "thread.updated" not in s.types()

    items = client.all_items(thread_id)
    assert ids(items) == [user.id, call.id, answer.id]
    done = items[1]
    assert isinstance(done, ClientToolCallItem)
    assert done.status == "completed" and done.output == result
    assert (done.call_id, done.name, done.arguments) == (call.call_id, call.name, call.arguments)

    # Nothing is pending any more: a second output is refused and changes nothing.
    before = client.snapshot()
    r = client.post("threads.add_client_tool_output", {"thread_id": thread_id, "result": {"again": 1}})
    assert 400 <= r.status < 500, r
    assert_error(r, r.status)
    assert client.snapshot() == before


def test_client_tool_output_without_any_call_is_refused(client):
    thread_id, _, _, _ = create(client, "no tools here")
    before = client.snapshot()
    r = client.post("threads.add_client_tool_output", {"thread_id": thread_id, "result": "x"})
    assert 400 <= r.status < 500, r
    assert_error(r, r.status)
    assert client.snapshot() == before


def test_custom_action_streams_an_acknowledgement(client):
    thread_id, u, a, _ = create(client, "hello")
    action = {"type": "tasks.complete", "payload": {"task_id": "t1"}}
    s = client.stream("threads.custom_action", {"thread_id": thread_id, "action": action})
    assert s.types()[0] == "stream_options" and s.events[0].stream_options.allow_cancel is True, s.types()
    reply = assert_echo(s.events[1:], thread_id, "Action: tasks.complete")
    assert ids(client.all_items(thread_id)) == [u.id, a.id, reply.id]
    assert message_text(client.all_items(thread_id)[-1]) == "Action: tasks.complete"


def test_sync_custom_action_returns_empty_object(client):
    thread_id, _, _, _ = create(client, "hello")
    before = client.snapshot()
    params = {"thread_id": thread_id, "action": {"type": "tasks.toggle", "payload": {"task_id": "t1"}}}
    r = client.post("threads.sync_custom_action", params)
    assert r.status == 200 and r.content_type.startswith("application/json"), r
    assert r.json() == {}, "updated_item is omitted, not null"
    assert strict(SYNC_ACTION, r.body, "threads.sync_custom_action").updated_item is None
    assert client.snapshot() == before


def test_structured_input_on_a_plain_item_is_refused(client):
    thread_id, u, a, _ = create(client, "hello")
    before = client.snapshot()
    submission = {"status": "answered", "answers": {"q1": {"values": ["yes"]}}}
    for item_id in (u.id, a.id):
        params = {"thread_id": thread_id, "item_id": item_id, "input": submission}
        r = client.post("threads.add_structured_input", params)
        if r.status == 200:
            assert r.content_type.startswith("text/event-stream"), r
            frames = r.body.decode().split("\n\n")
            assert frames[-1] == "" and all(f.startswith("data: ") and "\n" not in f for f in frames[:-1]), r
            events = [strict(EVENT, f.removeprefix("data: "), "add_structured_input") for f in frames[:-1]]
            types = [e.type for e in events]
            assert "error" in types, f"200 answer must carry an error event: {types}"
            err = next(e for e in events if e.type == "error")
            assert err.code, err
            assert not {"thread.item.done", "thread.item.replaced", "thread.item.removed"} & set(types), types
        else:
            assert 400 <= r.status < 500, r
            assert_error(r, r.status)
    assert client.snapshot() == before


# -- unsupported ops (attachments: test_attachments.py) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "op,params",
    [
        ("input.transcribe", {"audio_base64": base64.b64encode(b"\x1aE\xdf\xa3 fake webm").decode(), "mime_type": "audio/webm;codecs=opus"}),
    ],
)
def test_unsupported_ops(client, op, params):
    create(client, "something stored")
    before = client.snapshot()
    assert_error(client.post(op, params), 400, "not_supported")
    assert client.snapshot() == before


# -- malformed requests and missing threads ------------------------------------------------


def test_invalid_requests(client):
    thread_id, _, _, _ = create(client, "keep me")
    before = client.snapshot()
    bad = [
        json.dumps({"type": "threads.frobnicate", "params": {}}),
        json.dumps({"params": {}}),
        "{not json",
        "",
        "[]",
        "null",
        json.dumps({"type": "threads.get_by_id"}),
        json.dumps({"type": "threads.get_by_id", "params": {}}),
        json.dumps({"type": "threads.get_by_id", "params": {"thread_id": 42}}),
        json.dumps({"type": "threads.list", "params": {"order": "sideways"}}),
        json.dumps({"type": "threads.create"}),
        json.dumps({"type": "threads.create", "params": {}}),
        json.dumps({"type": "threads.create", "params": {"input": {"content": "hi"}}}),
        json.dumps({"type": "threads.add_user_message", "params": {"thread_id": thread_id}}),
        json.dumps({"type": "threads.update", "params": {"thread_id": thread_id}}),
        json.dumps({"type": "items.feedback", "params": {"thread_id": thread_id, "item_ids": [], "kind": "meh"}}),
    ]
    failures = []
    for body in bad:
        r = client.post(body=body)
        try:
            assert_error(r, 400, "invalid_request")
        except AssertionError as e:
            failures.append(f"{body!r}: {e}")
    assert not failures, "\n".join(failures)
    assert client.snapshot() == before


def test_errors_quote_only_an_excerpt_of_a_huge_input(client):
    """ChatKit shows an error's message; a 100 KB bad value must not come back whole."""
    thread_id, _, _, _ = create(client, "keep me")
    before = client.snapshot()
    huge = "A" * 100_000
    bad = {
        "unknown op": ({"type": huge, "params": {}}, 400),
        "wrong order": ({"type": "threads.list", "params": {"order": huge}}, 400),
        "wrong feedback kind": ({"type": "items.feedback", "params": {"thread_id": thread_id, "item_ids": [], "kind": huge}}, 400),
        "missing thread": ({"type": "threads.get_by_id", "params": {"thread_id": "thr_" + huge}}, 404),
        "not json": (None, 400),
    }
    failures = []
    for name, (body, status) in bad.items():
        raw = json.dumps(body) if body is not None else "{" + huge
        r = client.post(body=raw)
        try:
            error = assert_error(r, status)
            assert len(error["message"]) <= 1_000, f"{len(error['message'])} characters"
            assert "A" * 81 not in error["message"], "quotes more than an excerpt"
        except AssertionError as e:
            failures.append(f"{name}: {e}")
    assert not failures, "\n".join(failures)
    assert client.snapshot() == before


def _missing_thread_params(thread_id: str) -> dict[str, dict]:
    action = {"type": "tasks.complete", "payload": {}}
    return {
        "threads.get_by_id": {"thread_id": thread_id},
        "items.list": {"thread_id": thread_id},
        "threads.update": {"thread_id": thread_id, "title": "x"},
        "threads.delete": {"thread_id": thread_id},
        "items.feedback": {"thread_id": thread_id, "item_ids": ["msg_00000000"], "kind": "positive"},
        "threads.add_user_message": {"thread_id": thread_id, "input": user_input("hi")},
        "threads.add_client_tool_output": {"thread_id": thread_id, "result": {"ok": True}},
        "threads.retry_after_item": {"thread_id": thread_id, "item_id": "msg_00000000"},
        "threads.custom_action": {"thread_id": thread_id, "action": action},
        "threads.sync_custom_action": {"thread_id": thread_id, "action": action},
        "threads.add_structured_input": {
            "thread_id": thread_id,
            "item_id": "msg_00000000",
            "input": {"status": "answered", "answers": {}},
        },
    }


@pytest.mark.parametrize("op", list(_missing_thread_params(MISSING)))
def test_missing_thread_is_404(client, op):
    create(client, "an existing thread")
    before = client.snapshot()
    for missing in (MISSING, "../../../etc/passwd", "thr_" + "x" * 300):
        assert_error(client.post(op, _missing_thread_params(missing)[op]), 404, "not_found")
    assert client.snapshot() == before


# -- authentication and origin -------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _flip(secret: str, index: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    c = secret[index]
    # Flip the top bit of the 6-bit value, which is a data bit even in a last base64 char.
    replacement = alphabet[alphabet.index(c) ^ 32] if c in alphabet else ("A" if c != "A" else "B")
    index %= len(secret)
    return secret[:index] + replacement + secret[index + 1 :]


def _forgeries(secret: str) -> dict[str, str]:
    parts = secret.split(".")
    payload = {"sub": "todo-assistant", "exp": int(time.time()) + 600}
    if len(parts) == 3:
        try:
            payload = json.loads(_b64url_decode(parts[1]))
        except ValueError:
            pass
    body = _b64url(json.dumps(payload).encode())
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    other_key = os.urandom(32)
    signed = f"{header}.{body}"
    other_sig = _b64url(hmac.new(other_key, signed.encode(), hashlib.sha256).digest())
    none_header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return {
        "last char changed": _flip(secret, -1),
        "middle char changed": _flip(secret, len(secret) // 2),
        "first char changed": _flip(secret, 0),
        "truncated": secret[:-1],
        "extended": secret + "A",
        "JWT signed with another key": f"{signed}.{other_sig}",
        "JWT alg none": f"{none_header}.{body}.",
        "empty": "",
    }


def test_missing_authorization_is_401(client):
    before = client.snapshot()
    assert_error(client.post("threads.list", {}, auth=False), 401, "unauthenticated")
    assert_error(client.post("threads.create", {"input": user_input("sneaky")}, auth=False), 401, "unauthenticated")
    assert client.snapshot() == before


def test_forged_tokens_are_401(client, server):
    create(client, "stored before")
    before = client.snapshot()
    failures = []
    for name, token in _forgeries(server.secret).items():
        assert token != server.secret
        for auth in (f"Bearer {token}",):
            for op, params in (("threads.list", {}), ("threads.create", {"input": user_input("forged")})):
                r = client.post(op, params, auth=auth)
                try:
                    assert_error(r, 401)
                except AssertionError as e:
                    failures.append(f"{name} / {op}: {e}")
    for auth in (f"Basic {server.secret}", f"bearer{server.secret}", server.secret, "Bearer"):
        r = client.post("threads.list", {}, auth=auth)
        try:
            assert_error(r, 401)
        except AssertionError as e:
            failures.append(f"Authorization {auth[:12]!r}...: {e}")
    assert not failures, "\n".join(failures)
    assert client.snapshot() == before


FORBIDDEN_ORIGINS = [
    "http://evil.example",
    "https://evil.example:443",
    "http://localhost.evil.example:5173",
    "http://127.0.0.1.nip.io:8080",
    "http://evil.example/http://localhost:5173",
    "tauri://evil",
    "null",
]
ALLOWED_ORIGINS = [
    "http://localhost:5173",
    "http://127.0.0.1:1420",
    "http://[::1]:8080",
    "tauri://localhost",
    "http://tauri.localhost",
]


@pytest.mark.parametrize("origin", FORBIDDEN_ORIGINS)
def test_foreign_origin_is_403(client, origin):
    create(client, "stored before")
    before = client.snapshot()
    assert_error(client.post("threads.list", {}, headers={"Origin": origin}), 403, "forbidden_origin")
    r = client.post("threads.create", {"input": user_input("cross-site")}, headers={"Origin": origin})
    assert_error(r, 403, "forbidden_origin")
    assert client.snapshot() == before


@pytest.mark.parametrize("origin", ALLOWED_ORIGINS)
def test_loopback_and_app_origins_are_allowed(client, origin):
    s = client.stream("threads.create", {"input": user_input("from the app")}, headers={"Origin": origin})
    assert s.types()[0] == "thread.created"
    page = client.call("threads.list", {}, headers={"Origin": origin})
    assert [t["id"] for t in page["data"]] == [s.events[0].thread.id]


# -- cancellation --------------------------------------------------------------------------


def test_dropping_a_stream_keeps_the_partial_answer(client):
    text = "[slow] " + " ".join(f"word{n:02d}" for n in range(40))
    full = "You said: " + text
    received, thread_id, user_id = "", None, None
    deltas = 0
    started = time.monotonic()
    gen = client.events("threads.create", {"input": user_input(text)})
    for _, event in gen:
        if event.type == "thread.created":
            thread_id = event.thread.id
        elif event.type == "thread.item.done" and isinstance(event.item, UserMessageItem):
            user_id = event.item.id
        elif event.type == "thread.item.updated" and isinstance(event.update, AssistantMessageContentPartTextDelta):
            received += event.update.delta
            deltas += 1
            if deltas == 2:
                break
        elif event.type == "thread.item.done":
            pytest.fail(f"the [slow] answer finished before it was dropped: {event}")
    gen.close()  # drops the connection
    assert time.monotonic() - started < 1.5, "[slow] deltas should be ~50 ms apart"
    assert thread_id and user_id and received == "You said: "

    saved = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        items = client.all_items(thread_id)
        assistants = [i for i in items if isinstance(i, AssistantMessageItem)]
        if assistants:
            saved = assistants
            break
        time.sleep(0.1)
    assert saved, "no partial assistant message was saved after the client dropped the stream"
    assert len(saved) == 1
    partial = message_text(saved[0])
    assert partial.startswith(received) and full.startswith(partial), (partial, full)
    assert partial.strip() and len(partial) < len(full), f"the answer was not cut short: {partial!r}"
    assert ids(items)[0] == user_id

    time.sleep(full.count(" ") * 0.05 + 0.5)  # longer than the rest of the answer would take
    assert [canonical(i) for i in client.all_items(thread_id)] == [canonical(i) for i in items], "it kept going"

    # The server keeps answering, on that thread too.
    add_message(client, thread_id, "are you still there", untitled_ok=True)
    assert client.list_threads().data[0].id == thread_id


# -- null omission, whole-answer checks ----------------------------------------------------


def test_json_omits_nulls(client):
    gen = client.events("threads.create", {"input": user_input("[slow] untitled for a moment")})
    raws = []
    for raw, event in gen:
        raws.append(raw)
        if event.type == "stream_options":
            break
    gen.close()
    created = json.loads(raws[0])
    assert created["type"] == "thread.created"
    assert "title" not in created["thread"] and "null" not in raws[0], raws[0]
    user = json.loads(raws[1])["item"]
    assert "quoted_text" not in user and "null" not in raws[1], raws[1]
    thread_id = created["thread"]["id"]
    time.sleep(0.3)
    for op, params in (
        ("threads.get_by_id", {"thread_id": thread_id}),
        ("threads.list", {}),
        ("items.list", {"thread_id": thread_id}),
    ):
        r = client.post(op, params)
        assert r.status == 200, r
        assert not find_nulls(r.json()) and b"null" not in r.body, r
