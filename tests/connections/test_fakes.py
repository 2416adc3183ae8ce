"""The fakes themselves, without the binary: FakeOpenAI against the `openai` package's own client,
FakeBackend's Better Auth flow, session shapes and ChatKit stream against plain HTTP clients and
openai-chatkit's types. If these fail, fix fakes.py before reading anything into the CLI tests."""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.parse
import warnings

import pytest
from pydantic import TypeAdapter

from fakes import SHAPES, FakeBackend, FakeOpenAI, jwt_claims

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from chatkit.types import ThreadStreamEvent

import openai as openai_sdk

KEY = "sk-test-abcdefghijklmnopqrstuvwxyz0123"
WF = "wf_68e0c1a2b3c4d5e6f7a8b9c0d1e2f3a4"


def request(url: str, method: str, path: str, body=None, headers=None):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    data = json.dumps(body).encode() if body is not None else None
    h = dict(headers or {})
    if data is not None:
        h.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    return r, r.read()


def test_openai_fake_speaks_to_the_openai_client():
    with FakeOpenAI() as fake:
        fake.api_keys.add(KEY)
        client = openai_sdk.OpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)
        s = client.beta.chatkit.sessions.create(user="install-1", workflow={"id": WF})
        assert s.client_secret.startswith("ek_") and s.status == "active" and s.user == "install-1"
        [call] = fake.log
        # What the official client sends is what the broker must send.
        assert (call.method, call.path) == ("POST", "/v1/chatkit/sessions")
        assert call.header("Authorization") == f"Bearer {KEY}"
        assert call.header("OpenAI-Beta") == "chatkit_beta=v1"
        assert call.header("Content-Type") == "application/json"
        assert call.json == {"user": "install-1", "workflow": {"id": WF}}

        cancelled = client.beta.chatkit.sessions.cancel(s.id)
        assert cancelled.status == "cancelled" and cancelled.id == s.id
        assert fake.log[-1].path == f"/v1/chatkit/sessions/{s.id}/cancel"

        with pytest.raises(openai_sdk.NotFoundError) as e:
            client.beta.chatkit.sessions.create(user="install-1", workflow={"id": "wf_x"})
        assert "Workflow with id 'wf_x' not found." in str(e.value)
        with pytest.raises(openai_sdk.AuthenticationError):
            openai_sdk.OpenAI(api_key="sk-wrong", base_url=fake.base_url, max_retries=0).beta.chatkit.sessions.create(
                user="u", workflow={"id": WF}
            )
        fake.fail("/v1/chatkit/sessions", 429)
        with pytest.raises(openai_sdk.RateLimitError):
            client.beta.chatkit.sessions.create(user="install-1", workflow={"id": WF})
        assert not fake.problems


@pytest.mark.parametrize("alg", ["EdDSA", "HS256"])
def test_better_auth_flow(alg):
    with FakeBackend(jwt_alg=alg) as b:
        r, body = request(b.url, "POST", "/api/auth/sign-in/email", {"email": "alice@example.com", "password": "nope"})
        assert r.status == 401 and json.loads(body)["code"] == "INVALID_EMAIL_OR_PASSWORD"
        r, body = request(b.url, "POST", "/api/auth/sign-in/email", {"email": "alice@example.com", "password": "correct horse battery"})
        assert r.status == 200 and json.loads(body)["user"]["id"] == "user_alice"
        set_cookie = r.getheader("Set-Cookie")
        assert set_cookie.startswith("better-auth.session_token=") and "HttpOnly" in set_cookie
        pair = set_cookie.split(";")[0]
        r, body = request(b.url, "GET", "/api/auth/token")
        assert r.status == 401
        r, body = request(b.url, "GET", "/api/auth/token", headers={"Cookie": pair})
        assert r.status == 200
        token = json.loads(body)["token"]
        claims = jwt_claims(token)
        assert claims["sub"] == "user_alice" and claims["exp"] > time.time()
        head = token.split(".")[0]
        assert json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["alg"] == alg
        b.revoke_sessions()
        r, _ = request(b.url, "GET", "/api/auth/token", headers={"Cookie": pair})
        assert r.status == 401
        assert not b.problems


@pytest.mark.parametrize("shape", SHAPES)
def test_session_shapes_and_refresh(shape):
    with FakeBackend() as b:
        b.session_shape = shape
        token = b.mint_token()
        auth = {"Authorization": f"Bearer {token}"}
        r, _ = request(b.url, "POST", "/api/chatkit/session", headers={"Authorization": "Bearer nope"})
        assert r.status == 401
        r, body = request(b.url, "POST", "/api/chatkit/session", headers=auth)
        assert r.status == 200
        assert b.secrets[0] in body.decode()
        r, body = request(b.url, "POST", "/api/chatkit/refresh", {"client_secret": b.secrets[0]}, auth)
        assert r.status == 200 and json.loads(body)["client_secret"] == b.secrets[1]
        b.refresh_enabled = False
        r, _ = request(b.url, "POST", "/api/chatkit/refresh", {"client_secret": b.secrets[1]}, auth)
        assert r.status == 404
        assert not b.problems


def test_chatkit_stream_is_valid_and_paced():
    with FakeBackend() as b:
        b.event_delay = 0.1
        token = b.mint_token()
        body = {
            "type": "threads.create",
            "params": {"input": {"content": [{"type": "input_text", "text": "Add milk"}], "attachments": [], "inference_options": {}}},
        }
        r, raw = request(b.url, "POST", "/chatkit", body, {"Authorization": f"Bearer {token}"})
        assert r.status == 200 and r.getheader("Content-Type") == "text/event-stream"
        frames = [f for f in raw.decode().split("\n\n") if f.startswith("data: ")]
        adapter = TypeAdapter(ThreadStreamEvent)
        events = [adapter.validate_json(f[len("data: "):]) for f in frames]
        assert [f[len("data: "):] for f in frames] == b.stream_payloads()
        assert events[0].type == "thread.created" and events[-1].type == "thread.updated"
        assert len(b.sent) == len(events)
        assert b.sent[-1] - b.sent[0] >= 0.1 * (len(events) - 1) * 0.9
        r, raw = request(b.url, "POST", "/chatkit", {"type": "threads.list", "params": {}}, {"Authorization": f"Bearer {token}"})
        assert r.status == 200 and json.loads(raw)["data"][0]["title"] == "Milk"
        assert not b.problems
