"""The assistant on a server that speaks only Chat Completions (llama.cpp's server, older vLLM
and LM Studio, Ollama, many gateways), end to end through `serve`: the same conversations,
tools, widgets, cancel and error codes as on the Responses API, with every request validated
as the `openai` package's `CompletionCreateParamsStreaming` and every answer built from its
`ChatCompletionChunk` type (fake_chat.py). Then the automatic API style (a 404 or 405 on
/responses falls back to Chat Completions, remembered), `models` (GET /models), and each
server-specific failure with its code.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from chatkit.types import AssistantMessageItem

from agentkit import Agent, assert_added_card, assert_app_error, assert_streamed_reply, assert_task_item, assert_task_list_widget, closed_port, start_agent
from ckclient import canonical, message_text, user_input
from fake_chat import (
    ChatBuilder,
    FakeChat,
    chat_calls,
    chat_text,
    messages,
    ollama_model_not_found,
    ollama_no_tools,
    openai_model_not_found,
    simplify_chat,
    tool_results,
)
from fake_responses import Pause
from test_shared_folder import listed

MODEL = "llama3.1:8b"


@pytest.fixture
def chat():
    f = FakeChat(keyless=True).start()
    yield f
    f.close()
    assert not f.problems, "the fake Chat Completions server saw bad or unexpected requests:\n" + "\n".join(f.problems)


@pytest.fixture
def launch_chat(tmp_path, chat):
    """launch_chat(**env) -> Agent: serve talking to `chat` like to a keyless Ollama: no
    OPENAI_API_KEY, the model named, the API style given (default chat_completions)."""
    started: list[Agent] = []

    def start(**env) -> Agent:
        base = {"OPENAI_API_KEY": None, "OPENAI_MODEL": MODEL, "TODO_ASSISTANT_API_STYLE": "chat_completions"}
        base.update(env)
        agent = start_agent(tmp_path / f"data{len(started)}", chat, **base)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        alive = agent.serve.alive()
        agent.serve.stop()
        assert alive, f"serve died during the test; log:\n{agent.serve.log_tail()}"


def result_of(req, call_id: str):
    results = tool_results(req)
    assert call_id in results, f"request #{req.index} has no tool result for {call_id}: {simplify_chat(req)}"
    return results[call_id]


# -- conversations ------------------------------------------------------------------------------


def test_add_a_task_over_chat_completions(launch_chat, chat):
    agent = launch_chat()
    user = "Add a task to buy groceries"
    reply = ["I've", " added", " “Buy", " groceries”."]
    chat.script(chat_calls(("add_task", {"title": "Buy groceries", "description": None}, "call_Add0groceries")), chat_text(*reply))
    thread_id, turn = agent.create(user)

    assert len(turn.requests) == 2, f"{len(turn.requests)} model calls for one tool round"
    first, second = turn.requests
    assert all(r.path == "/v1/chat/completions" for r in turn.requests)
    assert "authorization" not in first.headers, "no key is sent to a keyless local server"
    assert simplify_chat(first)[1:] == [("user", user)]
    out = result_of(second, "call_Add0groceries")
    assert out["status"] == "created" and out["title"] == "Buy groceries", out
    assert simplify_chat(second)[1:] == [
        ("user", user),
        ("assistant", "", [("call_Add0groceries", "add_task", {"title": "Buy groceries", "description": None})]),
        ("tool", "call_Add0groceries", out),
    ], "the call goes back as an assistant message with tool_calls, its result as a role tool message"

    assert turn.added() == ["Buy groceries"] and turn.tasks() == []
    assert_added_card(turn.widgets()[0], "Buy groceries", out["task_id"])
    assert_streamed_reply(turn, thread_id, reply)
    assert turn.errors() == [] and turn.app_errors() == []
    # Another process on the folder sees it: the CLI's `tasks list`.
    tasks = listed(agent.data_dir)
    assert [(t["id"], t["title"], t["completed"]) for t in tasks.values()] == [(out["task_id"], "Buy groceries", False)]

    # The next turn carries the thread, tool run included, as messages.
    chat.script(chat_text("You have ", "one task."))
    turn = agent.send(thread_id, "What's pending?")
    assert simplify_chat(turn.requests[0])[1:] == [
        ("user", user),
        ("assistant", "", [("call_Add0groceries", "add_task", {"title": "Buy groceries", "description": None})]),
        ("tool", "call_Add0groceries", out),
        ("assistant", "".join(reply), []),
        ("user", "What's pending?"),
    ]


def test_several_tools_in_one_answer_assembled_by_index(launch_chat, chat):
    agent = launch_chat()
    chat.script(chat_calls(("add_task", {"title": "Call mom", "description": None}, "call_Seed")), chat_text("Added."))
    thread_id, _ = agent.create("Add call mom")

    # Text first, then three calls whose argument pieces arrive interleaved.
    def complete_and_add(req):
        mom = result_of(req, "call_Seed")["task_id"] if "call_Seed" in tool_results(req) else None
        return chat_calls(
            ("complete_task", {"task_id": mom}, "call_Done"),
            ("add_task", {"title": "Water the plants", "description": "Balcony too"}, "call_Add"),
            ("list_tasks", {"status": "all"}, "call_List"),
            say=["Sure, ", "doing that now."],
        )(req)

    chat.script(complete_and_add, chat_text("Done: ", "mom called, plants added."))
    turn = agent.send(thread_id, "I called mom; add watering the plants, then show everything")
    assert len(turn.requests) == 2
    second = turn.requests[1]
    assert result_of(second, "call_Done")["status"] == "completed"
    assert result_of(second, "call_Add")["status"] == "created"
    listing = result_of(second, "call_List")["tasks"]
    assert [(t["title"], t["completed"]) for t in listing] == [("Call mom", True), ("Water the plants", False)], "the calls ran in index order"
    last_turn = simplify_chat(second)[-4:]
    assert last_turn[0] == ("assistant", "Sure, doing that now.", [
        ("call_Done", "complete_task", {"task_id": result_of(second, "call_Done")["task_id"]}),
        ("call_Add", "add_task", {"title": "Water the plants", "description": "Balcony too"}),
        ("call_List", "list_tasks", {"status": "all"}),
    ]), "the text said before the calls and every call, in one assistant message"
    assert [m[1] for m in last_turn[1:]] == ["call_Done", "call_Add", "call_List"]

    assert turn.task_titles() == ["Completed “Call mom”"] and turn.added() == ["Water the plants"]
    # the added task's card, then the listing
    assert len(turn.widgets()) == 2
    assert_task_list_widget(turn.widgets()[1], ["Call mom", "Water the plants"])
    replies = [message_text(r) for r in turn.replies()]
    assert replies == ["Sure, doing that now.", "Done: mom called, plants added."]
    stored = {t["title"]: t for t in agent.stored_tasks()}
    assert stored["Call mom"]["completed"] and stored["Water the plants"]["description"] == "Balcony too"


def test_a_tool_error_goes_back_to_the_model(launch_chat, chat):
    agent = launch_chat()
    chat.script(
        chat_calls(("complete_task", {"task_id": "task_does_not_exist"}, "call_Ghost")),
        chat_text("I couldn't find that task — ", "want me to list them?"),
    )
    thread_id, turn = agent.create("Complete the dentist task")
    assert len(turn.requests) == 2, "the tool error goes back to the model; the turn continues"
    out = result_of(turn.requests[1], "call_Ghost")
    assert set(out) == {"error"} and out["error"]["code"] == "not_found" and out["error"]["message"], out
    assert turn.errors() == [] and turn.app_errors() == [] and turn.tasks() == []
    assert_streamed_reply(turn, thread_id, ["I couldn't find that task — ", "want me to list them?"])
    assert agent.stored_tasks() == []


def test_cancel_keeps_the_partial_answer(launch_chat, chat):
    agent = launch_chat()
    chat.script(chat_text("Hello."))
    thread_id, _ = agent.create("Hi")
    before = len(agent.items(thread_id))
    words = [f"word{n:02d} " for n in range(30)]

    def slow(req):
        b = ChatBuilder(req).role()
        for n, w in enumerate(words):
            if n >= 3:
                b.pause(0.1)
            b.text([w])
        return b.finish("stop").done().stream()

    chat.script(slow)
    received = []
    gen = agent.client.events("threads.add_user_message", {"thread_id": thread_id, "input": user_input("Tell me a long story")})
    for _, event in gen:
        if event.type == "thread.item.updated" and event.update.type == "assistant_message.content_part.text_delta":
            received.append(event.update.delta)
            if len(received) == 3:
                break
    gen.close()  # drops the connection
    assert received == words[:3]

    saved = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not saved:
        saved = [i for i in agent.items(thread_id)[before:] if isinstance(i, AssistantMessageItem)]
        time.sleep(0.1)
    assert len(saved) == 1, "no partial assistant message was saved after the client dropped the stream"
    partial = message_text(saved[0])
    assert partial.startswith("".join(received)) and len(partial) < len("".join(words)), partial
    time.sleep(3.5)
    again = [i for i in agent.items(thread_id)[before:] if isinstance(i, AssistantMessageItem)]
    assert [canonical(i) for i in again] == [canonical(saved[0])], "it kept going"

    chat.script(chat_text("Still ", "here."))
    turn = agent.send(thread_id, "Are you there?")
    assert_streamed_reply(turn, thread_id, ["Still ", "here."])
    history = [m for m in simplify_chat(turn.requests[0]) if m[0] != "system"]
    assert history[-2:] == [("assistant", partial, []), ("user", "Are you there?")], "the kept partial answer is part of the thread"


def test_a_stream_cut_mid_answer_keeps_the_partial_text(launch_chat, chat):
    agent = launch_chat()
    chat.script(lambda req: ChatBuilder(req).role().text(["Half ", "an answer"]).stream(end="cut"))
    thread_id, turn = agent.create("Tell me something")
    assert_app_error(turn, "model_stream_broken", allow_retry=True)
    assert [message_text(r) for r in turn.replies()] == ["Half an answer"]


# -- the automatic API style ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 405])
def test_automatic_falls_back_to_chat_completions_and_remembers(launch_chat, chat, status):
    chat.responses_status = status
    agent = launch_chat(TODO_ASSISTANT_API_STYLE=None)
    chat.script(chat_calls(("add_task", {"title": "Buy groceries", "description": None}, "call_A")), chat_text("Added."))
    thread_id, turn = agent.create("Add a task to buy groceries")
    assert [(r.method, r.path) for r in chat.route_misses] == [("POST", "/v1/responses")], "Responses was tried first, once"
    assert len(turn.requests) == 2 and turn.errors() == [] and turn.added() == ["Buy groceries"]
    assert [t["title"] for t in agent.stored_tasks()] == ["Buy groceries"]

    chat.script(chat_text("Nothing else."))
    turn = agent.send(thread_id, "Anything else?")
    assert len(turn.requests) == 1 and turn.errors() == []
    assert len(chat.route_misses) == 1, "the second turn went straight to Chat Completions"


def test_a_base_url_without_either_api_says_to_check_it(launch_chat, chat):
    # A base URL missing its /v1: neither endpoint exists there.
    agent = launch_chat(TODO_ASSISTANT_API_STYLE=None, OPENAI_BASE_URL=chat.base_url.removesuffix("/v1"))
    thread_id, turn = agent.create("Add milk")
    assert [r.path for r in chat.route_misses] == ["/responses", "/chat/completions"]
    err = assert_app_error(turn, "model_api_not_found", allow_retry=False)
    assert "base URL" in err.message and "/v1" in err.message and "/chat/completions" in err.message, err.message


# -- models ------------------------------------------------------------------------------------


def models_cli(**env) -> subprocess.CompletedProcess:
    from test_shared_folder import BIN, cli_env

    full = cli_env()
    for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        full.pop(k, None)
    full.update({k: v for k, v in env.items() if v is not None})
    full["TODO_ASSISTANT_RETRY_BASE_MS"] = "50"
    return subprocess.run([str(BIN), "models"], capture_output=True, text=True, timeout=60, env=full)


def test_models_lists_what_the_server_offers(chat):
    p = models_cli(OPENAI_BASE_URL=chat.base_url)
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout) == {"base_url": chat.base_url, "models": sorted(chat.models)}
    assert len(chat.listings) == 1 and "authorization" not in chat.listings[0].headers


def test_models_with_a_key_sends_it_and_a_rejected_key_is_coded():
    with FakeChat() as keyed:
        p = models_cli(OPENAI_BASE_URL=keyed.base_url, OPENAI_API_KEY=keyed.api_key)
        assert p.returncode == 0, p.stdout
        assert json.loads(p.stdout)["models"] == sorted(keyed.models)
        assert keyed.listings[-1].headers.get("authorization") == f"Bearer {keyed.api_key}"
        p = models_cli(OPENAI_BASE_URL=keyed.base_url, OPENAI_API_KEY="sk-wrong")
        assert p.returncode == 1 and json.loads(p.stdout)["code"] == "invalid_api_key", p.stdout


def test_models_on_a_stopped_local_server_names_it():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    p = models_cli(OPENAI_BASE_URL=url)
    answer = json.loads(p.stdout)
    assert p.returncode == 1 and answer["code"] == "model_server_not_running", answer
    assert url in answer["message"] and "Ollama" in answer["message"], answer["message"]


def test_models_on_a_url_without_a_model_list(chat):
    p = models_cli(OPENAI_BASE_URL=chat.base_url.removesuffix("/v1"))
    answer = json.loads(p.stdout)
    assert p.returncode == 2 and answer["code"] == "invalid_input" and "/v1" in answer["message"], answer


# -- failures, coded per provider -----------------------------------------------------------------


@pytest.mark.parametrize("reply", [openai_model_not_found, ollama_model_not_found], ids=["openai", "ollama"])
def test_a_wrong_model_name(launch_chat, chat, reply):
    agent = launch_chat(OPENAI_MODEL="llama9")
    chat.script(reply("llama9"))
    thread_id, turn = agent.create("Add milk")
    assert len(turn.requests) == 1, "an unknown model is not retried"
    err = assert_app_error(turn, "model_not_found", allow_retry=False)
    assert "llama9" in err.message and "Settings" in err.message, err.message
    assert [(i.type, message_text(i)) for i in agent.items(thread_id)] == [("user_message", "Add milk")]


def test_a_model_that_cannot_call_tools(launch_chat, chat):
    agent = launch_chat(OPENAI_MODEL="gemma3:1b")
    chat.script(ollama_no_tools("gemma3:1b"))
    _, turn = agent.create("Add milk")
    assert len(turn.requests) == 1
    err = assert_app_error(turn, "model_no_tools", allow_retry=False)
    assert "tool" in err.message and "Settings" in err.message and "gemma3:1b" in err.message, err.message


def test_a_local_server_that_is_not_running(launch_chat, chat):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    agent = launch_chat(OPENAI_BASE_URL=url)
    started = time.monotonic()
    _, turn = agent.create("Add milk")
    assert time.monotonic() - started < 10, "a stopped local server is said at once, not retried"
    err = assert_app_error(turn, "model_server_not_running", allow_retry=True)
    assert url in err.message and "Ollama" in err.message and "LM Studio" in err.message, err.message
    assert chat.requests == []


def test_an_error_in_the_stream_keeps_what_arrived(launch_chat, chat):
    agent = launch_chat()
    chat.script(lambda req: ChatBuilder(req).role().text(["Working on "]).raw(
        b'data: {"error": {"message": "the model crashed", "type": "server_error"}}\n\n').stream())
    _, turn = agent.create("Add milk")
    err = assert_app_error(turn, "model_error", allow_retry=True)
    assert "crashed" in err.message
    assert [message_text(r) for r in turn.replies()] == ["Working on "]


def test_automatic_does_not_fall_back_when_the_404_is_about_the_model(launch, fake):
    """A 404 from /responses that names the model (OpenAI's model_not_found) is the model's
    fault, not a missing endpoint: reported as such, no Chat Completions call."""
    from fake_responses import HttpError as ResponsesError

    agent = launch(OPENAI_MODEL="gpt-9")
    fake.script(ResponsesError(404, openai_model_not_found("gpt-9").body))
    _, turn = agent.create("Add milk")
    assert [r.path for r in fake.requests] == ["/v1/responses"]
    err = assert_app_error(turn, "model_not_found", allow_retry=False)
    assert "gpt-9" in err.message
