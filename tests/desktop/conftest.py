import pytest

import os
import signal

from harness import Xvfb, app_pids, top_window, wait_for


@pytest.fixture(scope="session")
def xvfb():
    display = Xvfb()
    yield display
    display.stop()


def no_app_window(display: str) -> bool:
    with top_window(display) as (_, window):
        return window is None


@pytest.fixture(autouse=True)
def no_app_outlives_its_test(tmp_path, request):
    """An app left running would take over the next test's launch (single instance), and its
    window, still on the shared display, could be taken for the next test's."""
    yield
    for pid in app_pids(tmp_path):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_for(lambda: not app_pids(tmp_path), 10, "the test's app to exit")
    if "xvfb" in request.fixturenames:
        display = request.getfixturevalue("xvfb").display
        wait_for(lambda: no_app_window(display), 10, "the test's app window to close")
