"""Feedback kept with the thread, and editing a question, over the protocol
(`todo-assistant serve --responder echo`; every answer and event validated by ckclient
against openai-chatkit's types).

- `items.feedback` stores the thumbs with the thread; the built-in view reads them back with
  the `chat.feedback` action (a `threads.custom_action` without a sender item), answered by a
  `client_effect` named `feedback`. A restart keeps them; a retry forgets the removed items'.
- `chat.edit_message {item_id, text}` replaces a user message: it and everything after it are
  removed (announced as `thread.item.removed`), the new text is stored and answered.
"""

from __future__ import annotations

from chatkit.types import ClientEffectEvent, ThreadItemRemovedEvent, UserMessageItem
from ckclient import Client, canonical, message_text, user_input
from serve import Serve
from test_conformance import add_message, assert_echo, assert_error, create


def stored_feedback(client: Client, thread_id: str) -> dict:
    s = client.stream("threads.custom_action",
                      {"thread_id": thread_id, "action": {"type": "chat.feedback", "payload": {}}})
    assert s.types() == ["stream_options", "client_effect"], s.types()
    effect = s.events[1]
    assert isinstance(effect, ClientEffectEvent) and effect.name == "feedback"
    return effect.data["items"]


def test_feedback_is_stored_with_the_thread_and_survives_a_restart(tmp_path):
    with Serve(tmp_path / "data") as server:
        client = Client(server.url, server.secret)
        thread_id, _, a0, _ = create(client, "first")
        _, a1 = add_message(client, thread_id, "second")
        assert stored_feedback(client, thread_id) == {}
        before = client.snapshot()
        r = client.post("items.feedback", {"thread_id": thread_id, "item_ids": [a0.id], "kind": "positive"})
        assert r.status == 200 and r.json() == {}, r
        client.post("items.feedback", {"thread_id": thread_id, "item_ids": [a1.id], "kind": "positive"})
        client.post("items.feedback", {"thread_id": thread_id, "item_ids": [a1.id], "kind": "negative"})
        assert stored_feedback(client, thread_id) == {a0.id: "positive", a1.id: "negative"}
        # What the protocol shows of the thread does not change: metadata stays on the server.
        assert client.snapshot() == before
        # A thumb on an item that is not there is refused and stores nothing.
        assert_error(client.post("items.feedback", {"thread_id": thread_id, "item_ids": ["msg_nope"], "kind": "positive"}),
                     404, "not_found")
        # Another thread has its own.
        other, _, b0, _ = create(client, "other")
        assert stored_feedback(client, other) == {}

    with Serve(tmp_path / "data") as server:
        client = Client(server.url, server.secret)
        assert stored_feedback(client, thread_id) == {a0.id: "positive", a1.id: "negative"}
        # Retry after the first question removes the answers after it, and their thumbs.
        items = client.all_items(thread_id)
        s = client.stream("threads.retry_after_item", {"thread_id": thread_id, "item_id": items[0].id})
        assert s.types()[0] == "stream_options"
        assert stored_feedback(client, thread_id) == {}


def test_feedback_given_while_an_answer_streams_survives_the_title_it_sets(server):
    client = Client(server.url, server.secret)
    events = client.events("threads.create", {"input": user_input("[slow] a question that takes a while")})
    thread_id = user_id = None
    seen = []
    for _, event in events:
        seen.append(event.type)
        if event.type == "thread.created":
            thread_id = event.thread.id
        elif event.type == "thread.item.done" and user_id is None:
            user_id = event.item.id
            # The answer is streaming and will title the thread when it ends.
            r = client.post("items.feedback", {"thread_id": thread_id, "item_ids": [user_id], "kind": "positive"})
            assert r.status == 200, r
    assert seen[-1] == "thread.updated", seen
    assert stored_feedback(client, thread_id) == {user_id: "positive"}
    assert client.get_thread(thread_id).title


def test_editing_the_last_question_replaces_it_and_what_followed(server):
    client = Client(server.url, server.secret)
    thread_id, u0, a0, _ = create(client, "first question")
    u1, a1 = add_message(client, thread_id, "second qestion")
    client.post("items.feedback", {"thread_id": thread_id, "item_ids": [a1.id], "kind": "negative"})

    action = {"type": "chat.edit_message", "payload": {"item_id": u1.id, "text": "  second question  "}}
    s = client.stream("threads.custom_action", {"thread_id": thread_id, "action": action})
    types = s.types()
    assert types[:3] == ["thread.item.removed", "thread.item.removed", "thread.item.done"], types
    assert [e.item_id for e in s.events[:2] if isinstance(e, ThreadItemRemovedEvent)] == [u1.id, a1.id]
    edited = s.events[2].item
    assert isinstance(edited, UserMessageItem) and message_text(edited) == "second question"
    assert edited.id not in (u1.id, a1.id)
    assert s.events[3].type == "stream_options"
    answer = assert_echo(s.events[4:], thread_id, "You said: second question")

    items = client.all_items(thread_id)
    assert [i.id for i in items] == [u0.id, a0.id, edited.id, answer.id]
    assert [canonical(i) for i in items[:2]] == [canonical(u0), canonical(a0)], "what came before is untouched"
    assert stored_feedback(client, thread_id) == {}, "the removed answer's thumb went with it"


def test_bad_edits_are_refused_and_change_nothing(server):
    client = Client(server.url, server.secret)
    thread_id, u0, a0, _ = create(client, "question")
    before = client.snapshot()

    def edit(payload: dict):
        return client.post("threads.custom_action",
                           {"thread_id": thread_id, "action": {"type": "chat.edit_message", "payload": payload}})

    assert_error(edit({"item_id": a0.id, "text": "x"}), 400, "invalid_request")  # an answer
    assert_error(edit({"item_id": u0.id, "text": "   "}), 400, "invalid_request")  # no text
    assert_error(edit({"text": "x"}), 400, "invalid_request")  # no item
    assert_error(edit({"item_id": "msg_nope", "text": "x"}), 404, "not_found")
    assert client.snapshot() == before
