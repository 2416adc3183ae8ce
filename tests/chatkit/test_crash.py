"""Crash safety: `kill -9` the server at random moments; nothing it acknowledged may be lost.

Each cycle starts `serve` on the same data dir, checks what survived, then adds messages
(threads.create / threads.add_user_message) and is killed with SIGKILL: from a timer while
requests stream (sometimes with `[slow]` answers, so mid-stream), right after a user
message's `thread.item.done` arrived, or while the server is still starting up. A user item
counts as acknowledged once its `thread.item.done` event was received.

After every restart: the server starts, every `*.json` under the data dir parses, there is
no `*.corrupt-*` file, and every acknowledged user message is returned by items.list (with
its text) and its thread by threads.get_by_id. CHATKIT_CRASH_CYCLES (default 50) and
CHATKIT_CRASH_SEED change the run.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import threading
import time
from pathlib import Path

from chatkit.types import UserMessageItem
from ckclient import Client, ProtocolError, message_text, user_input
from serve import Serve, ServeError

CYCLES = int(os.environ.get("CHATKIT_CRASH_CYCLES", "50"))
MAX_THREADS = 12
MAX_OPS_PER_CYCLE = 30


class Killer:
    """Sends SIGKILL to the server's process, once, from any thread."""

    def __init__(self, server: Serve) -> None:
        self.server = server
        self.fired = threading.Event()
        self._timer: threading.Timer | None = None

    def __call__(self) -> None:
        process = self.server.process
        if process is not None and process.poll() is None and not self.fired.is_set():
            self.fired.set()
            try:
                os.kill(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def after(self, delay: float) -> "Killer":
        self._timer = threading.Timer(delay, self)
        self._timer.daemon = True
        self._timer.start()
        return self

    def cancel(self) -> None:
        if self._timer:
            self._timer.cancel()


def check_files(data: Path) -> int:
    corrupt = sorted(str(p.relative_to(data)) for p in data.rglob("*") if ".corrupt-" in p.name)
    assert not corrupt, f"the server set files aside as corrupt: {corrupt}"
    count = 0
    for path in data.rglob("*.json"):
        if path.is_file():
            try:
                json.loads(path.read_bytes())
            except ValueError as e:
                raise AssertionError(f"{path.relative_to(data)} is not valid JSON after kill -9: {e}") from None
            count += 1
    return count


def check_acknowledged(client: Client, acked: dict[str, tuple[str, str]]) -> None:
    by_thread: dict[str, dict[str, str]] = {}
    for item_id, (thread_id, text) in acked.items():
        by_thread.setdefault(thread_id, {})[item_id] = text
    listed = {t.id for t in client.all_threads(limit=100)}
    assert set(by_thread) <= listed, f"threads lost from threads.list: {set(by_thread) - listed}"
    for thread_id, expected in by_thread.items():
        thread = client.get_thread(thread_id)
        items = client.all_items(thread_id, limit=100)
        item_ids = [i.id for i in items]
        assert len(item_ids) == len(set(item_ids)), f"duplicate items in {thread_id}: {item_ids}"
        assert [i.id for i in thread.items.data] == item_ids[: len(thread.items.data)], "get_by_id vs items.list"
        stored = {i.id: i for i in items}
        lost = sorted(set(expected) - set(stored))
        assert not lost, f"acknowledged user messages lost in {thread_id}: {lost}"
        for item_id, text in expected.items():
            item = stored[item_id]
            assert isinstance(item, UserMessageItem) and message_text(item) == text, (item_id, item)


def test_sigkill_loop(tmp_path):
    seed = int(os.environ.get("CHATKIT_CRASH_SEED", str(time.time_ns() % 1_000_000)))
    rng = random.Random(seed)
    data = tmp_path / "data"
    log = tmp_path / "serve.log"
    acked: dict[str, tuple[str, str]] = {}  # user item id -> (thread id, text)
    threads: list[str] = []
    modes: dict[str, int] = {}
    mid_stream_kills = 0
    started_at = time.monotonic()

    for cycle in range(CYCLES):
        where = f"seed {seed}, cycle {cycle}"
        mode = rng.choices(["timer", "slow", "after_ack", "startup"], weights=[4, 3, 3, 1])[0]
        modes[mode] = modes.get(mode, 0) + 1
        server = Serve(data, log_path=log)
        killer = Killer(server)

        if mode == "startup":
            killer.after(rng.uniform(0.0, 0.08))
            try:
                server.start()
            except ServeError:
                assert killer.fired.is_set(), f"{where}: serve failed to start: {server.log_tail()}"
                server.kill()
                continue
            killer.cancel()
            if killer.fired.is_set():
                server.kill()
                continue
        else:
            try:
                server.start()
            except ServeError as e:
                raise AssertionError(f"{where}: serve did not start after kill -9: {e}") from None

        client = Client(server.url, server.secret, timeout=15)
        try:
            check_files(data)
            check_acknowledged(client, acked)
        except BaseException:
            server.kill()
            raise

        if mode == "timer":
            killer.after(rng.uniform(0.0, 0.15))
        elif mode == "slow":
            killer.after(rng.uniform(0.05, 0.6))
        ack_target = rng.randint(1, 8) if mode == "after_ack" else None
        acks_this_cycle = 0
        in_answer = False

        try:
            for n in range(MAX_OPS_PER_CYCLE):
                if killer.fired.is_set():
                    break
                text = f"cycle {cycle} message {n}" + (" [slow]" if mode == "slow" else "")
                if not threads or (len(threads) < MAX_THREADS and rng.random() < 0.3):
                    op, params, thread_id = "threads.create", {"input": user_input(text)}, None
                else:
                    thread_id = rng.choice(threads)
                    op, params = "threads.add_user_message", {"thread_id": thread_id, "input": user_input(text)}
                in_answer = False
                for _, event in client.events(op, params):
                    if event.type == "thread.created":
                        thread_id = event.thread.id
                        threads.append(thread_id)
                    elif event.type == "thread.item.done" and isinstance(event.item, UserMessageItem):
                        assert event.item.thread_id == thread_id and message_text(event.item) == text
                        acked[event.item.id] = (thread_id, text)
                        acks_this_cycle += 1
                        if acks_this_cycle == ack_target:
                            killer()
                            break
                    elif event.type == "thread.item.added":
                        in_answer = True
                    elif event.type == "thread.item.done":
                        in_answer = False
                if killer.fired.is_set() and in_answer:
                    mid_stream_kills += 1
        except (OSError, ValueError, http.client.HTTPException, ProtocolError) as e:
            # Only the kill may interrupt a request.
            assert killer.fired.is_set(), f"{where}: request failed while the server was up: {e!r}"
            if in_answer:
                mid_stream_kills += 1
        finally:
            killer.cancel()
            killer()  # every cycle ends with kill -9, at the latest once the workload is done
            server.kill()
        assert server.process.returncode == -signal.SIGKILL, f"{where}: exit {server.process.returncode}"

    server = Serve(data, log_path=log).start()
    try:
        files = check_files(data)
        check_acknowledged(Client(server.url, server.secret, timeout=15), acked)
    finally:
        server.stop()
    elapsed = time.monotonic() - started_at
    print(
        f"\nkill -9 loop: seed {seed}, {CYCLES} cycles {modes}, {len(acked)} acknowledged user messages "
        f"in {len(threads)} threads, {mid_stream_kills} kills mid-answer, {files} JSON files, {elapsed:.1f}s"
    )
    assert len(acked) >= CYCLES, "the loop hardly exercised the server"
