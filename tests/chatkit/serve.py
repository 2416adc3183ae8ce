"""Starts the app's headless ChatKit server (`todo-assistant serve`) for the tests, and stops it.

    with Serve(data_dir) as server:
        server.url, server.secret, server.expires_at

The binary is `$TODO_ASSISTANT_BIN`, else `target/debug/todo-assistant` in the repo. It runs
with no display: `DISPLAY` and `WAYLAND_DISPLAY` are removed from its environment, and its
XDG folders point next to the data dir so nothing lands in the real profile. When ready it
prints one JSON line, `{"chatkit_url", "client_secret", "expires_at"}`; everything it writes
after that (stdout and stderr) is drained into a log file so its pipes never fill up.

Run by hand: `python tests/chatkit/serve.py DATA_DIR` prints the ready line and serves until
Ctrl-C.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0


def binary() -> Path:
    return Path(os.environ.get("TODO_ASSISTANT_BIN", ROOT / "target" / "debug" / "todo-assistant"))


class ServeError(RuntimeError):
    pass


class Serve:
    """One `todo-assistant serve` process on `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        responder: str | None = "echo",
        log_path: Path | None = None,
        ready_timeout: float = READY_TIMEOUT,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str | None] | None = None,
    ) -> None:
        """`responder=None` leaves out `--responder` (serve's default: the agent). `env` is laid
        over the inherited environment; a None value removes that variable."""
        self.data_dir = Path(data_dir)
        self.responder = responder
        self.env = dict(env or {})
        self.log_path = Path(log_path) if log_path else self.data_dir.with_name(self.data_dir.name + ".serve.log")
        self.ready_timeout = ready_timeout
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None
        self.ready_line: str = ""
        self.url: str = ""
        self.secret: str = ""
        self.expires_at: int = 0
        self._threads: list[threading.Thread] = []
        self._log_lock = threading.Lock()
        self._log = None

    # -- lifecycle -------------------------------------------------------------------------

    def command(self) -> list[str]:
        return [
            str(binary()),
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            *(["--responder", self.responder] if self.responder is not None else []),
            *self.extra_args,
        ]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        home = self.data_dir.with_name(self.data_dir.name + ".xdg")
        for var, sub in (
            ("XDG_DATA_HOME", "data"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_STATE_HOME", "state"),
        ):
            env[var] = str(home / sub)
        env.setdefault("RUST_BACKTRACE", "1")
        for var, value in self.env.items():
            if value is None:
                env.pop(var, None)
            else:
                env[var] = value
        return env

    def start(self) -> "Serve":
        exe = binary()
        if not exe.exists():
            raise ServeError(f"{exe} is missing: build it with `cargo build`")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._write_log(f"\n=== start {time.strftime('%H:%M:%S')} {' '.join(self.command())}\n".encode())
        self.process = subprocess.Popen(
            self.command(),
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        first_line: queue.Queue[bytes | None] = queue.Queue()
        out = threading.Thread(target=self._drain_stdout, args=(self.process.stdout, first_line), daemon=True)
        err = threading.Thread(target=self._drain, args=(self.process.stderr,), daemon=True)
        out.start()
        err.start()
        self._threads = [out, err]
        try:
            line = first_line.get(timeout=self.ready_timeout)
        except queue.Empty:
            self.kill()
            raise ServeError(f"serve printed no ready line within {self.ready_timeout}s; log: {self.log_tail()}")
        if line is None:
            code = self.process.wait(5)
            self._join()
            raise ServeError(f"serve exited with {code} before it was ready; log: {self.log_tail()}")
        self.ready_line = line.decode("utf-8", "replace").rstrip("\r\n")
        try:
            ready = json.loads(self.ready_line)
            self.url = ready["chatkit_url"]
            self.secret = ready["client_secret"]
            self.expires_at = ready["expires_at"]
        except (ValueError, KeyError, TypeError) as e:
            self.kill()
            raise ServeError(f"serve's first line is not the ready JSON ({e}): {self.ready_line!r}") from None
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it lingers. Returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._join()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL (kill -9) and reap it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.process.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)
        self._join()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> "Serve":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- output ----------------------------------------------------------------------------

    def _write_log(self, data: bytes) -> None:
        with self._log_lock:
            if self._log and not self._log.closed:
                self._log.write(data)
                self._log.flush()

    def _drain_stdout(self, pipe, first_line: queue.Queue) -> None:
        line = pipe.readline()
        first_line.put(line if line else None)
        if line:
            self._write_log(b"[ready] " + line)
        self._drain(pipe)

    def _drain(self, pipe) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            self._write_log(chunk)
        pipe.close()

    def _join(self) -> None:
        for t in self._threads:
            t.join(5)
        self._threads = []
        with self._log_lock:
            if self._log and not self._log.closed:
                self._log.close()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")[-chars:]
        except OSError:
            return "(no log)"


def start_serve(data_dir: Path, **kwargs) -> Serve:
    return Serve(data_dir, **kwargs).start()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: serve.py DATA_DIR")
    server = start_serve(Path(sys.argv[1]))
    print(server.ready_line, flush=True)
    print(f"log: {server.log_path}", file=sys.stderr)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
