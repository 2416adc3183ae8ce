"""Latency of `todo-assistant serve --responder echo` next to openai-chatkit's Python server.

    target/py-venv/bin/python tests/chatkit/bench_vs_reference.py [--threads 1000] [--requests 200]

Both servers get the same mix over loopback HTTP: seed N threads (threads.create), then
time the JSON ops `threads.list` (first page, limit 20), `items.list` and
`threads.get_by_id` (a random seeded thread) and the streamed ops `threads.create` and
`threads.add_user_message` (to the end of the stream), R requests each after a short
warm-up, interleaved, one at a time on one kept-alive connection (as a browser's fetch
reuses one); then each server's RSS. The reference is `reference_server.py`: ChatKitServer
with an in-memory Store and an echo `respond()`, on uvicorn (asyncio loop, h11). Ours
persists to disk; the reference keeps everything in memory. Prints figures; asserts nothing
about speed. Point TODO_ASSISTANT_BIN at a release build for figures that mean something.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ckclient import Client, user_input  # noqa: E402
from serve import Serve, binary  # noqa: E402

WARMUP = 10


class Reference:
    """reference_server.py in its own process (so it does not share our GIL)."""

    def __init__(self, log: Path) -> None:
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "reference_server.py")],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
        )
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(60)
        if not line or not line[0]:
            self.stop()
            raise RuntimeError(f"the reference server did not start; see {log}")
        self.url = json.loads(line[0])["chatkit_url"]
        self.secret = ""
        threading.Thread(target=lambda: self.process.stdout.read(), daemon=True).start()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def create_thread(client: Client, n: int) -> tuple[str, float]:
    started = time.perf_counter()
    thread_id = None
    for _, event in client.events("threads.create", {"input": user_input(f"seed thread {n}: buy milk")}):
        if event.type == "thread.created":
            thread_id = event.thread.id
    if thread_id is None:
        raise RuntimeError("threads.create streamed no thread.created")
    return thread_id, time.perf_counter() - started


def seed(client: Client, count: int, workers: int) -> tuple[list[str], float, list[float]]:
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(lambda n: create_thread(client, n), range(count)))
    return [d[0] for d in done], time.perf_counter() - started, [d[1] for d in done]


class KeepAlive:
    """One HTTP/1.1 connection reused for every request, as a browser's fetch does, spoken
    over a plain socket: what is timed is the server's work per request, not a TCP
    handshake or http.client's own overhead, which would cap any ratio near 1."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.sock = socket.create_connection((client.host, client.port), timeout=client.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def send(self, op: str, params: dict) -> tuple[int, bytes]:
        body = Client.body_of(op, params, None)
        head = "".join(f"{k}: {v}\r\n" for k, v in self.client._headers(True, None).items())
        self.sock.sendall(
            f"POST {self.client.path} HTTP/1.1\r\nHost: {self.client.host}\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        header = self._until(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if "content-length" in fields:
            return status, self._exactly(int(fields["content-length"]))
        chunks = []
        while True:  # chunked: size line, data, CRLF; a zero size ends the body
            size = int(self._until(b"\r\n").split(b";")[0], 16)
            if size == 0:
                self._until(b"\r\n")
                return status, b"".join(chunks)
            chunks.append(self._exactly(size))
            self._exactly(2)

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self._fill()
        found, _, self.buffer = self.buffer.partition(marker)
        return found

    def _exactly(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._fill()
        found, self.buffer = self.buffer[:count], self.buffer[count:]
        return found

    def close(self) -> None:
        self.sock.close()


def timed(conn: KeepAlive, op: str, params: dict) -> float:
    """One JSON op, to its parsed answer."""
    started = time.perf_counter()
    status, body = conn.send(op, params)
    json.loads(body)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"{op} failed: {status} {body[:300]!r}")
    return elapsed


def timed_stream(conn: KeepAlive, op: str, params: dict) -> float:
    """One streamed op, to the end of its stream."""
    started = time.perf_counter()
    status, body = conn.send(op, params)
    elapsed = time.perf_counter() - started
    if status != 200 or b"thread.item.done" not in body:
        raise RuntimeError(f"{op} failed: {status} {body[:300]!r}")
    return elapsed


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


JSON_OPS = ("threads.list", "items.list", "threads.get_by_id")
STREAMED_OPS = ("threads.create", "threads.add_user_message")


def measure(name: str, client: Client, pid: int, threads: int, requests: int, workers: int, rng: random.Random) -> dict:
    print(f"[{name}] seeding {threads} threads ...", flush=True)
    ids, seed_time, creates = seed(client, threads, workers)
    conn = KeepAlive(client)
    ops = {
        "threads.list": lambda n: timed(conn, "threads.list", {"limit": 20}),
        "items.list": lambda n: timed(conn, "items.list", {"thread_id": rng.choice(ids), "limit": 20}),
        "threads.get_by_id": lambda n: timed(conn, "threads.get_by_id", {"thread_id": rng.choice(ids)}),
        "threads.create": lambda n: timed_stream(conn, "threads.create", {"input": user_input(f"bench thread {n}: buy milk")}),
        "threads.add_user_message": lambda n: timed_stream(
            conn,
            "threads.add_user_message",
            {"thread_id": rng.choice(ids), "input": user_input(f"bench message {n}: what is pending today?")},
        ),
    }
    for run in ops.values():
        for _ in range(WARMUP):
            run(-1)
    # Interleaved, so a noisy moment on the machine falls on every op alike.
    timings: dict[str, list[float]] = {op: [] for op in ops}
    for n in range(requests):
        for op, run in ops.items():
            timings[op].append(run(n))
    conn.close()
    tenth = max(1, threads // 10)
    return {
        "seed_rate": threads / seed_time,
        "create_first": percentile(creates[:tenth], 50),
        "create_last": percentile(creates[-tenth:], 50),
        "rss_mb": rss_mb(pid),
        **timings,
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=300, help="threads to seed (default 300)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per op (default 200)")
    parser.add_argument("--seed-workers", type=int, default=4, help="concurrent threads.create while seeding")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chatkit-bench-"))
    print(f"ours: {binary()}  (data and logs in {work})")
    results = {}
    ours = Serve(work / "data", log_path=work / "serve.log").start()
    try:
        client = Client(ours.url, ours.secret)
        results["ours"] = measure("ours", client, ours.process.pid, args.threads, args.requests, args.seed_workers, random.Random(args.seed))
    finally:
        ours.stop()
    reference = Reference(work / "reference.log")
    try:
        client = Client(reference.url, reference.secret)
        results["reference"] = measure(
            "reference", client, reference.process.pid, args.threads, args.requests, args.seed_workers, random.Random(args.seed)
        )
    finally:
        reference.stop()

    ms = 1000.0
    print(f"\n{args.threads} threads seeded, {args.requests} timed requests per op (interleaved), loopback, one at a time on a kept-alive connection")
    print("speed-up = reference p50 / ours p50 (higher is better)\n")
    header = f"{'op':<26} {'ours p50':>9} {'ours p95':>9} {'ref p50':>9} {'ref p95':>9} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    speedups = {}
    for op in (*JSON_OPS, *STREAMED_OPS):
        o, r = results["ours"][op], results["reference"][op]
        o50, o95, r50, r95 = (percentile(o, 50), percentile(o, 95), percentile(r, 50), percentile(r, 95))
        speedups[op] = r50 / o50
        print(f"{op:<26} {o50 * ms:>7.2f}ms {o95 * ms:>7.2f}ms {r50 * ms:>7.2f}ms {r95 * ms:>7.2f}ms {speedups[op]:>8.1f}x")
    json_speedup = geomean([speedups[op] for op in JSON_OPS])
    streamed = min(speedups[op] for op in STREAMED_OPS)
    o_rss, r_rss = results["ours"]["rss_mb"], results["reference"]["rss_mb"]
    print()
    print(f"JSON ops, geometric mean speed-up:   {json_speedup:6.1f}x   (target >= 20x)")
    print(f"streamed ops, slowest speed-up:      {streamed:6.1f}x   (target >= 2x)")
    print(f"RSS after the run: ours {o_rss:.1f} MB, reference {r_rss:.1f} MB: {r_rss / o_rss:.1f}x lower   (target >= 5x)")
    o, r = results["ours"]["seed_rate"], results["reference"]["seed_rate"]
    print(f"\nseeding with {args.seed_workers} concurrent clients: ours {o:.0f} threads.create/s, reference {r:.0f}/s")
    for name in ("ours", "reference"):
        first, last = results[name]["create_first"] * ms, results[name]["create_last"] * ms
        print(f"  {name:<10} threads.create p50 while seeding: first tenth {first:.2f}ms, last tenth {last:.2f}ms")


if __name__ == "__main__":
    main()
