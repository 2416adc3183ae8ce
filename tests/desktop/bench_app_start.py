"""Cold start to first paint, and idle memory: the app next to a minimal Tauri app.

    tests/with-keyring.sh target/py-venv/bin/python tests/desktop/bench_app_start.py [--runs 6]

Both are release builds of one profile: `target/release/todo-assistant` (`npx tauri build`)
and `target/release/tauri-minimal-app` (src-tauri/minimal-app: one window, one static page,
no plugins). Runs alternate between them. Each run starts the binary with a fresh profile on
its own Xvfb display and grabs the screen (X GetImage) until the window shows content: text,
seen as many distinct colours where a blank window has one or two. That moment, from the
spawn, is "first paint". Then it waits for the app to settle and sums the PSS of the app and
every process it started (WebKit's web and network processes). Our app starts as a person
who set it up left it: connected (OpenAI, the default chat view), with tasks in its database.
Prints figures and ratios beside the targets; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, Xvfb, app_environment, descendants, wait_for, write_settings  # noqa: E402

TARGET_START_RATIO = 1.2
TARGET_MEMORY_RATIO = 1.1
# A blank window is one or two colours; a line of antialiased text brings dozens.
PAINTED_COLOURS = 24
SCREEN = (1280, 800)


def release_binary(name: str) -> Path:
    binary = ROOT / "target" / "release" / name
    if not binary.exists():
        raise SystemExit(f"{binary} is missing: run `bash tests/bench.sh`, which builds it")
    return binary


class Screen:
    """Grabs the whole Xvfb screen; counts the colours in it."""

    def __init__(self, display: str) -> None:
        from Xlib import display as xdisplay

        self.dpy = xdisplay.Display(display)
        self.root = self.dpy.screen().root

    def colours(self) -> int:
        from Xlib import X

        image = self.root.get_image(0, 0, SCREEN[0], SCREEN[1], X.ZPixmap, 0xFFFFFFFF)
        pixels = array("I", image.data)
        # Every other pixel of every row is plenty to see text and cheap enough to poll.
        return len(set(pixels[::2]))

    def window_shown(self) -> bool:
        """A top-level window is mapped (with no window manager they are the root's children)."""
        from Xlib import X

        return any(w.get_attributes().map_state == X.IsViewable for w in self.root.query_tree().children)

    def close(self) -> None:
        self.dpy.close()


def pss_mb(pids: list[int]) -> dict[str, float]:
    """PSS per process name (MB), from smaps_rollup."""
    by_name: dict[str, float] = {}
    for pid in pids:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        kib = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
        by_name[name] = by_name.get(name, 0.0) + kib / 1024
    return by_name


def our_profile(home: Path, env: dict[str, str]) -> None:
    """Connected to OpenAI with the default chat view, and 40 tasks (added with the CLI)."""
    data = write_settings(home)
    cli = release_binary("todo-assistant-cli")
    for n in range(40):
        subprocess.run([str(cli), "tasks", "--data-dir", str(data), "add", f"Task number {n}"],
                       env=env, check=True, stdout=subprocess.DEVNULL)


def one_run(binary: Path, settle: float, ours: bool) -> tuple[float, float, dict[str, float]]:
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        xvfb = Xvfb(background="black")
        screen = Screen(xvfb.display)
        env = app_environment(home, xvfb.display)
        env.pop("TODO_ASSISTANT_TEST_UPDATE_ENDPOINT", None)  # a release build ignores it anyway
        env["RUST_LOG"] = "warn"
        if ours:
            our_profile(home, env)
        blank = screen.colours()
        started = time.monotonic()
        process = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for(screen.window_shown, 60, f"{binary.name}'s window", interval=0.005)
            shown = time.monotonic() - started
            wait_for(lambda: screen.colours() >= max(PAINTED_COLOURS, blank + 8), 60,
                     f"{binary.name} to paint", interval=0.005)
            painted = time.monotonic() - started
            time.sleep(settle)
            memory = pss_mb(descendants(process.pid))
        finally:
            pids = descendants(process.pid)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.wait(10)
            screen.close()
            xvfb.stop()
        return shown, painted, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--settle", type=float, default=8.0, help="seconds after first paint before PSS")
    args = parser.parse_args()
    apps = {
        "minimal": (release_binary("tauri-minimal-app"), False),
        "ours": (release_binary("todo-assistant"), True),
    }
    results: dict[str, list[tuple[float, float, dict[str, float]]]] = {name: [] for name in apps}
    one_run(apps["minimal"][0], 1.0, False)  # warms the page cache for both: shared libraries
    for n in range(args.runs):
        for name, (binary, ours) in apps.items():
            shown, painted, memory = one_run(binary, args.settle, ours)
            results[name].append((shown, painted, memory))
            parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(memory.items()))
            print(f"run {n + 1} {name:8} window shown {shown * 1000:5.0f} ms, first paint {painted * 1000:5.0f} ms   "
                  f"PSS {sum(memory.values()):5.0f} MB ({parts})", flush=True)

    def medians(name: str) -> tuple[float, float, float]:
        runs = results[name]
        return (statistics.median(s for s, _, _ in runs), statistics.median(p for _, p, _ in runs),
                statistics.median(sum(m.values()) for _, _, m in runs))

    (o_shown, o_paint, o_mem), (m_shown, m_paint, m_mem) = medians("ours"), medians("minimal")
    print(f"window shown (median): ours {o_shown * 1000:.0f} ms, minimal Tauri app {m_shown * 1000:.0f} ms")
    print(f"cold start to first paint (median of {args.runs}): ours {o_paint * 1000:.0f} ms, "
          f"minimal Tauri app {m_paint * 1000:.0f} ms: {o_paint / m_paint:.2f}x   (target <= {TARGET_START_RATIO}x)")
    print(f"idle PSS, app and WebKit processes (median): ours {o_mem:.0f} MB, minimal Tauri app {m_mem:.0f} MB: "
          f"{o_mem / m_mem:.2f}x   (target <= {TARGET_MEMORY_RATIO}x)")


if __name__ == "__main__":
    main()
