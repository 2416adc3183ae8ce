"""Two `serve` processes on one data folder (as the app and `serve` share one): threads made,
renamed and deleted in either show in both without a restart, and none is dropped when
both create threads at once."""

from __future__ import annotations

import threading

from ckclient import THREAD, Client, user_input
from serve import Serve


def create(client: Client, text: str) -> str:
    for _, event in client.events("threads.create", {"input": user_input(text)}):
        if event.type == "thread.created":
            return event.thread.id
    raise AssertionError("threads.create streamed no thread.created")


def ids(client: Client) -> set[str]:
    return {t.id for t in client.all_threads()}


def test_two_servers_on_one_folder_see_and_keep_each_others_threads(tmp_path):
    data = tmp_path / "data"
    first = Serve(data, log_path=tmp_path / "first.log").start()
    second = Serve(data, log_path=tmp_path / "second.log").start()
    try:
        a, b = Client(first.url, first.secret), Client(second.url, second.secret)
        made_in_a = create(a, "Buy groceries")
        made_in_b = create(b, "Walk the dog")
        assert ids(a) == ids(b) == {made_in_a, made_in_b}

        # Both at once: every thread either made is kept.
        made: list[str] = []
        lock = threading.Lock()

        def burst(client: Client, tag: str) -> None:
            for n in range(8):
                thread_id = create(client, f"{tag} {n}")
                with lock:
                    made.append(thread_id)

        workers = [threading.Thread(target=burst, args=(c, tag)) for c, tag in ((a, "from a"), (b, "from b"))]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        assert len(made) == 16
        assert ids(a) == ids(b) == {made_in_a, made_in_b, *made}

        # A rename in one, a delete in the other: both stand, in both.
        renamed = b.call("threads.update", {"thread_id": made_in_a, "title": "Groceries"}, THREAD)
        assert renamed.title == "Groceries"
        assert a.post("threads.delete", {"thread_id": made_in_b}).status == 200
        assert a.get_thread(made_in_a).title == "Groceries"
        assert made_in_b not in ids(b)
        assert ids(a) == ids(b) == {made_in_a, *made}
        # Items added in the other process are there too.
        assert len(a.all_items(made[-1])) == len(b.all_items(made[-1])) >= 2
    finally:
        for s in (first, second):
            alive = s.alive()
            code = s.stop()
            assert alive, f"serve died during the test (exit {code}); log:\n{s.log_tail()}"
