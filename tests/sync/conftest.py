"""Fixtures for the sync tests: a fake team backend on loopback (fake_backend.py) and the
`todo-assistant tasks` command line (cli.py) on a fresh data dir.

Tests that drive the binary use the `cli` fixtures; they fail (not skip) when the binary has
no working `tasks` command, since CI builds it before these tests run. The fake backend's own
tests (test_fake_backend.py) need no binary.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from cli import Cli, binary_problem  # noqa: E402
from fake_backend import FakeBackend  # noqa: E402


@pytest.fixture
def backend():
    b = FakeBackend().start()
    yield b
    b.close()
    assert not b.problems, "the fake backend failed while handling requests:\n" + "\n".join(b.problems)


@pytest.fixture(scope="session")
def binary() -> None:
    problem = binary_problem()
    if problem:
        pytest.fail(f"the sync tests need `todo-assistant tasks`: {problem}", pytrace=False)


@pytest.fixture
def cli(binary, tmp_path) -> Cli:
    """A fresh data dir, not connected; syncs with alice's token."""
    return Cli(tmp_path / "data", token="tok-alice")


@pytest.fixture
def alice(cli, backend) -> Cli:
    """`cli`, connected to `backend` as alice."""
    cli.connect(backend.url, "alice")
    return cli
