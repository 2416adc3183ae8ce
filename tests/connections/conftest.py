"""Fixtures for the connection tests: fake servers on loopback (fakes.py) and the
`todo-assistant backend|hosted` command line on a fresh data dir and a fresh keychain service.

Run them inside the private keyring: `tests/with-keyring.sh target/py-venv/bin/pytest -q tests/connections`.
They fail (not skip) outside it, or when the binary has no `backend` command.

    cli.backend("sign-in", "--backend", url, "--email", e, env={"TODO_ASSISTANT_PASSWORD": pw})
    cli.hosted("session", "--workflow", wf, ok=False).error   # {"code", "message"}
    cli.keychain("backend_token")                              # the stored secret, or None
    cli.assert_no_leak(token, cookie)                          # in no output, in no file
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from fakes import FakeBackend, FakeOpenAI, free_port_url  # noqa: E402

REPO = HERE.parents[1]
BIN = Path(os.environ.get("TODO_ASSISTANT_BIN") or REPO / "target" / "debug" / "todo-assistant")
# Variables a test sets explicitly; never inherited from the caller's environment.
SECRET_VARS = ("TODO_ASSISTANT_PASSWORD", "TODO_ASSISTANT_BACKEND_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL")


def base_env() -> dict[str, str]:
    drop = {"DISPLAY", "WAYLAND_DISPLAY", *SECRET_VARS}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.lower().endswith("_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.setdefault("RUST_BACKTRACE", "1")
    return env


@dataclass
class Result:
    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError as e:
            raise AssertionError(f"{self.describe()}\nstdout is not one JSON value: {e}") from None

    @property
    def error(self) -> dict[str, Any]:
        """The contract's error: `{"code", "message"}` on stdout; exit 2 for input to correct, 1 for a job not done."""
        assert self.code != 0, f"an error must not exit 0:\n{self.describe()}"
        value = self.json
        assert isinstance(value, dict) and isinstance(value.get("code"), str) and isinstance(value.get("message"), str), (
            f"an error must print {{\"code\", \"message\"}} on stdout:\n{self.describe()}"
        )
        expected = 2 if value["code"] in ("invalid_input", "invalid_request", "not_found") else 1
        assert self.code == expected, f"{value['code']} must exit {expected}:\n{self.describe()}"
        return value

    def describe(self) -> str:
        return f"todo-assistant {' '.join(self.args)} -> exit {self.code}\nstdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-2000:]}"


class Cli:
    def __init__(self, data_dir: Path, service: str) -> None:
        self.data_dir = Path(data_dir)
        self.service = service
        self.history: list[Result] = []

    def argv(self, group: str, *args: str) -> list[str]:
        # `backend` keeps nothing in the data folder (only in the keychain), so it takes no --data-dir.
        data_dir = ["--data-dir", str(self.data_dir)] if group != "backend" else []
        return [str(BIN), group, *data_dir, *args]

    def env(self, extra: Optional[dict[str, str]] = None) -> dict[str, str]:
        env = base_env()
        env["TODO_ASSISTANT_KEYCHAIN_SERVICE"] = self.service
        env.update(extra or {})
        return env

    def run(
        self,
        group: str,
        *args: str,
        env: Optional[dict[str, str]] = None,
        stdin: Optional[str] = None,
        ok: Optional[bool] = True,
        timeout: float = 45,
    ) -> Result:
        """One command. ok=True: must exit 0 and print JSON; ok=False: must fail; None: anything."""
        argv = self.argv(group, *args)
        try:
            p = subprocess.run(argv, env=self.env(env), input=stdin, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"todo-assistant {group} {' '.join(args)} did not finish in {timeout} s; stderr: {e.stderr!r:.1500}") from None
        r = Result([group, *args], p.returncode, p.stdout, p.stderr)
        self.history.append(r)
        if ok is True:
            assert r.code == 0, f"expected exit 0:\n{r.describe()}"
            r.json  # noqa: B018 -- must be JSON
        if ok is False:
            assert r.code != 0, f"expected a failure:\n{r.describe()}"
        return r

    def backend(self, *args: str, **kw: Any) -> Result:
        return self.run("backend", *args, **kw)

    def hosted(self, *args: str, **kw: Any) -> Result:
        return self.run("hosted", *args, **kw)

    def popen(self, group: str, *args: str, env: Optional[dict[str, str]] = None) -> subprocess.Popen:
        return subprocess.Popen(
            self.argv(group, *args),
            env=self.env(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )

    # -- the keychain, through secret-tool --

    def keychain(self, account: str) -> Optional[str]:
        p = subprocess.run(
            ["secret-tool", "lookup", "service", self.service, "username", account],
            capture_output=True,
            text=True,
            timeout=20,
        )
        return p.stdout if p.returncode == 0 and p.stdout else None

    def keychain_accounts(self) -> list[str]:
        """The `username` attribute of every item `secret-tool search --all service <svc>` finds."""
        p = subprocess.run(
            ["secret-tool", "search", "--all", "service", self.service], capture_output=True, text=True, timeout=20
        )
        # secret-tool prints label/secret on stdout and the attributes on stderr.
        return sorted(
            line.split("=", 1)[1].strip()
            for line in (p.stdout + p.stderr).splitlines()
            if line.startswith("attribute.username")
        )

    def clear_keychain(self) -> None:
        subprocess.run(["secret-tool", "clear", "service", self.service], capture_output=True, timeout=20)

    # -- leaks --

    def assert_no_leak(self, *secrets: str) -> None:
        """None of `secrets` in any output so far, nor in any file under the data dir."""
        secrets = tuple(s for s in secrets if s)
        assert secrets
        for r in self.history:
            for s in secrets:
                assert s not in r.stdout and s not in r.stderr, f"a long-lived secret was printed ({s[:6]}…):\n{r.describe()}"
        if self.data_dir.exists():
            for path in self.data_dir.rglob("*"):
                if path.is_file():
                    data = path.read_bytes()
                    for s in secrets:
                        assert s.encode() not in data, f"a long-lived secret ({s[:6]}…) is stored in {path}"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def binary() -> None:
    if not os.environ.get("TODO_ASSISTANT_KEYRING_SESSION"):
        pytest.fail("run these tests inside the private keyring: tests/with-keyring.sh target/py-venv/bin/pytest tests/connections", pytrace=False)
    if not BIN.exists():
        pytest.fail(f"{BIN} does not exist (build it, or set TODO_ASSISTANT_BIN)", pytrace=False)
    with tempfile.TemporaryDirectory() as d:
        for group in ("backend", "hosted"):
            argv = [str(BIN), group, "--help"]
            try:
                p = subprocess.run(argv, env=base_env(), capture_output=True, text=True, timeout=20, cwd=d)
            except subprocess.TimeoutExpired:
                pytest.fail(f"`{' '.join(argv)}` did not finish in 20 s", pytrace=False)
            if p.returncode != 0:
                pytest.fail(f"the connection tests need `todo-assistant {group}`: `{group} --help` exited {p.returncode}: {(p.stderr or p.stdout)[-600:]}", pytrace=False)


def _new_cli(tmp_path: Path, name: str) -> Cli:
    return Cli(tmp_path / name, f"dev.todoassistant.test-{uuid.uuid4()}")


@pytest.fixture
def make_cli(binary, tmp_path):
    """Another install: its own data dir and keychain service."""
    made: list[Cli] = []

    def make(name: Optional[str] = None) -> Cli:
        c = _new_cli(tmp_path, name or f"data-{len(made)}")
        made.append(c)
        return c

    yield make
    for c in made:
        c.clear_keychain()


@pytest.fixture
def cli(make_cli) -> Cli:
    return make_cli("data")


@pytest.fixture
def backend():
    b = FakeBackend().start()
    yield b
    b.close()
    assert not b.problems, f"the fake backend saw protocol problems: {b.problems}"


@pytest.fixture
def openai():
    f = FakeOpenAI().start()
    yield f
    f.close()
    assert not f.problems, f"the fake OpenAI saw protocol problems: {f.problems}"


@pytest.fixture
def down_url() -> str:
    """A loopback URL where nothing listens."""
    return free_port_url()
