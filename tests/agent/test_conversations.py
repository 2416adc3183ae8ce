"""Scripted conversations with the agent, end to end: ChatKit in, the Responses API out.

The fake model (fake_responses.py) answers with function calls and text built from the
`openai` package's own event types; what it answers can depend on what the agent sent (it
reads task ids from earlier function_call_output items, as a model would). Every request the
agent makes is checked against the contract (agentkit.contract_problems), every ChatKit event
against openai-chatkit's types (ckclient).
"""

from __future__ import annotations

import json

import pytest
from datetime import datetime

from chatkit.types import AssistantMessageItem, TaskItem, UserMessageItem, WidgetItem

from agentkit import (
    Agent,
    added_title,
    assert_added_card,
    assert_streamed_reply,
    assert_task_item,
    assert_task_list_widget,
    simplify,
    start_agent,
)
from ckclient import message_text
from fake_responses import Recorded, ResponseBuilder, calls, text

TASK_FIELDS = {"id", "title", "completed", "created_at", "updated_at"}


def visible(items: list) -> list[tuple]:
    """items.list as (type, text-ish) rows: what the user sees in the thread."""
    out = []
    for i in items:
        if isinstance(i, (UserMessageItem, AssistantMessageItem)):
            out.append((i.type, message_text(i)))
        elif isinstance(i, TaskItem):
            out.append(("task", i.task.title))
        elif isinstance(i, WidgetItem):
            out.append(("widget", i.widget.type))
        else:
            out.append((i.type,))
    return out


def output_of(req: Recorded, call_id: str) -> dict:
    outs = req.outputs()
    assert call_id in outs, f"request #{req.index} has no function_call_output for {call_id}: {simplify(req.input)}"
    return outs[call_id]


def assert_mutation_output(out: dict, status: str, title: str, task_id: str | None = None) -> str:
    assert isinstance(out, dict) and set(out) == {"task_id", "status", "title"}, f"tool output {out}"
    assert out["status"] == status and out["title"] == title, out
    assert isinstance(out["task_id"], str) and out["task_id"], out
    if task_id is not None:
        assert out["task_id"] == task_id, out
    return out["task_id"]


def assert_listed(out: dict, expected: list[tuple[str, bool, str | None]]) -> list[dict]:
    """list_tasks output: {"tasks": [{id, title, description (omitted when none), completed, created_at, updated_at}]}."""
    assert isinstance(out, dict) and set(out) == {"tasks"}, f"list_tasks output {out}"
    tasks = out["tasks"]
    for t in tasks:
        want = TASK_FIELDS | ({"description"} if t.get("description") is not None else set())
        assert set(t) == want, f"task fields {sorted(t)}, expected {sorted(want)} (description omitted when none)"
        assert isinstance(t["completed"], bool) and isinstance(t["id"], str) and t["id"]
        for key in ("created_at", "updated_at"):
            assert isinstance(t[key], str), t
            datetime.fromisoformat(t[key].replace("Z", "+00:00"))
    assert [(t["title"], t["completed"], t.get("description")) for t in tasks] == expected, tasks
    return tasks


def task_id_from_list(req: Recorded, title: str) -> str:
    """What a model does: read the id from the newest list_tasks output in its input."""
    names = {c["call_id"]: c["name"] for c in req.calls()}
    for call_id, out in reversed(list(req.outputs().items())):
        if names.get(call_id) == "list_tasks":
            return next(t["id"] for t in out["tasks"] if t["title"] == title)
    raise AssertionError(f"no list_tasks output in request #{req.index}")


def task_id_from_adds(req: Recorded, title: str) -> str:
    """The id an earlier add_task returned for `title`."""
    for call_id, out in req.outputs().items():
        if isinstance(out, dict) and out.get("status") == "created" and out.get("title") == title:
            return out["task_id"]
    raise AssertionError(f"no add_task output for {title!r} in request #{req.index}")


# -- the main conversation ---------------------------------------------------------------------


def test_add_list_complete_conversation(agent: Agent):
    fake = agent.fake
    user1 = "Add a task to buy groceries"
    reply1 = ["I've", " added", " “Buy", " groceries”."]
    fake.script(
        calls(("add_task", {"title": "Buy groceries", "description": None}, "call_Add0groceries1")),
        text(*reply1),
    )
    thread_id, turn = agent.create(user1)

    # the model calls: the user's message, then the same plus the tool run
    assert len(turn.requests) == 2, f"{len(turn.requests)} model calls for one tool round"
    first, second = turn.requests
    assert simplify(first.input) == [("user", user1)]
    add_out = output_of(second, "call_Add0groceries1")
    task_id = assert_mutation_output(add_out, "created", "Buy groceries")
    assert simplify(second.input) == [
        ("user", user1),
        ("call", "call_Add0groceries1", "add_task", {"title": "Buy groceries", "description": None}),
        ("output", "call_Add0groceries1", add_out),
    ], "the 2nd call carries the function_call and its output, matched by call_id (not the fc_ item id)"

    # what the user saw: the added task as a card with Undo, then the streamed reply, then a title
    assert turn.tasks() == []
    assert len(turn.widgets()) == 1
    assert_added_card(turn.widgets()[0], "Buy groceries", task_id)
    reply = assert_streamed_reply(turn, thread_id, reply1)
    task_at = turn.index(lambda e: e.type == "thread.item.done" and isinstance(e.item, WidgetItem))
    reply_at = turn.index(lambda e: e.type == "thread.item.added" and e.item.id == reply.id)
    assert task_at < reply_at, "the tool ran before the model's answer streamed"
    updated = turn.stream.of("thread.updated")
    assert updated and updated[-1].thread.id == thread_id and updated[-1].thread.title, "the first exchange titles the thread"
    assert turn.errors() == [] and turn.app_errors() == []

    # the store
    stored = agent.stored_tasks()
    assert [(t["id"], t["title"], t["completed"]) for t in stored] == [(task_id, "Buy groceries", False)]
    assert stored[0].get("description") is None
    assert visible(agent.items(thread_id)) == [
        ("user_message", user1),
        ("widget", "Card"),
        ("assistant_message", "".join(reply1)),
    ]

    # turn 2: list pending; the model answers from the tool output it was given
    user2 = "What's pending?"

    def summarize(req: Recorded):
        titles = [t["title"] for t in output_of(req, "call_List0pending1")["tasks"]]
        return text("You have ", f"{len(titles)} pending task: ", ", ".join(titles), ".")(req)

    fake.script(calls(("list_tasks", {"status": "pending"}, "call_List0pending1")), summarize)
    turn = agent.send(thread_id, user2)
    assert len(turn.requests) == 2
    history = [
        ("user", user1),
        ("call", "call_Add0groceries1", "add_task", {"title": "Buy groceries", "description": None}),
        ("output", "call_Add0groceries1", add_out),
        ("assistant", "".join(reply1)),
        ("user", user2),
    ]
    assert simplify(turn.requests[0].input) == history, "the thread, earlier tool runs included, is the model's input"
    listed = assert_listed(output_of(turn.requests[1], "call_List0pending1"), [("Buy groceries", False, None)])
    assert listed[0]["id"] == task_id
    assert simplify(turn.requests[1].input) == history + [
        ("call", "call_List0pending1", "list_tasks", {"status": "pending"}),
        ("output", "call_List0pending1", {"tasks": listed}),
    ]
    assert len(turn.widgets()) == 1 and turn.tasks() == [], "a list_tasks run shows a widget (and no task item)"
    assert_task_list_widget(turn.widgets()[0], ["Buy groceries"])
    assert_streamed_reply(turn, thread_id, ["You have ", "1 pending task: ", "Buy groceries", "."])

    # turn 3: the model finds the id in the earlier list output and completes the task
    user3 = "Mark the groceries one done"
    fake.script(
        lambda req: calls(("complete_task", {"task_id": task_id_from_list(req, "Buy groceries")}, "call_Done0groceries1"))(req),
        text("Done", " — “Buy groceries” is completed."),
    )
    turn = agent.send(thread_id, user3)
    assert len(turn.requests) == 2
    assert_mutation_output(output_of(turn.requests[1], "call_Done0groceries1"), "completed", "Buy groceries", task_id)
    assert turn.task_titles() == ["Completed “Buy groceries”"]
    assert_task_item(turn.tasks()[0], "Completed “Buy groceries”")
    assert_streamed_reply(turn, thread_id, ["Done", " — “Buy groceries” is completed."])
    stored = agent.stored_tasks()
    assert [(t["id"], t["title"], t["completed"]) for t in stored] == [(task_id, "Buy groceries", True)]

    # turn 4: two lists in one response; the store's state seen through the tool
    fake.script(
        calls(("list_tasks", {"status": "completed"}, "call_List0done1"), ("list_tasks", {"status": "pending"}, "call_List0pending2")),
        text("All done!"),
    )
    turn = agent.send(thread_id, "What have I finished, and what's left?")
    assert len(turn.requests) == 2
    assert_listed(output_of(turn.requests[1], "call_List0done1"), [("Buy groceries", True, None)])
    assert_listed(output_of(turn.requests[1], "call_List0pending2"), [])
    assert len(turn.widgets()) == 2
    assert_task_list_widget(turn.widgets()[0], ["Buy groceries"])
    assert_streamed_reply(turn, thread_id, ["All done!"])

    rows = visible(agent.items(thread_id))
    assert rows[:3] == [
        ("user_message", user1),
        ("widget", "Card"),
        ("assistant_message", "".join(reply1)),
    ]
    assert rows[3:6] == [("user_message", user2), ("widget", "ListView"), ("assistant_message", "You have 1 pending task: Buy groceries.")]
    assert rows[6:9] == [("user_message", user3), ("task", "Completed “Buy groceries”"), ("assistant_message", "Done — “Buy groceries” is completed.")]
    assert rows[9:] == [("user_message", "What have I finished, and what's left?"), ("widget", "ListView"), ("widget", "ListView"), ("assistant_message", "All done!")]
    assert len(fake.requests) == 8 and fake.pending() == 0


# -- several tools per response, update and delete, persistence ---------------------------------


def test_parallel_calls_update_delete_and_persistence(agent: Agent, launch):
    fake = agent.fake
    fake.script(
        calls(
            ("add_task", {"title": "Milk", "description": "2 liters"}, "call_Add0milk"),
            ("add_task", {"title": "Eggs", "description": None}, "call_Add0eggs"),
        ),
        text("Added milk and eggs."),
    )
    thread_id, turn = agent.create("Add milk (2 liters) and eggs")
    assert len(turn.requests) == 2, "both calls of one response run before the next model call"
    second = turn.requests[1]
    milk = assert_mutation_output(output_of(second, "call_Add0milk"), "created", "Milk")
    eggs = assert_mutation_output(output_of(second, "call_Add0eggs"), "created", "Eggs")
    assert milk != eggs
    tail = simplify(second.input)[1:]
    assert sorted(tail, key=str) == sorted([
        ("call", "call_Add0milk", "add_task", {"title": "Milk", "description": "2 liters"}),
        ("output", "call_Add0milk", output_of(second, "call_Add0milk")),
        ("call", "call_Add0eggs", "add_task", {"title": "Eggs", "description": None}),
        ("output", "call_Add0eggs", output_of(second, "call_Add0eggs")),
    ], key=str), tail
    assert [x[1] for x in tail if x[0] == "call"] == ["call_Add0milk", "call_Add0eggs"], "calls keep the model's order"
    assert turn.tasks() == []
    assert [added_title(w) for w in turn.widgets()] == ["Milk", "Eggs"]
    assert_streamed_reply(turn, thread_id, ["Added milk and eggs."])
    stored = agent.stored_tasks()
    assert [(t["id"], t["title"], t.get("description"), t["completed"]) for t in stored] == [
        (milk, "Milk", "2 liters", False),
        (eggs, "Eggs", None, False),
    ]

    # rename milk (description null = unchanged) and delete the eggs, in one response
    fake.script(
        lambda req: calls(
            ("update_task", {"task_id": task_id_from_adds(req, "Milk"), "title": "Oat milk", "description": None}, "call_Upd0milk"),
            ("delete_task", {"task_id": task_id_from_adds(req, "Eggs")}, "call_Del0eggs"),
        )(req),
        text("Renamed and removed."),
    )
    turn = agent.send(thread_id, "Make it oat milk, and forget the eggs")
    assert len(turn.requests) == 2
    upd = output_of(turn.requests[1], "call_Upd0milk")
    assert isinstance(upd, dict) and set(upd) == {"task_id", "status", "title"} and upd["status"] == "updated", upd
    assert upd["task_id"] == milk and upd["title"] == "Oat milk", upd
    assert_mutation_output(output_of(turn.requests[1], "call_Del0eggs"), "deleted", "Eggs", eggs)
    titles = turn.task_titles()
    assert len(titles) == 2 and titles[0] in ("Updated “Oat milk”", "Updated “Milk”") and titles[1] == "Deleted “Eggs”", titles
    for item in turn.tasks():
        assert_task_item(item, item.task.title)
    stored = agent.stored_tasks()
    assert [(t["id"], t["title"], t.get("description"), t["completed"]) for t in stored] == [(milk, "Oat milk", "2 liters", False)]

    # a new process on the same data dir still has it
    agent.stop()
    again = start_agent(agent.data_dir, fake)
    try:
        fake.script(calls(("list_tasks", {"status": "all"}, "call_List0all")), text("One task: oat milk."))
        thread2, turn = again.create("List my tasks")
        assert_listed(output_of(turn.requests[1], "call_List0all"), [("Oat milk", False, "2 liters")])
        assert simplify(turn.requests[0].input) == [("user", "List my tasks")], "a new thread starts a new input"
        assert len(turn.widgets()) == 1
        assert_task_list_widget(turn.widgets()[0], ["Oat milk"])
        assert_streamed_reply(turn, thread2, ["One task: oat milk."])
        # and the first thread is intact
        assert [r for r in visible(again.items(thread_id)) if r[0] in ("task", "widget")] == [
            ("widget", "Card"), ("widget", "Card"), ("task", titles[0]), ("task", "Deleted “Eggs”"),
        ]
    finally:
        again.stop()


# -- tool errors the model recovers from --------------------------------------------------------


def test_unknown_task_id_is_a_tool_error_the_model_recovers_from(agent: Agent):
    fake = agent.fake
    fake.script(calls(("add_task", {"title": "Call mom", "description": None}, "call_Add0mom")), text("Added."))
    thread_id, _ = agent.create("Add call mom")
    before = agent.stored_tasks()

    fake.script(
        calls(("complete_task", {"task_id": "task_does_not_exist"}, "call_Done0ghost")),
        text("I couldn't find that task — ", "want me to list them?"),
    )
    turn = agent.send(thread_id, "Complete the dentist task")
    assert len(turn.requests) == 2, "the tool error goes back to the model; the turn continues"
    out = output_of(turn.requests[1], "call_Done0ghost")
    assert isinstance(out, dict) and set(out) == {"error"}, out
    assert out["error"].get("code") == "not_found" and isinstance(out["error"].get("message"), str) and out["error"]["message"], out
    assert turn.errors() == [] and turn.app_errors() == [], "a tool error is not a turn error"
    assert not any((t or "").startswith("Completed") for t in turn.task_titles()), turn.task_titles()
    assert_streamed_reply(turn, thread_id, ["I couldn't find that task — ", "want me to list them?"])
    assert agent.stored_tasks() == before, "a failed tool run changes nothing"


def test_bad_arguments_are_tool_errors(agent: Agent):
    fake = agent.fake
    fake.script(
        calls(
            ("add_task", '{"title": 5, "description": null}', "call_Bad0type"),
            ("delete_task", '{"task_id": ', "call_Bad0json"),
            ("update_task", {"title": "x", "description": None}, "call_Bad0missing"),
            ("list_tasks", {"status": "someday"}, "call_Bad0enum"),
            ("add_task", {"title": "   ", "description": None}, "call_Bad0blank"),
        ),
        text("Sorry, let me try that again."),
    )
    thread_id, turn = agent.create("Do weird things")
    assert len(turn.requests) == 2
    for call_id in ("call_Bad0type", "call_Bad0json", "call_Bad0missing", "call_Bad0enum", "call_Bad0blank"):
        out = output_of(turn.requests[1], call_id)
        assert isinstance(out, dict) and set(out) == {"error"}, (call_id, out)
        assert out["error"].get("code") == "invalid_arguments", (call_id, out)
        assert isinstance(out["error"].get("message"), str) and out["error"]["message"], (call_id, out)
    # the bad arguments are passed back verbatim with their call ids
    sent = {c["call_id"]: c["arguments"] for c in turn.requests[1].calls()}
    assert sent["call_Bad0json"] == '{"task_id": ' and json.loads(sent["call_Bad0type"]) == {"title": 5, "description": None}
    assert turn.errors() == [] and turn.widgets() == []
    assert_streamed_reply(turn, thread_id, ["Sorry, let me try that again."])
    assert agent.stored_tasks() == []


@pytest.mark.parametrize(
    "arguments",
    [{"title": "Buy groceries"}, {"title": "Buy groceries", "description": None}],
    ids=["left-out", "null"],
)
def test_a_left_out_nullable_argument_is_null(agent: Agent, arguments):
    """Servers that do not enforce strict schemas (Ollama, LM Studio, vLLM) leave nullable
    arguments out; "Add a task to buy groceries" must work there exactly as with null."""
    fake = agent.fake
    fake.script(calls(("add_task", arguments, "call_Add0groceries")), text("Added."))
    thread_id, turn = agent.create("Add a task to buy groceries")
    out = output_of(turn.requests[1], "call_Add0groceries")
    assert isinstance(out, dict) and out.get("status") == "created", out
    [task] = agent.stored_tasks()
    assert task["title"] == "Buy groceries" and not task.get("description"), task

    # update_task with only a title keeps the description, as null does.
    fake.script(calls(("add_task", {"title": "Milk", "description": "2 liters"}, "call_Add0milk")), text("Added."))
    agent.send(thread_id, "Add milk")
    fake.script(
        lambda req: calls(("update_task", {"task_id": task_id_from_adds(req, "Milk"), "title": "Oat milk"}, "call_Upd0partial"))(req),
        text("Renamed."),
    )
    turn = agent.send(thread_id, "Make it oat milk")
    out = output_of(turn.requests[1], "call_Upd0partial")
    assert isinstance(out, dict) and out.get("status") == "updated", out
    milk = next(t for t in agent.stored_tasks() if t["title"] == "Oat milk")
    assert milk["description"] == "2 liters", milk


def test_a_missing_required_argument_is_named_for_the_model(agent: Agent):
    fake = agent.fake
    fake.script(
        calls(
            ("add_task", {"description": "no title"}, "call_Add0notitle"),
            ("complete_task", {}, "call_Done0noid"),
        ),
        text("Let me fix that."),
    )
    _, turn = agent.create("Add something")
    for call_id, field in (("call_Add0notitle", "title"), ("call_Done0noid", "task_id")):
        out = output_of(turn.requests[1], call_id)
        assert out.get("error", {}).get("code") == "invalid_arguments", out
        assert f"missing field `{field}`" in out["error"]["message"], out
    assert agent.stored_tasks() == []


# -- the loop and the request ------------------------------------------------------------------


def test_loop_stops_after_eight_model_calls(agent: Agent):
    fake = agent.fake
    fake.script(*[calls(("list_tasks", {"status": "all"}, f"call_Loop{n}")) for n in range(9)])
    thread_id, turn = agent.create("Keep listing forever")
    assert len(turn.requests) == 8, f"{len(turn.requests)} model calls; the loop stops at 8"
    assert fake.pending() == 1
    assert len(turn.widgets()) == 8, "each of the 8 responses' list_tasks ran"
    last = simplify(turn.requests[-1].input)
    assert [x[1] for x in last if x[0] == "call"] == [f"call_Loop{n}" for n in range(7)]
    assert agent.serve.alive()


def test_reasoning_items_are_not_sent_back(agent: Agent):
    """gpt-5 models stream a reasoning item first; with store: false it cannot be referenced later."""
    fake = agent.fake
    fake.script(
        calls(("add_task", {"title": "Water plants", "description": None}, "call_Add0plants"), reasoning=True),
        text("Added ", "“Water plants”.", reasoning=True),
    )
    thread_id, turn = agent.create("Remind me to water the plants")
    # contract_problems (run for every turn) rejects any reasoning item in the input
    assert [x[0] for x in simplify(turn.requests[1].input)] == ["user", "call", "output"]
    assert turn.added() == ["Water plants"]
    assert_streamed_reply(turn, thread_id, ["Added ", "“Water plants”."])


def test_text_before_a_tool_call_is_part_of_the_next_input(agent: Agent):
    """A response with a message and a function call: the user sees both, and the next model
    call's input holds the message too, as the thread (and so every later turn's input) does."""
    fake = agent.fake

    def preamble_and_call(req):
        b = ResponseBuilder(req).start().message(["Sure, ", "adding it now."])
        return b.function_call("add_task", {"title": "Call the plumber", "description": None}, "call_Add0plumber").completed().stream()

    fake.script(preamble_and_call, text("Done."))
    thread_id, turn = agent.create("Remind me to call the plumber")
    assert [message_text(r) for r in turn.replies()] == ["Sure, adding it now.", "Done."]
    assert turn.added() == ["Call the plumber"]
    second = simplify(turn.requests[1].input)
    assert [x[:2] for x in second] == [
        ("user", "Remind me to call the plumber"),
        ("assistant", "Sure, adding it now."),
        ("call", "call_Add0plumber"),
        ("output", "call_Add0plumber"),
    ], second
    # the next turn's input is built from the thread: the same history, then the answer
    fake.script(text("Anytime."))
    turn2 = agent.send(thread_id, "Thanks")
    assert simplify(turn2.requests[0].input)[: len(second)] == second


def test_model_comes_from_openai_model(launch):
    agent = launch(OPENAI_MODEL="gpt-4.1-nano")
    agent.fake.script(text("Hi!"))
    thread_id, turn = agent.create("Hello")
    assert [r.body["model"] for r in turn.requests] == ["gpt-4.1-nano"]
    assert_streamed_reply(turn, thread_id, ["Hi!"])


def test_plain_reply_uses_one_model_call(agent: Agent):
    fake = agent.fake
    fake.script(text("Hello", "! How can I ", "help with your tasks?"))
    thread_id, turn = agent.create("Hi")
    assert len(turn.requests) == 1 and simplify(turn.requests[0].input) == [("user", "Hi")]
    assert turn.tasks() == [] and turn.widgets() == []
    assert_streamed_reply(turn, thread_id, ["Hello", "! How can I ", "help with your tasks?"])
    assert not agent.tasks_path.exists() or agent.stored_tasks() == []
