"""`todo-assistant backend …`: Better Auth sign-in, the stored token and session cookie, their
renewal, client secrets from the team backend's session endpoint, and the ChatKit relay.

Every test runs against FakeBackend (fakes.py) on loopback and checks both what the CLI printed
and what the fake received; the long-lived secrets (token, session cookie, password) must appear
in no output and in no file under the data dir.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

import pytest

from fakes import SHAPES, SHAPES_WITH_EXPIRY, FakeBackend, jwt_claims, unix

EMAIL = "alice@example.com"
PASSWORD = "correct horse battery"
SESSION = "/api/chatkit/session"
REFRESH = "/api/chatkit/refresh"
ACCOUNTS = ["backend_session_cookie", "backend_token"]


def sign_in(cli, backend, password=PASSWORD, email=EMAIL, ok=True):
    return cli.backend("sign-in", "--backend", backend.url, "--email", email, env={"TODO_ASSISTANT_PASSWORD": password}, ok=ok)


def paste(cli, token, ok=True):
    return cli.backend("paste-token", env={"TODO_ASSISTANT_BACKEND_TOKEN": token}, ok=ok)


def assert_token_summary(out) -> None:
    """`{"user_id", "expires_at"}`; any other field only a flag or a number, never a string that
    could carry a secret (the leak checks look for the secrets themselves)."""
    assert isinstance(out, dict) and {"user_id", "expires_at"} <= set(out), out
    extra = {k: v for k, v in out.items() if k not in ("user_id", "expires_at")}
    assert all(v is None or isinstance(v, (bool, int, float)) for v in extra.values()), f"unexpected fields {extra}"


def cookie_pairs(header: str) -> list[str]:
    return [p.strip() for p in header.split(";") if p.strip()]


def secrets_of(backend: FakeBackend) -> list[str]:
    """Everything long-lived the fake handed out: session tokens, cookies, JWTs."""
    out = list(backend.issued) + [PASSWORD]
    for token in backend.sessions:
        out += [token, backend._signed(token)]
    return out


# -- sign-in ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["EdDSA", "HS256"])
def test_sign_in_stores_token_and_cookie_in_the_keychain_and_prints_neither(cli, alg):
    with FakeBackend(jwt_alg=alg) as backend:
        out = sign_in(cli, backend).json

        # What the broker sent: Better Auth's email sign-in, then the JWT plugin's token call.
        assert [(r.method, r.path) for r in backend.log] == [("POST", "/api/auth/sign-in/email"), ("GET", "/api/auth/token")]
        signin, token_call = backend.log
        assert signin.header("Content-Type") == "application/json"
        assert signin.json == {"email": EMAIL, "password": PASSWORD}
        [cookie] = backend.session_cookies()
        assert token_call.header("Cookie") is not None, "GET /api/auth/token must carry the session cookie"
        assert cookie in cookie_pairs(token_call.header("Cookie")), (token_call.header("Cookie"), cookie)
        assert token_call.header("Authorization") is None
        [jwt] = backend.issued
        claims = jwt_claims(jwt)

        assert_token_summary(out)
        assert out["user_id"] == "user_alice" == claims["sub"]
        assert unix(out["expires_at"]) == claims["exp"]

        assert cli.keychain_accounts() == ACCOUNTS
        assert cli.keychain("backend_token") == jwt
        stored_cookie = cli.keychain("backend_session_cookie")
        assert stored_cookie and cookie.split("=", 1)[1] in stored_cookie, stored_cookie
        cli.assert_no_leak(*secrets_of(backend))
        assert not backend.problems


@pytest.mark.parametrize("email,password", [(EMAIL, "wrong password"), ("mallory@example.com", PASSWORD)])
def test_sign_in_with_wrong_credentials(cli, backend, email, password):
    err = sign_in(cli, backend, password=password, email=email, ok=False).error
    assert err["code"] == "invalid_credentials", err
    assert [(r.method, r.path) for r in backend.log] == [("POST", "/api/auth/sign-in/email")]
    assert cli.keychain_accounts() == []
    cli.assert_no_leak(password)


def test_sign_in_with_the_backend_down(cli, down_url):
    r = cli.backend("sign-in", "--backend", down_url, "--email", EMAIL, env={"TODO_ASSISTANT_PASSWORD": PASSWORD}, ok=False)
    assert r.error["code"] == "backend_unreachable", r.error
    assert cli.keychain_accounts() == []
    cli.assert_no_leak(PASSWORD)


def test_signed_in_token_is_the_bearer_for_client_secrets(cli, backend):
    sign_in(cli, backend)
    [jwt] = backend.issued
    out = cli.backend("session-secret", "--backend", backend.url, "--concurrent", "1").json
    [call] = backend.requests_to(SESSION)
    assert call.method == "POST"
    assert call.header("Authorization") == f"Bearer {jwt}"
    assert out["secrets"] == [backend.secrets[0]]
    cli.assert_no_leak(*secrets_of(backend))


# -- paste-token -----------------------------------------------------------------------------------


def test_paste_token_jwt(cli):
    with FakeBackend(jwt_alg="HS256") as backend:
        token = backend.mint_token("user_alice", lifetime=3600)
        out = paste(cli, token).json
        assert_token_summary(out)
        assert out["user_id"] == "user_alice"
        assert unix(out["expires_at"]) == jwt_claims(token)["exp"]
        assert cli.keychain_accounts() == ["backend_token"]
        assert cli.keychain("backend_token") == token
        assert backend.log == []
        cli.assert_no_leak(token)


def test_paste_token_opaque(cli):
    token = "opaque-Zm9vYmFyYmF6cXV4-token"
    out = paste(cli, token).json
    assert out["user_id"] is None, out
    assert out.get("expires_at") is None, f"an opaque token has no known expiry: {out}"
    assert cli.keychain("backend_token") == token
    cli.assert_no_leak(token)


# -- token-status and renewal ------------------------------------------------------------------------


def test_token_status_of_a_fresh_token_does_not_renew(cli, backend):
    sign_in(cli, backend)
    [jwt] = backend.issued
    before = len(backend.log)
    out = cli.backend("token-status", "--backend", backend.url).json
    assert out["renewed"] is False, out
    assert out["user_id"] == "user_alice"
    assert unix(out["expires_at"]) == jwt_claims(jwt)["exp"]
    assert backend.log[before:] == []
    assert cli.keychain("backend_token") == jwt


def test_token_status_renews_a_token_about_to_expire_with_the_session_cookie(cli, backend):
    backend.jwt_lifetime = 60  # expires within 120 s
    sign_in(cli, backend)
    [old] = backend.issued
    [cookie] = backend.session_cookies()
    backend.jwt_lifetime = 900
    before = len(backend.log)

    out = cli.backend("token-status", "--backend", backend.url).json

    calls = backend.log[before:]
    assert [(r.method, r.path) for r in calls] == [("GET", "/api/auth/token")]
    assert cookie in cookie_pairs(calls[0].header("Cookie") or ""), calls[0].header("Cookie")
    [_, new] = backend.issued
    assert new != old
    assert out["renewed"] is True, out
    assert out["user_id"] == "user_alice"
    assert unix(out["expires_at"]) == jwt_claims(new)["exp"]
    assert cli.keychain("backend_token") == new
    assert cli.keychain_accounts() == ACCOUNTS
    cli.assert_no_leak(*secrets_of(backend))


def test_token_status_when_the_session_is_gone(cli, backend):
    backend.jwt_lifetime = 60
    sign_in(cli, backend)
    backend.revoke_sessions()  # signed out elsewhere, or the session expired
    before = len(backend.log)
    err = cli.backend("token-status", "--backend", backend.url, ok=False).error
    assert err["code"] == "sign_in_required", err
    assert [(r.method, r.path) for r in backend.log[before:]] == [("GET", "/api/auth/token")]


def test_token_status_without_a_cookie_does_not_renew(cli, backend):
    token = backend.mint_token("user_alice", lifetime=60)
    paste(cli, token)
    out = cli.backend("token-status", "--backend", backend.url).json
    assert out["renewed"] is False, out
    assert unix(out["expires_at"]) == jwt_claims(token)["exp"]
    assert backend.log == []
    assert cli.keychain("backend_token") == token


# -- sign-out ----------------------------------------------------------------------------------------


def test_sign_out_removes_token_and_cookie(cli, backend):
    sign_in(cli, backend)
    assert cli.keychain_accounts() == ACCOUNTS
    cli.backend("sign-out")
    assert cli.keychain_accounts() == []
    assert cli.keychain("backend_token") is None
    assert cli.keychain("backend_session_cookie") is None
    cli.assert_no_leak(*secrets_of(backend))


# -- session-secret ------------------------------------------------------------------------------------


@pytest.fixture
def token(cli, backend) -> str:
    """A pasted backend token the fake accepts."""
    t = backend.mint_token("user_alice", lifetime=3600)
    paste(cli, t)
    return t


def session_secret(cli, backend, *args, ok=True):
    return cli.backend("session-secret", "--backend", backend.url, *args, ok=ok)


@pytest.mark.parametrize("shape", SHAPES)
def test_session_secret_response_shapes(cli, backend, token, shape):
    backend.session_shape = shape
    out = session_secret(cli, backend, "--concurrent", "1").json
    first = backend.log[0]
    assert (first.method, first.path) == ("POST", SESSION)
    assert first.header("Authorization") == f"Bearer {token}"
    assert out["secrets"] == [backend.secrets[0]], out
    if shape in SHAPES_WITH_EXPIRY:
        # Ten minutes left: the second call, with the first secret as current, reuses it.
        assert out["reused"] == backend.secrets[0], out
        assert out["requests"] == 1, out
        assert len(backend.log) == 1, backend.log
    cli.assert_no_leak(token)


def test_concurrent_requests_share_one_session_call(cli, backend, token):
    backend.session_delay = 0.4  # the calls overlap while the first is in flight
    out = session_secret(cli, backend, "--concurrent", "5").json
    assert len(backend.requests_to(SESSION)) == 1, backend.log
    [secret] = backend.secrets
    assert out["secrets"] == [secret] * 5, out
    assert out["reused"] == secret
    assert out["requests"] == 1
    assert len(backend.log) == 1


def test_secret_with_more_than_60_s_left_is_reused(cli, backend, token):
    backend.secret_lifetime = 90
    out = session_secret(cli, backend, "--concurrent", "2").json
    [secret] = backend.secrets
    assert out["secrets"] == [secret, secret]
    assert out["reused"] == secret
    assert out["requests"] == 1
    assert len(backend.log) == 1


@pytest.mark.parametrize("shape", SHAPES_WITH_EXPIRY)
def test_secret_near_expiry_is_refreshed(cli, backend, token, shape):
    backend.session_shape = shape
    backend.secret_lifetime = 30
    out = session_secret(cli, backend, "--concurrent", "1").json
    assert [(r.method, r.path) for r in backend.log] == [("POST", SESSION), ("POST", REFRESH)]
    first, fresh = backend.secrets
    refresh = backend.log[1]
    assert refresh.header("Authorization") == f"Bearer {token}"
    assert refresh.header("Content-Type") == "application/json"
    assert refresh.json == {"client_secret": first}
    assert out["secrets"] == [first]
    assert out["reused"] == fresh, out
    assert out["requests"] == 2, out


def test_refresh_404_falls_back_to_session(cli, backend, token):
    backend.refresh_enabled = False
    backend.secret_lifetime = 30
    out = session_secret(cli, backend, "--concurrent", "1").json
    assert [(r.method, r.path) for r in backend.log] == [("POST", SESSION), ("POST", REFRESH), ("POST", SESSION)]
    assert backend.log[1].json == {"client_secret": backend.secrets[0]}
    first, fresh = backend.secrets
    assert out["secrets"] == [first]
    assert out["reused"] == fresh, out
    assert out["requests"] == 3, out


@pytest.mark.parametrize(
    "statuses,code,attempts",
    [
        ([401], "sign_in_required", 1),
        ([403], "forbidden", 1),
        ([429, 429, 429], "backend_busy", 3),
        ([503, 503, 503], "backend_unavailable", 3),
        ([500, 502, 500], "backend_unavailable", 3),
    ],
)
def test_session_secret_errors(cli, backend, token, statuses, code, attempts):
    backend.fail(SESSION, *statuses)
    err = session_secret(cli, backend, "--concurrent", "1", ok=False).error
    assert err["code"] == code, err
    calls = backend.requests_to(SESSION)
    assert len(calls) == attempts, calls
    assert all(c.header("Authorization") == f"Bearer {token}" for c in calls)
    gaps = [b.at - a.at for a, b in zip(calls, calls[1:])]
    assert all(g >= 0.1 for g in gaps), f"retries must back off, gaps were {gaps}"
    cli.assert_no_leak(token)


def test_session_secret_retries_then_succeeds(cli, backend, token):
    backend.fail(SESSION, 429)
    out = session_secret(cli, backend, "--concurrent", "1").json
    assert len(backend.requests_to(SESSION)) == 2
    assert out["secrets"] == [backend.secrets[0]]
    assert out["requests"] == 2, out


def test_session_secret_with_the_backend_down(cli, token, down_url):
    err = cli.backend("session-secret", "--backend", down_url, "--concurrent", "1", ok=False).error
    assert err["code"] == "backend_unreachable", err


# -- the ChatKit relay ------------------------------------------------------------------------------------

CREATE = {
    "type": "threads.create",
    "params": {
        "input": {
            "content": [{"type": "input_text", "text": "Add milk to my list"}],
            "attachments": [],
            "inference_options": {},
        }
    },
}


def test_streaming_answer_is_relayed_event_by_event(cli, backend, token):
    backend.event_delay = 0.3
    p = cli.popen("backend", "chatkit", "--backend", backend.url)
    lines: list[tuple[float, bytes]] = []

    def reader() -> None:
        while True:
            line = p.stdout.readline()
            if not line:
                return
            lines.append((time.monotonic(), line))

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    p.stdin.write(json.dumps(CREATE).encode())
    p.stdin.close()
    try:
        code = p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    t.join(5)
    stderr = p.stderr.read().decode(errors="replace")
    assert code == 0, f"exit {code}; stdout: {lines!r:.2000}; stderr: {stderr[-2000:]}"

    [call] = backend.log
    assert (call.method, call.path) == ("POST", "/chatkit")
    assert call.header("Authorization") == f"Bearer {token}"
    assert call.header("Content-Type") == "application/json"
    assert call.json == CREATE

    payloads = backend.stream_payloads()
    printed = [line.decode().rstrip("\n") for _, line in lines]
    assert len(printed) == len(payloads), f"expected one line per event:\n{printed}"
    for got, sent in zip(printed, payloads):
        assert json.loads(got) == json.loads(sent)
    # No buffering: each line is out within two event gaps of its event being written.
    sent_at = backend.sent
    got_at = [at for at, _ in lines]
    assert got_at[0] < sent_at[2], f"first line at +{got_at[0] - sent_at[0]:.2f} s, stream ended at +{sent_at[-1] - sent_at[0]:.2f} s"
    late = [k for k in range(len(sent_at) - 2) if got_at[k] >= sent_at[k + 2]]
    assert not late, f"lines {late} came out late: got {[round(g - sent_at[0], 2) for g in got_at]}, sent {[round(s - sent_at[0], 2) for s in sent_at]}"
    cli.assert_no_leak(token)


def test_json_answer_is_printed(cli, backend, token):
    from chatkit.types import ActiveStatus, Page, Thread
    from datetime import datetime, timezone

    backend.threads.append(
        Thread(id="thr_1", title="Groceries", created_at=datetime(2026, 2, 1, tzinfo=timezone.utc), status=ActiveStatus(), items=Page(data=[]))
    )
    body = {"type": "threads.list", "params": {"limit": 20, "order": "desc"}}
    out = cli.backend("chatkit", "--backend", backend.url, stdin=json.dumps(body)).json
    expected = json.loads(FakeBackend._dump(Page[Thread](data=list(backend.threads), has_more=False)))
    assert out == expected
    [call] = backend.log
    assert call.json == body
    assert call.header("Authorization") == f"Bearer {token}"


def test_chatkit_path_option(cli, backend, token):
    body = {"type": "threads.list", "params": {}}
    cli.backend("chatkit", "--backend", backend.url, "--path", "/api/chatkit", stdin=json.dumps(body))
    [call] = backend.log
    assert (call.method, call.path) == ("POST", "/api/chatkit")
    assert call.header("Authorization") == f"Bearer {token}"


@pytest.mark.parametrize("status,code", [(401, "sign_in_required"), (403, "forbidden"), (500, "backend_error"), (404, "backend_error")])
def test_chatkit_http_errors(cli, backend, token, status, code):
    backend.fail("/chatkit", status)
    err = cli.backend("chatkit", "--backend", backend.url, stdin=json.dumps(CREATE), ok=False).error
    assert err["code"] == code, err
    assert len(backend.requests_to("/chatkit")) == 1, "a ChatKit op must not be replayed"
    cli.assert_no_leak(token)
