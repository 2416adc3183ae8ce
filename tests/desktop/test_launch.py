"""The real app binary starts under Xvfb, maps its window, draws something, and exits
cleanly when its window is closed the way a window manager closes it."""

import subprocess
import time

from Xlib import X, display as xdisplay, protocol

from harness import APP_TITLE, app_binary, app_environment, descendants, unique_colors, wait_for


def find_app_window(dpy):
    net_wm_name = dpy.intern_atom("_NET_WM_NAME")
    utf8 = dpy.intern_atom("UTF8_STRING")
    pending = [dpy.screen().root]
    while pending:
        window = pending.pop()
        try:
            name = window.get_wm_name()
            prop = window.get_full_property(net_wm_name, utf8)
            if APP_TITLE in (name, prop.value.decode() if prop else None):
                return window
            pending.extend(window.query_tree().children)
        except Exception:  # a window may vanish while we walk the tree
            continue
    return None


def close_like_a_window_manager(dpy, window):
    protocols = dpy.intern_atom("WM_PROTOCOLS")
    delete = dpy.intern_atom("WM_DELETE_WINDOW")
    assert delete in (window.get_wm_protocols() or []), "window does not accept WM_DELETE_WINDOW"
    event = protocol.event.ClientMessage(window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
    window.send_event(event, event_mask=X.NoEventMask)
    dpy.flush()


def launch(env, log_path):
    log = log_path.open("w")
    return subprocess.Popen([str(app_binary())], env=env, stdout=log, stderr=subprocess.STDOUT), log


def wait_mapped(dpy):
    def mapped_window():
        window = find_app_window(dpy)
        return window if window and window.get_attributes().map_state == X.IsViewable else None

    return wait_for(mapped_window, 90, "the main window to map")


def count_app_windows(dpy):
    return sum(1 for w in dpy.screen().root.query_tree().children if w.get_wm_name() == APP_TITLE)


def test_window_size_survives_a_restart_and_a_second_launch_hands_over(xvfb, tmp_path):
    env = app_environment(tmp_path, xvfb.display)
    dpy = xdisplay.Display(xvfb.display)
    first, log = launch(env, tmp_path / "first.log")
    try:
        window = wait_mapped(dpy)
        window.configure(width=900, height=640)
        dpy.sync()
        wait_for(lambda: (window.get_geometry().width, window.get_geometry().height) == (900, 640), 10, "the resize")
        # The X server applied the size; give the app's event loop a moment to record it
        # (window-state keeps the size it last saw), as a person would before closing.
        time.sleep(1.5)

        # A second launch must hand over to the first and leave, not open another window.
        second = subprocess.Popen([str(app_binary())], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert second.wait(timeout=30) == 0
        assert first.poll() is None
        assert count_app_windows(dpy) == 1

        close_like_a_window_manager(dpy, window)
        assert first.wait(timeout=30) == 0
    finally:
        if first.poll() is None:
            first.kill()
        log.close()

    again, log = launch(env, tmp_path / "again.log")
    try:
        window = wait_mapped(dpy)
        geometry = window.get_geometry()
        assert (geometry.width, geometry.height) == (900, 640)
        close_like_a_window_manager(dpy, window)
        assert again.wait(timeout=30) == 0
    finally:
        if again.poll() is None:
            again.kill()
        log.close()


def test_window_maps_draws_and_closes_cleanly(xvfb, tmp_path):
    env = app_environment(tmp_path, xvfb.display)
    log = (tmp_path / "app.log").open("w")
    app = subprocess.Popen([str(app_binary())], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        dpy = xdisplay.Display(xvfb.display)

        def mapped_window():
            window = find_app_window(dpy)
            return window if window and window.get_attributes().map_state == X.IsViewable else None

        window = wait_for(mapped_window, 90, "the main window to map")

        # The webview paints asynchronously; wait for more than a flat background.
        def painted():
            shot = xvfb.screenshot("launch")
            return shot if unique_colors(shot) >= 16 else None

        shot = wait_for(painted, 60, "the window to draw its onboarding screen", interval=1)
        assert unique_colors(shot) >= 16

        close_like_a_window_manager(dpy, window)
        assert app.wait(timeout=30) == 0, (tmp_path / "app.log").read_text()
    finally:
        if app.poll() is None:
            app.kill()
        log.close()


def jit_pool(pid: int) -> list[str]:
    """JavaScriptCore's JIT pool: a large region the process may both write and run (a few
    small ones are libffi's closures, not the JIT's)."""
    found = []
    for line in open(f"/proc/{pid}/maps").read().splitlines():
        span, perms = line.split()[:2]
        start, end = (int(part, 16) for part in span.split("-"))
        if perms.startswith("rwx") and end - start >= 16 << 20:
            found.append(line)
    return found


def web_process_of(app) -> int:
    return wait_for(lambda: next((pid for pid in descendants(app.pid)
                                  if open(f"/proc/{pid}/comm").read().startswith("WebKitWebProces")), None),
                    60, "the app's web process")


def test_page_scripts_run_without_a_jit_unless_the_person_asks(xvfb, tmp_path):
    """The webview interprets the page's JavaScript (less memory, no writable code); someone who
    sets JSC_useJIT gets what they set."""
    for choice, jit_expected in ((None, False), ("true", True)):
        home = tmp_path / f"jit-{choice}"
        env = app_environment(home, xvfb.display)
        if choice is not None:
            env["JSC_useJIT"] = choice
        app, log = launch(env, home.with_suffix(".log"))
        try:
            dpy = xdisplay.Display(xvfb.display)
            wait_mapped(dpy)
            web = web_process_of(app)
            # The page has run by the time the onboarding screen draws.
            wait_for(lambda: unique_colors(xvfb.screenshot("jit")) >= 16, 60, "the onboarding screen", interval=1)
            found = jit_pool(web)
            assert bool(found) == jit_expected, (choice, found)
            assert bool(jit_pool(app.pid)) == jit_expected, choice
            close_like_a_window_manager(dpy, find_app_window(dpy))
            assert app.wait(timeout=30) == 0
        finally:
            if app.poll() is None:
                app.kill()
            log.close()
