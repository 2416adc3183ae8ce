"""What the assistant sees of attachments and @-mentions, end to end: ChatKit in (uploads and
tags over `serve`), the Responses API out (the fake checks every request body against the
`openai` package's types), and the scripted model acting on what it was given.
"""

from __future__ import annotations

import base64
import json
import re

from chatkit.types import UserMessageItem

from agentkit import Agent, assert_streamed_reply
from ckclient import user_input
from fake_responses import Recorded, calls, text
from test_attachments import png, upload
from test_shared_folder import tasks_cli


def user_parts(req: Recorded) -> list[dict]:
    """The content of the newest user message in a model request."""
    users = [i for i in req.input if i.get("role") == "user"]
    assert users, f"request #{req.index} has no user message"
    return users[-1]["content"]


def test_add_the_tasks_from_this_screenshot(agent: Agent):
    image = png(3, 2)
    _, shot = upload(agent.client, "todo-screenshot.png", image, "image/png")
    seen: list[list[dict]] = []

    def read_the_screenshot(req: Recorded):
        # A model that sees images: it reads the list off the attached picture.
        parts = user_parts(req)
        seen.append(parts)
        images = [p for p in parts if p["type"] == "input_image"]
        assert images, "the screenshot did not reach the model"
        return calls(
            ("add_task", {"title": "Buy milk", "description": None}, "call_Shot0milk"),
            ("add_task", {"title": "Call the plumber", "description": None}, "call_Shot0plumber"),
        )(req)

    agent.fake.script(read_the_screenshot, text("I added 2 tasks from your screenshot."))
    message = {
        "content": [{"type": "input_text", "text": "Add the tasks from this screenshot"}],
        "attachments": [shot.id],
        "inference_options": {},
    }
    turn = agent._turn("threads.create", {"input": message})
    thread_id = turn.events[0].thread.id
    user = turn.events[1].item
    assert isinstance(user, UserMessageItem) and [a.id for a in user.attachments] == [shot.id]

    assert seen[0] == [
        {"type": "input_text", "text": "Add the tasks from this screenshot"},
        {"type": "input_image", "image_url": "data:image/png;base64," + base64.b64encode(image).decode(), "detail": "auto"},
    ]
    assert [(t["title"], t["completed"]) for t in agent.stored_tasks()] == [("Buy milk", False), ("Call the plumber", False)]
    assert turn.added() == ["Buy milk", "Call the plumber"]
    assert_streamed_reply(turn, thread_id, ["I added 2 tasks from your screenshot."])

    # The next turn still shows the model the picture it is talking about.
    agent.fake.script(text("Two tasks, both pending."))
    turn = agent.send(thread_id, "How many were there?")
    first_user = next(i for i in turn.requests[0].input if i.get("role") == "user")
    assert [p["type"] for p in first_user["content"]] == ["input_text", "input_image"]


def test_a_mention_completes_exactly_the_mentioned_task(agent: Agent):
    ids = {}
    for title in ("Buy groceries", "Buy groceries for mom"):
        p = tasks_cli(agent.data_dir, "add", title)
        assert p.returncode == 0, p.stderr
        ids[title] = json.loads(p.stdout)["id"]
    target = ids["Buy groceries"]

    def complete_the_mentioned_task(req: Recorded):
        # What a model does with the reference: take the id it names, no list_tasks needed.
        said = "".join(p.get("text", "") for p in user_parts(req))
        found = re.search(r"\(task id ([^)\s]+)\)", said)
        assert found, f"the mention reached the model without a task id: {said!r}"
        return calls(("complete_task", {"task_id": found.group(1)}, "call_Done0mention"))(req)

    agent.fake.script(complete_the_mentioned_task, text("Done: “Buy groceries” is completed."))
    tag = {"type": "input_tag", "id": target, "text": "Buy groceries", "data": {"type": "task"}, "interactive": True}
    message = {
        "content": [{"type": "input_text", "text": "mark "}, tag, {"type": "input_text", "text": " done"}],
        "attachments": [],
        "inference_options": {},
    }
    turn = agent._turn("threads.create", {"input": message})
    assert user_parts(turn.requests[0]) == [
        {"type": "input_text", "text": f"mark @“Buy groceries” (task id {target}) done"}
    ]
    stored = {t["id"]: t["completed"] for t in agent.stored_tasks()}
    assert stored == {target: True, ids["Buy groceries for mom"]: False}
    assert turn.task_titles() == ["Completed “Buy groceries”"]


def test_the_model_picked_for_a_thread_is_remembered_for_that_thread(agent: Agent):
    """The composer's model picker: a message's `inference_options.model` is used for it and
    kept as the thread's model; other threads keep the connection's model."""
    def turn(op: str, params: dict) -> str:
        before = len(agent.fake.requests)
        agent.fake.script(text("ok"))
        s = agent.client.stream(op, params)
        assert "error" not in s.types(), s.types()
        requests = agent.fake.requests[before:]
        assert len(requests) == 1
        return requests[0].body["model"], s

    picked = {"content": [{"type": "input_text", "text": "Use the big one"}], "attachments": [],
              "inference_options": {"model": "gpt-4.1"}}
    model, s = turn("threads.create", {"input": picked})
    assert model == "gpt-4.1"
    thread_id = s.events[0].thread.id
    assert s.events[1].item.inference_options.model == "gpt-4.1"
    model, _ = turn("threads.add_user_message", {"thread_id": thread_id, "input": user_input("And again")})
    assert model == "gpt-4.1", "a later message without a pick keeps the thread's model"
    model, _ = turn("threads.create", {"input": user_input("A new chat")})
    assert model == "gpt-5-mini", "another thread uses the connection's model"
    answered = agent.client.post("threads.get_by_id", {"thread_id": thread_id}).json()
    assert answered.get("metadata", {}) == {}, "the thread's model stays on the server"
