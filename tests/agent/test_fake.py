"""The fake Responses API is faithful: the official `openai` SDK talks to it as to the real one
(typed events, the accumulated final response, its error classes), and the fake's request
checks catch what the real API would refuse. Needs no binary."""

from __future__ import annotations

import json

import http.client
import openai
import pytest

from agentkit import TOOLS, contract_problems, tool_problems
from fake_responses import FakeResponses, HttpError, ResponseBuilder, calls, text, validate_body


def tools() -> list[dict]:
    out = []
    for name, props in TOOLS.items():
        schema = {}
        for prop, want in props.items():
            schema[prop] = {"type": "string", "enum": want[1]} if isinstance(want, tuple) else {"type": want}
        out.append({
            "type": "function", "name": name, "description": f"{name} tool", "strict": True,
            "parameters": {"type": "object", "properties": schema, "required": list(props), "additionalProperties": False},
        })
    return out


def post(fake: FakeResponses, path: str, body: dict, auth: str | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={
            "Content-Type": "application/json", "Authorization": auth or f"Bearer {fake.api_key}"})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def client(fake: FakeResponses) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key=fake.api_key, max_retries=0, timeout=10)


def params(input_: list) -> dict:
    return dict(model="gpt-5-mini", instructions="Manage tasks.", input=input_, tools=tools(), store=False, parallel_tool_calls=True)


def test_sdk_reads_a_tool_round_trip(fake):
    fake.script(calls(("add_task", {"title": "Buy groceries", "description": None}), reasoning=True), text("I've", " added", " it."))
    c = client(fake)
    user = {"role": "user", "content": [{"type": "input_text", "text": "Add groceries"}]}
    with c.responses.stream(**params([user])) as s:
        types = [e.type for e in s]
        first = s.get_final_response()
    assert types[:2] == ["response.created", "response.in_progress"] and types[-1] == "response.completed"
    assert "response.function_call_arguments.delta" in types
    reasoning, call = first.output
    assert reasoning.type == "reasoning" and call.type == "function_call" and call.name == "add_task"
    assert json.loads(call.arguments) == {"title": "Buy groceries", "description": None}
    assert call.call_id.startswith("call_") and call.id.startswith("fc_")
    follow = [user, {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
              {"type": "function_call_output", "call_id": call.call_id, "output": '{"task_id":"t1","status":"created","title":"Buy groceries"}'}]
    with c.responses.stream(**params(follow)) as s:
        deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
        second = s.get_final_response()
    assert deltas == ["I've", " added", " it."] and second.output_text == "I've added it."
    assert second.usage.total_tokens > 0 and second.status == "completed"
    assert fake.problems == []
    for rec in fake.requests:
        assert rec.method == "POST" and rec.path == "/v1/responses"
        assert contract_problems(rec) == [], "the SDK's request meets the agent contract"
    assert fake.requests[0].headers["authorization"] == f"Bearer {fake.api_key}"


def test_wire_format(fake):
    fake.script(text("Hé", "llo"))
    body = {"model": "gpt-5-mini", "input": "hi", "stream": True}
    status, headers, data = post(fake, "/v1/responses", body)
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert headers.get("transfer-encoding") == "chunked"
    raw = data.decode()
    frames = raw.split("\n\n")
    assert frames[-1] == ""
    for f in frames[:-1]:
        event, data = f.split("\n")
        assert event.startswith("event: ") and data.startswith("data: ")
        obj = json.loads(data[len("data: "):])
        assert obj["type"] == event[len("event: "):]
    created = json.loads(frames[0].split("\n")[1][6:])
    assert isinstance(created["response"]["created_at"], int), "whole seconds, as the real API sends"
    assert created["response"]["error"] is None and "incomplete_details" in created["response"], "nulls as the real API sends them"
    assert '"Hé"' in raw, "UTF-8, not \\u escapes"


def test_sdk_error_classes(fake):
    c = client(fake)
    user = [{"role": "user", "content": [{"type": "input_text", "text": "x"}]}]
    fake.script(HttpError(401), HttpError(429, headers={"Retry-After": "1"}), HttpError(500))
    for cls in (openai.AuthenticationError, openai.RateLimitError, openai.InternalServerError):
        with pytest.raises(cls):
            c.responses.create(stream=True, **params(user))
    fake.script(lambda req: ResponseBuilder(req).start().failed("boom").stream())
    events = list(c.responses.create(stream=True, **params(user)))
    assert events[-1].type == "response.failed" and events[-1].response.error.message == "boom"


def test_fake_flags_bad_requests(fake):
    good = {"model": "gpt-5-mini", "instructions": "x", "input": [], "tools": tools(), "stream": True, "store": False, "parallel_tool_calls": True}
    assert validate_body(good) == []
    assert validate_body({**good, "stream": False}), "stream must be true"
    assert validate_body({**good, "bogus": 1}), "unknown parameter"
    assert validate_body({**good, "store": "false"}), "coerced types count"
    assert validate_body({**good, "input": [{"role": "robot", "content": "x"}]}), "bad input item"
    assert validate_body({**good, "input": [{"type": "function_call_output", "call_id": "c", "output": "{}", "extra": 1}]}), "unknown item field"
    assert validate_body({**good, "tools": [{"type": "function", "name": "f"}]}), "tools are validated too (lazily iterated)"
    assert tool_problems(tools()) == []
    loose = tools()
    loose[0]["parameters"]["required"] = ["title"]
    assert tool_problems(loose), "strict mode needs every property required"

    status, _, data = post(fake, "/v1/responses", {**good, "bogus": 1})
    assert status == 400 and "bogus" in json.loads(data)["error"]["message"]
    post(fake, "/v1/chat/completions", good, auth="Bearer wrong")
    assert any("path" in p for p in fake.problems) and any("Authorization" in p for p in fake.problems)
    fake.problems.clear()
