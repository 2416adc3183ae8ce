"""Latency of `todo-assistant serve --responder echo` next to openai-chatkit's Python server.

    target/py-venv/bin/python tests/chatkit/bench_vs_reference.py [--threads 1000] [--requests 200]

Both servers get the same mix over loopback HTTP: seed N threads (threads.create), then
time `threads.list` (first page, limit 20) and `threads.add_user_message` (to a random
seeded thread, until the end of its stream), R requests each after a short warm-up, one at
a time, each on a new connection. The reference is `reference_server.py`: ChatKitServer
with an in-memory Store and an echo `respond()`, on uvicorn (asyncio loop, h11). Ours
persists to disk; the reference keeps everything in memory. Prints figures; asserts nothing
about speed. Point TODO_ASSISTANT_BIN at a release build for figures that mean something.
"""

from __future__ import annotations

import argparse
import json
import random
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


def timed_list(client: Client) -> float:
    started = time.perf_counter()
    r = client.post("threads.list", {"limit": 20})
    elapsed = time.perf_counter() - started
    if r.status != 200 or len(r.json()["data"]) != 20:
        raise RuntimeError(f"threads.list failed: {r!r}")
    return elapsed


def timed_message_total(client: Client, thread_id: str, n: int) -> float:
    started = time.perf_counter()
    conn, resp, _ = client.open(
        "threads.add_user_message",
        {"thread_id": thread_id, "input": user_input(f"bench message {n}: what is pending today?")},
    )
    body = resp.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if resp.status != 200 or b"thread.item.done" not in body:
        raise RuntimeError(f"add_user_message failed: {resp.status} {body[:300]!r}")
    return elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def measure(name: str, client: Client, threads: int, requests: int, workers: int, rng: random.Random) -> dict:
    print(f"[{name}] seeding {threads} threads ...", flush=True)
    ids, seed_time, creates = seed(client, threads, workers)
    for _ in range(WARMUP):
        timed_list(client)
        timed_message_total(client, rng.choice(ids), -1)
    lists = [timed_list(client) for _ in range(requests)]
    messages = [timed_message_total(client, rng.choice(ids), n) for n in range(requests)]
    tenth = max(1, threads // 10)
    return {
        "seed_rate": threads / seed_time,
        "create_first": percentile(creates[:tenth], 50),
        "create_last": percentile(creates[-tenth:], 50),
        "threads.list": lists,
        "threads.add_user_message": messages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1000, help="threads to seed (default 1000)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per op (default 200)")
    parser.add_argument("--seed-workers", type=int, default=4, help="concurrent threads.create while seeding")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chatkit-bench-"))
    print(f"ours: {binary()}  (data and logs in {work})")
    results = {}
    ours = Serve(work / "data", log_path=work / "serve.log").start()
    try:
        results["ours"] = measure("ours", Client(ours.url, ours.secret), args.threads, args.requests, args.seed_workers, random.Random(args.seed))
    finally:
        ours.stop()
    reference = Reference(work / "reference.log")
    try:
        client = Client(reference.url, reference.secret)
        results["reference"] = measure("reference", client, args.threads, args.requests, args.seed_workers, random.Random(args.seed))
    finally:
        reference.stop()

    ms = 1000.0
    print(f"\n{args.threads} threads seeded, {args.requests} timed requests per op, loopback, one request at a time\n")
    header = f"{'op':<26} {'ours p50':>9} {'ours p95':>9} {'ref p50':>9} {'ref p95':>9} {'p50 ours/ref':>13} {'p95 ours/ref':>13}"
    print(header)
    print("-" * len(header))
    for op in ("threads.list", "threads.add_user_message"):
        o, r = results["ours"][op], results["reference"][op]
        o50, o95, r50, r95 = (percentile(o, 50), percentile(o, 95), percentile(r, 50), percentile(r, 95))
        print(
            f"{op:<26} {o50 * ms:>7.2f}ms {o95 * ms:>7.2f}ms {r50 * ms:>7.2f}ms {r95 * ms:>7.2f}ms "
            f"{o50 / r50:>13.2f} {o95 / r95:>13.2f}"
        )
    o, r = results["ours"]["seed_rate"], results["reference"]["seed_rate"]
    print(f"\nseeding with {args.seed_workers} concurrent clients: ours {o:.0f} threads.create/s, reference {r:.0f}/s")
    for name in ("ours", "reference"):
        first, last = results[name]["create_first"] * ms, results[name]["create_last"] * ms
        print(f"  {name:<10} threads.create p50: first tenth {first:.2f}ms, last tenth {last:.2f}ms")


if __name__ == "__main__":
    main()
