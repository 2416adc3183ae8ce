"""Task widgets that act, over the protocol: the assistant (`todo-assistant serve`, its default
responder) against the fake Responses API on loopback, every answer and event validated by
ckclient against openai-chatkit's types.

The task list widget has Complete / Reopen / Delete on each row; a task the assistant added
shows as a card with Undo. ChatKit sends their server-handled actions as
`threads.custom_action` (and `threads.sync_custom_action` when an action says
`streaming: false`): the change applies at once, with no model call, and the widget is
redrawn in place (`thread.item.updated` with `widget.root.updated`), stored that way.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agent"))

from chatkit.types import WidgetItem, WidgetRootUpdated  # noqa: E402

from agentkit import Agent, added_title, assert_added_card, simplify, start_agent, widget_texts  # noqa: E402
from ckclient import SYNC_ACTION, canonical, strict  # noqa: E402
from fake_responses import FakeResponses, calls, text  # noqa: E402
from test_conformance import assert_error  # noqa: E402


@pytest.fixture
def agent(tmp_path):
    fake = FakeResponses().start()
    agent = start_agent(tmp_path / "data", fake)
    yield agent
    alive = agent.serve.alive()
    agent.serve.stop()
    fake.close()
    assert alive, f"serve died during the test; log:\n{agent.serve.log_tail()}"
    assert not fake.problems, "\n".join(fake.problems)


def rows(widget: dict) -> list[tuple[str, bool, list[str]]]:
    """A list widget's rows as (title, struck through, button labels)."""
    out = []
    for row in widget["children"]:
        title = row["children"][0]["children"][0]
        buttons = [c["label"] for c in row["children"] if c["type"] == "Button"]
        out.append((title["value"], title.get("lineThrough", False), buttons))
    return out


def button_action(widget: dict, task_id: str, label: str) -> dict:
    for row in widget["children"]:
        if row["key"] == task_id:
            for child in row["children"]:
                if child["type"] == "Button" and child["label"] == label:
                    action = child["onClickAction"]
                    return {"type": action["type"], "payload": action["payload"]}
    raise AssertionError(f"no {label} button for {task_id}")


def act(agent: Agent, thread_id: str, item_id: str | None, action: dict):
    before = len(agent.fake.requests)
    s = agent.client.stream("threads.custom_action", {"thread_id": thread_id, "item_id": item_id, "action": action})
    assert len(agent.fake.requests) == before, "a widget action needs no model call"
    return s


def redrawn(s, item_id: str) -> dict:
    """The one in-place widget update a task action streams."""
    assert s.types() in (["stream_options", "thread.item.updated"],
                         ["stream_options", "thread.item.updated", "notice"]), s.types()
    update = s.events[1]
    assert update.item_id == item_id and isinstance(update.update, WidgetRootUpdated)
    return canonical(update)["update"]["widget"]


def stored_widget(agent: Agent, thread_id: str, item_id: str) -> dict:
    [item] = [i for i in agent.items(thread_id) if i.id == item_id]
    assert isinstance(item, WidgetItem)
    return canonical(item)["widget"]


def test_list_rows_complete_reopen_and_delete_in_place(agent: Agent):
    agent.fake.script(
        calls(("add_task", {"title": "Milk", "description": None}, "call_Add0milk"),
              ("add_task", {"title": "Eggs", "description": None}, "call_Add0eggs")),
        text("Added both."),
    )
    thread_id, _ = agent.create("Add milk and eggs")
    milk, eggs = [t["id"] for t in agent.stored_tasks()]
    agent.fake.script(calls(("list_tasks", {"status": "all"}, "call_List0all")), text("Here they are."))
    turn = agent.send(thread_id, "What's on my list?")
    [listing] = [w for w in turn.widgets() if canonical(w)["widget"]["type"] == "ListView"]
    widget = canonical(listing)["widget"]
    assert rows(widget) == [("Milk", False, ["Complete", "Delete"]), ("Eggs", False, ["Complete", "Delete"])]

    # Complete: the task is done in the store, and the row redrawn with Reopen.
    s = act(agent, thread_id, listing.id, button_action(widget, milk, "Complete"))
    widget = redrawn(s, listing.id)
    assert rows(widget) == [("Milk", True, ["Reopen", "Delete"]), ("Eggs", False, ["Complete", "Delete"])]
    assert [(t["title"], t["completed"]) for t in agent.stored_tasks()] == [("Milk", True), ("Eggs", False)]
    assert stored_widget(agent, thread_id, listing.id) == widget, "the redrawn widget is what is stored"

    # Reopen puts it back.
    widget = redrawn(act(agent, thread_id, listing.id, button_action(widget, milk, "Reopen")), listing.id)
    assert rows(widget)[0] == ("Milk", False, ["Complete", "Delete"])
    assert [t["completed"] for t in agent.stored_tasks()] == [False, False]

    # Delete takes the row out and counts again.
    widget = redrawn(act(agent, thread_id, listing.id, button_action(widget, eggs, "Delete")), listing.id)
    assert rows(widget) == [("Milk", False, ["Complete", "Delete"])]
    assert widget["status"]["text"] == "Tasks (1)"
    assert [t["title"] for t in agent.stored_tasks()] == ["Milk"]
    assert stored_widget(agent, thread_id, listing.id) == widget

    # The model hears what the person did, on its next turn.
    agent.fake.script(text("Noted."))
    turn = agent.send(thread_id, "Thanks")
    notes = [row[1] for row in simplify(turn.requests[0].input) if row[0] == "developer"]
    assert any("completed" in n and "Milk" in n for n in notes), notes
    assert any("deleted" in n and "Eggs" in n for n in notes), notes


def test_an_added_task_shows_as_a_card_whose_undo_deletes_it(agent: Agent):
    agent.fake.script(calls(("add_task", {"title": "Call mom", "description": None}, "call_Add0mom")),
                      text("Added."))
    thread_id, turn = agent.create("Remind me to call mom")
    [task] = agent.stored_tasks()
    [card] = turn.widgets()
    assert_added_card(card, "Call mom", task["id"])
    agent.fake.script(calls(("add_task", {"title": "Pay rent", "description": None}, "call_Add0rent")), text("Added."))
    agent.send(thread_id, "And pay rent")

    widget = canonical(card)["widget"]
    undo = {"type": "task.undo_add", "payload": {"task_id": task["id"]}}
    after = redrawn(act(agent, thread_id, card.id, undo), card.id)
    assert "Undone: removed from your tasks" in widget_texts(after) and "Call mom" in widget_texts(after)
    assert "task.undo_add" not in str(after), "the card has no Undo left"
    assert [t["title"] for t in agent.stored_tasks()] == ["Pay rent"], "only the added task is gone"
    assert added_title(agent.items(thread_id)[1]) is None, "the stored card says it was undone"

    # Undo sent again (a second window with the old card): the stored card has no Undo now,
    # so it is refused with a code, and nothing more is deleted.
    s = act(agent, thread_id, card.id, undo)
    assert [e.data["code"] for e in s.of("client_effect")] == ["invalid_request"], s.types()
    assert [t["title"] for t in agent.stored_tasks()] == ["Pay rent"]
    assert widget != after


def test_undo_on_a_task_already_deleted_says_so(agent: Agent):
    agent.fake.script(calls(("add_task", {"title": "Milk", "description": None}, "call_Add0milk")), text("Added."))
    thread_id, turn = agent.create("Add milk")
    [card] = turn.widgets()
    [task] = agent.stored_tasks()
    agent.fake.script(calls(("delete_task", {"task_id": task["id"]}, "call_Del0milk")), text("Deleted."))
    agent.send(thread_id, "Actually, delete it")
    assert agent.stored_tasks() == []
    after = redrawn(act(agent, thread_id, card.id, {"type": "task.undo_add", "payload": {"task_id": task["id"]}}),
                    card.id)
    assert "No longer on your tasks" in widget_texts(after) and "Milk" in widget_texts(after)
    assert "task.undo_add" not in str(after)


def test_sync_custom_action_answers_the_redrawn_widget(agent: Agent):
    agent.fake.script(calls(("add_task", {"title": "Milk", "description": None}, "call_Add0milk")), text("Added."))
    thread_id, turn = agent.create("Add milk")
    [card] = turn.widgets()
    task_id = agent.stored_tasks()[0]["id"]
    r = agent.client.post("threads.sync_custom_action", {
        "thread_id": thread_id, "item_id": card.id,
        "action": {"type": "task.undo_add", "payload": {"task_id": task_id}},
    })
    assert r.status == 200, r
    updated = strict(SYNC_ACTION, r.body, "threads.sync_custom_action").updated_item
    assert updated.id == card.id and "Undone: removed from your tasks" in widget_texts(canonical(updated)["widget"])
    assert agent.stored_tasks() == []
    assert canonical(agent.items(thread_id)[1]) == canonical(updated)


def test_bad_task_actions_are_refused_and_change_nothing(agent: Agent):
    agent.fake.script(calls(("add_task", {"title": "Milk", "description": None}, "call_Add0milk")), text("Added."))
    thread_id, turn = agent.create("Add milk")
    [card] = turn.widgets()
    user = agent.items(thread_id)[0]
    task_id = agent.stored_tasks()[0]["id"]
    tasks, items = agent.stored_tasks(), [canonical(i) for i in agent.items(thread_id)]

    for item_id, action in [
        (card.id, {"type": "task.explode", "payload": {"task_id": task_id}}),  # no such action
        (card.id, {"type": "task.undo_add", "payload": {}}),  # no task id
        (card.id, {"type": "task.undo_add", "payload": {"task_id": "task_other"}}),  # not this card's task
        (card.id, {"type": "task.delete", "payload": {"task_id": task_id}}),  # a list's action on a card
        (None, {"type": "task.complete", "payload": {"task_id": task_id}}),  # no sender widget
    ]:
        s = act(agent, thread_id, item_id, action)
        effects = s.of("client_effect")
        assert [e.data["code"] for e in effects if e.name == "app_error"] == ["invalid_request"], (action, s.types())
        [error] = s.of("error")
        assert error.allow_retry is False and error.message, action
    # A user message is not a widget: ChatKit's generic refusal, as chatkit-python answers.
    s = act(agent, thread_id, user.id, {"type": "task.complete", "payload": {"task_id": task_id}})
    assert [e.type for e in s.events] == ["stream_options", "error"]
    assert_error(agent.client.post("threads.custom_action", {
        "thread_id": "thr_missing", "item_id": card.id,
        "action": {"type": "task.undo_add", "payload": {"task_id": task_id}}}), 404, "not_found")
    assert agent.stored_tasks() == tasks
    assert [canonical(i) for i in agent.items(thread_id)] == items
