"""The real app binary starts under Xvfb, maps its window, draws something, and exits
cleanly when its window is closed the way a window manager closes it."""

import subprocess

from Xlib import X, display as xdisplay, protocol

from harness import APP_TITLE, app_binary, app_environment, unique_colors, wait_for


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
