"""`todo-assistant hosted …`: OpenAI's hosted ChatKit sessions (Agent Builder workflows).

FakeOpenAI (fakes.py) answers with the `openai` package's `ChatSession` and OpenAI's error
bodies; every request the broker makes is checked exactly: method, path, the three headers and
the body. The API key must appear in no output and in no file under the data dir.
"""

from __future__ import annotations

import pytest

from fakes import unix

KEY = "sk-proj-Tq3vX9kLmN2pR8sW4yZ6aB1cD5eF7gH0jK"
WF = "wf_68e0c1a2b3c4d5e6f7a8b9c0d1e2f3a4"
SESSIONS = "/v1/chatkit/sessions"


@pytest.fixture
def fake(openai):
    openai.api_keys.add(KEY)
    return openai


def session(cli, fake, workflow=WF, key=KEY, ok=True):
    env = {"OPENAI_API_KEY": key} if key is not None else {}
    return cli.hosted("session", "--workflow", workflow, "--openai-base", fake.base_url, env=env, ok=ok)


def assert_openai_headers(rec, key=KEY):
    assert rec.header("Authorization") == f"Bearer {key}"
    assert rec.header("OpenAI-Beta") == "chatkit_beta=v1"
    assert rec.header("Content-Type") == "application/json"


def sent_user(rec) -> str:
    user = rec.json["user"]
    assert isinstance(user, str) and user.strip(), rec.json
    return user


def test_session_request_and_answer(cli, fake):
    out = session(cli, fake).json

    [call] = fake.log
    assert (call.method, call.path) == ("POST", SESSIONS)
    assert_openai_headers(call)
    user = sent_user(call)
    assert call.json == {"user": user, "workflow": {"id": WF}}

    [s] = fake.sessions.values()
    assert s.user == user
    assert set(out) == {"session_id", "client_secret", "expires_at"}, out
    assert out["session_id"] == s.id
    assert out["client_secret"] == s.client_secret
    assert unix(out["expires_at"]) == s.expires_at
    cli.assert_no_leak(KEY)


def test_user_id_is_stable_per_install(cli, make_cli, fake):
    session(cli, fake)
    session(cli, fake)
    other = make_cli("other-install")
    session(other, fake)
    first, again, elsewhere = (sent_user(r) for r in fake.log)
    assert first == again, "the same data dir must send the same user id"
    assert elsewhere != first, "another data dir must send another user id"
    cli.assert_no_leak(KEY)
    other.assert_no_leak(KEY)


def test_saved_key_is_used(cli, fake):
    cli.hosted("save-key", env={"OPENAI_API_KEY": KEY})
    assert cli.keychain_accounts() == ["openai_api_key"]
    assert cli.keychain("openai_api_key") == KEY
    assert fake.log == []

    out = session(cli, fake, key=None).json
    [call] = fake.log
    assert_openai_headers(call)
    assert out["session_id"] in fake.sessions
    cli.assert_no_leak(KEY)


def test_saved_key_survives_backend_sign_out(cli):
    cli.hosted("save-key", env={"OPENAI_API_KEY": KEY})
    cli.backend("paste-token", env={"TODO_ASSISTANT_BACKEND_TOKEN": "opaque-backend-token-123456"})
    assert cli.keychain_accounts() == ["backend_token", "openai_api_key"]
    cli.backend("sign-out")
    assert cli.keychain_accounts() == ["openai_api_key"]
    assert cli.keychain("openai_api_key") == KEY


def test_no_key_at_all(cli, fake):
    r = session(cli, fake, key=None, ok=False)
    r.error  # noqa: B018 -- exit 2 with {code, message}
    assert fake.log == []


def test_wrong_key(cli, fake):
    wrong = "sk-proj-WRONGwrongWRONGwrongWRONG0000"
    err = session(cli, fake, key=wrong, ok=False).error
    assert err["code"] == "invalid_api_key", err
    [call] = fake.log
    assert_openai_headers(call, key=wrong)
    cli.assert_no_leak(wrong)


def test_a_workflow_openai_refuses_is_reported_as_ended_with_local_as_the_way_on(cli, fake):
    # After 2026-11-30 OpenAI turns hosted workflows away; its 404 names the workflow.
    err = session(cli, fake, workflow="wf_x", ok=False).error
    assert err["code"] == "hosted_workflow_ended", err
    assert "wf_x" in err["message"] and "Local" in err["message"], err
    [call] = fake.log
    assert call.json == {"user": sent_user(call), "workflow": {"id": "wf_x"}}
    cli.assert_no_leak(KEY)


@pytest.mark.parametrize(
    "statuses,code,attempts",
    [
        ([403], "forbidden", 1),
        ([429, 429, 429], "rate_limited", 3),
        ([500, 500, 500], "openai_unavailable", 3),
        ([503, 502, 503], "openai_unavailable", 3),
    ],
)
def test_session_errors(cli, fake, statuses, code, attempts):
    fake.fail(SESSIONS, *statuses)
    err = session(cli, fake, ok=False).error
    assert err["code"] == code, err
    assert len(fake.log) == attempts, fake.log
    for call in fake.log:
        assert (call.method, call.path) == ("POST", SESSIONS)
        assert_openai_headers(call)
        assert call.json == {"user": sent_user(fake.log[0]), "workflow": {"id": WF}}
    gaps = [b.at - a.at for a, b in zip(fake.log, fake.log[1:])]
    assert all(g >= 0.1 for g in gaps), f"retries must back off, gaps were {gaps}"
    cli.assert_no_leak(KEY)


def test_session_retries_then_succeeds(cli, fake):
    fake.fail(SESSIONS, 429, 500)
    out = session(cli, fake).json
    assert len(fake.log) == 3
    [s] = fake.sessions.values()
    assert out["session_id"] == s.id


def test_cancel(cli, fake):
    out = session(cli, fake).json
    sid = out["session_id"]
    r = cli.hosted("cancel", "--session", sid, "--openai-base", fake.base_url, env={"OPENAI_API_KEY": KEY})
    assert r.json == {"cancelled": True}
    call = fake.log[-1]
    assert (call.method, call.path) == ("POST", f"{SESSIONS}/{sid}/cancel")
    assert_openai_headers(call)
    assert call.raw in (b"", b"{}"), call.raw
    assert fake.sessions[sid].status == "cancelled"
    cli.assert_no_leak(KEY)


def test_cancel_unknown_session(cli, fake):
    r = cli.hosted("cancel", "--session", "cksess_nope", "--openai-base", fake.base_url, env={"OPENAI_API_KEY": KEY}, ok=False)
    r.error  # noqa: B018 -- exit 2 with {code, message}
    [call] = fake.log
    assert call.path == f"{SESSIONS}/cksess_nope/cancel"
