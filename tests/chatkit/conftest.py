import warnings

import pytest

with warnings.catch_warnings():
    # openai-chatkit's widget module warns on import; it is not ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    import chatkit.types  # noqa: F401

from ckclient import Client
from serve import Serve


@pytest.fixture
def server(tmp_path):
    """A fresh `todo-assistant serve --responder echo` on an empty data dir."""
    s = Serve(tmp_path / "data").start()
    yield s
    alive = s.alive()
    code = s.stop()
    assert alive, f"serve died during the test (exit {code}); log:\n{s.log_tail()}"


@pytest.fixture
def client(server):
    return Client(server.url, server.secret)

