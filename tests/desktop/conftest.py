import pytest

import os
import signal

from harness import Xvfb, app_pids


@pytest.fixture(scope="session")
def xvfb():
    display = Xvfb()
    yield display
    display.stop()


@pytest.fixture(autouse=True)
def no_app_outlives_its_test(tmp_path):
    """An app left running would take over the next test's launch (single instance)."""
    yield
    for pid in app_pids(tmp_path):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
