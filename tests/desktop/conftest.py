import pytest

from harness import Xvfb


@pytest.fixture(scope="session")
def xvfb():
    display = Xvfb()
    yield display
    display.stop()
