"""Fixtures for the agent tests: a scripted fake Responses API and `todo-assistant serve` with
its default responder (the agent) pointed at it.

The ChatKit side reuses tests/chatkit (serve.py starts the binary, ckclient.py validates every
answer and event against openai-chatkit's types), so that folder goes on sys.path.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for p in (HERE.parent / "chatkit", HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

with warnings.catch_warnings():
    # openai-chatkit's widget module warns on import; it is not ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    import chatkit.types  # noqa: F401

from agentkit import Agent, start_agent  # noqa: E402
from fake_responses import FakeResponses  # noqa: E402


@pytest.fixture
def fake():
    f = FakeResponses().start()
    yield f
    f.close()
    assert not f.problems, "the fake Responses API saw bad or unexpected requests:\n" + "\n".join(f.problems)


@pytest.fixture
def launch(tmp_path, fake):
    """launch(**env) -> Agent: serve on a fresh data dir, talking to `fake` (env overrides the
    defaults: OPENAI_BASE_URL, OPENAI_API_KEY, a 2 s idle timeout, a 50 ms retry base)."""
    started: list[Agent] = []

    def start(**env) -> Agent:
        agent = start_agent(tmp_path / f"data{len(started)}", fake, **env)
        started.append(agent)
        return agent

    yield start
    dead = []
    for agent in started:
        if agent.stopped:
            continue
        alive = agent.serve.alive()
        code = agent.serve.stop()
        if not alive:
            dead.append(f"serve died during the test (exit {code}); log:\n{agent.serve.log_tail()}")
    assert not dead, "\n".join(dead)


@pytest.fixture
def agent(launch) -> Agent:
    return launch()
