"""The release .deb as a person gets it: `dpkg -i` installs it, the installed app opens its
window on a display and draws in it, the installed `todo-assistant-cli` (on PATH, in /usr/bin) answers
`--version`, and `dpkg -r` removes it all. `.ci/test` builds the .deb first
(`npx tauri build --bundles deb`)."""

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from harness import ROOT, Xvfb, app_environment, close_app_window, top_window, unique_colors, wait_for

BUNDLE_DIR = ROOT / "target" / "release" / "bundle" / "deb"
VERSION = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]


def as_root(*command: str) -> subprocess.CompletedProcess:
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=300)


def built_deb() -> Path:
    debs = sorted(BUNDLE_DIR.glob(f"*_{VERSION}_*.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        pytest.fail(f"no .deb for {VERSION} in {BUNDLE_DIR}: build it with `npx tauri build --bundles deb`")
    return debs[-1]


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], check=True, capture_output=True, text=True).stdout.strip()


def window_mapped(display: str, title: str) -> bool:
    """Whether a viewable top-level window with this title is on the display."""
    with top_window(display, title, viewable=True) as (_, window):
        return window is not None


def test_the_deb_depends_on_the_system_sqlite_its_binaries_link():
    assert "libsqlite3-0" in field(built_deb(), "Depends")


@pytest.fixture
def installed():
    deb = built_deb()
    package = field(deb, "Package")
    if subprocess.run(["dpkg-query", "-W", package], capture_output=True).returncode == 0:
        pytest.fail(f"{package} is already installed on this machine; the test would remove it")
    result = as_root("dpkg", "-i", str(deb))
    assert result.returncode == 0, result.stdout + result.stderr
    try:
        yield package
    finally:
        as_root("dpkg", "-r", package)


def test_the_deb_installs_starts_answers_and_uninstalls(installed, tmp_path):
    package = installed
    files = subprocess.run(["dpkg", "-L", package], check=True, capture_output=True, text=True).stdout.splitlines()
    assert "/usr/bin/todo-assistant" in files
    assert "/usr/bin/todo-assistant-cli" in files
    assert any(f.startswith("/usr/share/applications/") and f.endswith(".desktop") for f in files)

    # The headless CLI is on PATH and is this release.
    cli = subprocess.run(["todo-assistant-cli", "--version"], capture_output=True, text=True, timeout=30,
                         env={"PATH": "/usr/bin:/bin"})
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip() == f"todo-assistant-cli {VERSION}"

    # The installed app, started from PATH on a display, maps its window.
    xvfb = Xvfb()
    try:
        env = app_environment(tmp_path, xvfb.display)
        env["PATH"] = "/usr/bin:/bin"
        log = (tmp_path / "app.log").open("w")
        app = subprocess.Popen(["todo-assistant"], env=env, stdout=log, stderr=log)
        try:
            wait_for(lambda: window_mapped(xvfb.display, "Todo Assistant"), 60, "the installed app's window")
            assert app.poll() is None, "the app exited after showing its window"

            # The webview paints asynchronously: the installed UI draws more than a flat background.
            def painted():
                shot = xvfb.screenshot("package-deb-installed-app")
                return shot if unique_colors(shot) >= 16 else None

            wait_for(painted, 60, "the installed app to draw its first screen", interval=1)
            assert close_app_window(xvfb.display)
            assert app.wait(30) == 0
        finally:
            if app.poll() is None:
                app.kill()
            log.close()
    finally:
        xvfb.stop()

    # Removed, nothing of it stays on PATH.
    result = as_root("dpkg", "-r", package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not Path("/usr/bin/todo-assistant").exists()
    assert not Path("/usr/bin/todo-assistant-cli").exists()
