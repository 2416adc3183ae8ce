"""How the agent fails: every model failure ends the turn with ChatKit's `error` event (code
custom, a message) plus the `app_error` client effect carrying a stable code, retries only
what is worth retrying, and loses nothing already stored.

Each test first holds a good exchange (one task added), then makes the model fail, then checks
the thread and tasks.db still hold everything from before plus the new user message.
"""

from __future__ import annotations

import time

import pytest

from chatkit.types import AssistantMessageItem, TaskItem, UserMessageItem

from agentkit import Agent, Turn, added_title, assert_app_error, assert_streamed_reply, closed_port, simplify
from ckclient import canonical, message_text, user_input
from fake_responses import Hang, HttpError, Pause, ResponseBuilder, Stream, api_error, calls, text

RETRY_AFTER = {"Retry-After": "1"}


def seed(agent: Agent) -> tuple[str, dict]:
    """A thread with one good exchange; returns its id and the state to compare against."""
    agent.fake.script(calls(("add_task", {"title": "Buy groceries", "description": None}, "call_Seed0add")), text("Added “Buy groceries”."))
    thread_id, turn = agent.create("Add a task to buy groceries")
    assert len(turn.requests) == 2 and turn.errors() == [] and turn.added() == ["Buy groceries"]
    return thread_id, {
        "items": [canonical(i) for i in agent.items(thread_id)],
        "tasks": agent.stored_tasks(),
        "requests": len(agent.fake.requests),
    }


def assert_nothing_lost(agent: Agent, thread_id: str, before: dict, user_text: str, extra: int = 0) -> list:
    """The thread holds what it held, then the new user message (then `extra` more items)."""
    items = agent.items(thread_id)
    old = len(before["items"])
    assert [canonical(i) for i in items[:old]] == before["items"], "earlier items changed"
    assert len(items) == old + 1 + extra, [(i.type, getattr(i, "content", None)) for i in items[old:]]
    assert isinstance(items[old], UserMessageItem) and message_text(items[old]) == user_text, "the user's message is kept"
    assert agent.stored_tasks() == before["tasks"], "the stored tasks changed"
    assert agent.client.get_thread(thread_id).id == thread_id
    return items[old + 1 :]


def failing_turn(agent: Agent, thread_id: str, text_: str = "What's pending?") -> Turn:
    return agent.send(thread_id, text_)


def gaps(turn: Turn) -> list[float]:
    return [b.at - a.at for a, b in zip(turn.requests, turn.requests[1:])]


def same_request(turn: Turn) -> None:
    bodies = [r.body for r in turn.requests]
    assert all(b == bodies[0] for b in bodies), "a retry resends the same request"


# -- the key ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key(agent: Agent, status: int):
    thread_id, before = seed(agent)
    agent.fake.script(HttpError(status), text("never sent"))
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 1, f"{len(turn.requests)} requests: a rejected key is not retried"
    assert_app_error(turn, "invalid_api_key", allow_retry=False)
    notices = turn.notices()
    assert len(notices) == 1 and notices[0].level == "danger", turn.types()
    msg = notices[0].message.lower()
    assert "key" in msg and "settings" in msg, f"the notice should send the user to the key in Settings: {notices[0].message!r}"
    assert turn.replies() == []
    assert_nothing_lost(agent, thread_id, before, "What's pending?")


def test_rejected_key_on_a_new_thread(agent: Agent):
    agent.fake.script(HttpError(401))
    thread_id, turn = agent.create("Add milk")
    assert len(turn.requests) == 1
    assert_app_error(turn, "invalid_api_key", allow_retry=False)
    items = agent.items(thread_id)
    assert [(i.type, message_text(i)) for i in items] == [("user_message", "Add milk")]


# -- rate limits --------------------------------------------------------------------------------


def test_rate_limit_once_then_recovers(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(HttpError(429, headers=RETRY_AFTER), text("Nothing ", "pending but groceries."))
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 2
    assert gaps(turn)[0] >= 0.95, f"Retry-After: 1 honoured? retried after {gaps(turn)[0]:.3f}s"
    same_request(turn)
    assert turn.errors() == [] and turn.app_errors() == []
    assert_streamed_reply(turn, thread_id, ["Nothing ", "pending but groceries."])
    assert_nothing_lost(agent, thread_id, before, "What's pending?", extra=1)


def test_rate_limit_gives_up_after_three_attempts(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(*[HttpError(429, headers=RETRY_AFTER)] * 3, text("a 4th attempt got through"))
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 3, f"{len(turn.requests)} attempts, expected 3"
    assert all(g >= 0.95 for g in gaps(turn)), f"Retry-After: 1 honoured? gaps {gaps(turn)}"
    same_request(turn)
    assert_app_error(turn, "rate_limited", allow_retry=True)
    assert turn.replies() == []
    assert_nothing_lost(agent, thread_id, before, "What's pending?")


# -- the model is unavailable -------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_give_up_after_three_attempts(agent: Agent, status: int):
    thread_id, before = seed(agent)
    body = api_error(status) if status == 500 else b"upstream connect error or disconnect/reset before headers"
    agent.fake.script(*[HttpError(status, body)] * 3, text("a 4th attempt got through"))
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 3, f"{len(turn.requests)} attempts, expected 3"
    same_request(turn)
    assert_app_error(turn, "model_unavailable", allow_retry=True)
    assert turn.replies() == []
    assert_nothing_lost(agent, thread_id, before, "What's pending?")


def test_server_error_then_recovers(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(HttpError(500), HttpError(503), text("Just the groceries."))
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 3
    same_request(turn)
    assert turn.errors() == [] and turn.app_errors() == []
    assert_streamed_reply(turn, thread_id, ["Just the groceries."])
    assert_nothing_lost(agent, thread_id, before, "What's pending?", extra=1)


def test_refused_connection(launch):
    # Nothing listens there: on loopback that is a model server that is not running.
    url = f"http://127.0.0.1:{closed_port()}/v1"
    agent = launch(OPENAI_BASE_URL=url)
    started = time.monotonic()
    thread_id, turn = agent.create("Add milk")
    assert time.monotonic() - started < 20
    err = assert_app_error(turn, "model_server_not_running", allow_retry=True)
    assert url in err.message, err.message
    assert [(i.type, message_text(i)) for i in agent.items(thread_id)] == [("user_message", "Add milk")]
    assert agent.fake.requests == []


@pytest.mark.parametrize("silence", ["no-headers", "headers-only"])
def test_model_that_never_answers(agent: Agent, silence: str):
    thread_id, before = seed(agent)
    hang = Hang() if silence == "no-headers" else Stream([], end="stall")
    agent.fake.script(hang, hang, hang, text("a 4th attempt got through"))
    started = time.monotonic()
    turn = failing_turn(agent, thread_id)
    elapsed = time.monotonic() - started
    assert len(turn.requests) == 3, f"{len(turn.requests)} attempts, expected 3"
    assert all(g >= 1.9 for g in gaps(turn)), f"each attempt waits out the 2 s idle timeout: gaps {gaps(turn)}"
    assert elapsed < 20, f"the turn took {elapsed:.1f}s with a 2 s idle timeout"
    assert_app_error(turn, "model_unavailable", allow_retry=True)
    assert_nothing_lost(agent, thread_id, before, "What's pending?")


def test_tool_run_is_kept_when_the_next_model_call_fails(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(
        calls(("add_task", {"title": "Milk", "description": None}, "call_Add0milk")),
        *[HttpError(500)] * 3,
    )
    turn = failing_turn(agent, thread_id, "Add milk")
    assert len(turn.requests) == 4
    assert turn.added() == ["Milk"]
    assert_app_error(turn, "model_unavailable", allow_retry=True)
    items = agent.items(thread_id)
    assert [canonical(i) for i in items[: len(before["items"])]] == before["items"]
    new = items[len(before["items"]) :]
    assert [i.type for i in new] == ["user_message", "widget"] and added_title(new[1]) == "Milk"
    assert [t["title"] for t in agent.stored_tasks()] == ["Buy groceries", "Milk"], "the tool's effect stays"


# -- broken streams -----------------------------------------------------------------------------


PARTIAL = ["You have ", "one pending ", "task: "]


def partial_then(end: str, garbage: bytes | None = None):
    def reply(req):
        b = ResponseBuilder(req).start()
        b.message_events(PARTIAL)
        if garbage is not None:
            b.raw(garbage)
        return b.stream(end=end)

    return reply


def assert_partial_kept(agent: Agent, thread_id: str, before: dict, turn: Turn) -> None:
    partial = "".join(PARTIAL)
    replies = turn.replies()
    assert [message_text(r) for r in replies] == [partial], f"the partial answer is completed as an item: {turn.types()}"
    deltas = [e.update.delta for e in turn.events if e.type == "thread.item.updated" and e.item_id == replies[0].id and e.update.type == "assistant_message.content_part.text_delta"]
    assert deltas == PARTIAL, "what arrived was streamed"
    done_at = turn.index(lambda e: e.type == "thread.item.done" and isinstance(e.item, AssistantMessageItem))
    assert done_at < turn.types().index("error"), "the partial answer is saved before the error"
    rest = assert_nothing_lost(agent, thread_id, before, "What's pending?", extra=1)
    assert isinstance(rest[0], AssistantMessageItem) and message_text(rest[0]) == partial
    assert rest[0].id == replies[0].id


def test_stream_cut_off_keeps_the_partial_answer(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(partial_then("cut"))
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 1, "text already reached the user: no retry"
    assert_app_error(turn, "model_stream_broken", allow_retry=True)
    assert_partial_kept(agent, thread_id, before, turn)


def test_stream_ending_without_completed_keeps_the_partial_answer(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(partial_then("clean"))
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 1
    assert_app_error(turn, "model_stream_broken", allow_retry=True)
    assert_partial_kept(agent, thread_id, before, turn)


def test_stream_stalling_mid_answer_keeps_the_partial_answer(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(partial_then("stall"))
    started = time.monotonic()
    turn = failing_turn(agent, thread_id)
    assert 1.9 <= time.monotonic() - started < 10, "the idle timeout (2 s) applies between events too"
    assert len(turn.requests) == 1
    assert_app_error(turn, "model_stream_broken", allow_retry=True)
    assert_partial_kept(agent, thread_id, before, turn)


@pytest.mark.parametrize(
    "garbage",
    [
        b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"tru\n\n',
        b"event: response.output_text.delta\ndata: <html>502 Bad Gateway</html>\n\n",
    ],
    ids=["truncated-json", "not-json"],
)
def test_malformed_sse_keeps_the_partial_answer(agent: Agent, garbage: bytes):
    thread_id, before = seed(agent)
    agent.fake.script(partial_then("clean", garbage))
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 1
    assert_app_error(turn, "model_stream_broken", allow_retry=True)
    assert_partial_kept(agent, thread_id, before, turn)


# -- the model reports an error -----------------------------------------------------------------


def model_error_message(turn: Turn) -> str:
    return (turn.errors()[0].message or "") + " | " + turn.app_errors()[0].data.get("message", "")


def test_response_failed(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(lambda req: ResponseBuilder(req).start().failed("The model produced invalid content (ref 7f3a).").stream())
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 1
    assert_app_error(turn, "model_error", allow_retry=None)
    assert "The model produced invalid content (ref 7f3a)." in model_error_message(turn)
    assert turn.replies() == []
    assert_nothing_lost(agent, thread_id, before, "What's pending?")


def test_error_event_in_the_stream(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(lambda req: ResponseBuilder(req).start().error("Context window exceeded for this thread (ref 91c2).", code="context_length_exceeded").stream())
    turn = failing_turn(agent, thread_id)
    assert len(turn.requests) == 1
    assert_app_error(turn, "model_error", allow_retry=None)
    assert "Context window exceeded for this thread (ref 91c2)." in model_error_message(turn)
    assert turn.replies() == []
    assert_nothing_lost(agent, thread_id, before, "What's pending?")


def test_agent_keeps_working_after_a_failure(agent: Agent):
    thread_id, before = seed(agent)
    agent.fake.script(HttpError(401))
    turn = failing_turn(agent, thread_id)
    assert_app_error(turn, "invalid_api_key", allow_retry=False)
    agent.fake.script(text("Back ", "online."))
    turn = agent.send(thread_id, "Hello again")
    assert turn.errors() == []
    assert_streamed_reply(turn, thread_id, ["Back ", "online."])
    inputs = simplify(turn.requests[0].input)
    assert inputs[-2:] == [("user", "What's pending?"), ("user", "Hello again")], "the input is the stored thread"


# -- the user cancels ---------------------------------------------------------------------------


def test_dropping_the_chatkit_stream_keeps_the_partial_answer(agent: Agent):
    """The client cancels by dropping the stream: what was produced so far is kept, the model's
    further text is not added, and the agent keeps working."""
    thread_id, before = seed(agent)
    words = [f"word{n:02d} " for n in range(30)]

    def slow(req):
        b = ResponseBuilder(req).start().message(words).completed()
        paced, seen = [], 0
        for e in b.events:
            if getattr(e, "type", "") == "response.output_text.delta":
                seen += 1
                if seen > 3:
                    paced.append(Pause(0.1))
            paced.append(e)
        return Stream(paced)

    agent.fake.script(slow)
    received = []
    gen = agent.client.events("threads.add_user_message", {"thread_id": thread_id, "input": user_input("Tell me a long story")})
    for _, event in gen:
        if event.type == "thread.item.updated" and event.update.type == "assistant_message.content_part.text_delta":
            received.append(event.update.delta)
            if len(received) == 3:
                break
        assert event.type != "thread.item.done" or not isinstance(event.item, AssistantMessageItem), "finished before the drop"
    gen.close()  # drops the connection
    assert received == words[:3]

    saved = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not saved:
        saved = [i for i in agent.items(thread_id)[len(before["items"]):] if isinstance(i, AssistantMessageItem)]
        time.sleep(0.1)
    assert len(saved) == 1, "no partial assistant message was saved after the client dropped the stream"
    partial = message_text(saved[0])
    full = "".join(words)
    assert partial.startswith("".join(received)) and full.startswith(partial) and len(partial) < len(full), partial
    time.sleep(3.5)  # longer than the rest of the answer would take
    again = agent.items(thread_id)[len(before["items"]):]
    assert [canonical(i) for i in again if isinstance(i, AssistantMessageItem)] == [canonical(saved[0])], "it kept going"
    assert agent.stored_tasks() == before["tasks"]

    agent.fake.script(text("Still ", "here."))
    turn = agent.send(thread_id, "Are you there?")
    assert_streamed_reply(turn, thread_id, ["Still ", "here."])
    history = [x for x in simplify(turn.requests[0].input) if x[0] != "developer"]
    assert history[-2:] == [("assistant", partial), ("user", "Are you there?")], "the kept partial answer is part of the thread"
