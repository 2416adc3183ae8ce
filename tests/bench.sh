#!/usr/bin/env bash
# Prints every benchmark figure beside its target; nothing here passes or fails on speed.
# - cargo bench: threads.list and appends with 10k threads, a three-tool assistant turn
#   against an instant model, events/s through the IPC fetch path;
# - cargo bench: loading 10,000 tasks, replaying 1,000 queued edits against a loopback backend;
# - bench_vs_reference.py: the same ChatKit request mix (three JSON ops, two streamed ops)
#   against `todo-assistant-cli serve` and against openai-chatkit's own Python server, in the
#   same run: speed-ups and RSS, beside the targets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup
cargo bench -p todo-assistant-core --features test-support --bench chatkit --bench tasks
# The bench profile: optimized like a release, without its slow whole-program LTO. `serve`
# runs from the headless binary, which is what a server or script uses.
cargo build --profile bench -p todo-assistant-cli --features test-support
TODO_ASSISTANT_BIN=target/release/todo-assistant-cli \
  target/py-venv/bin/python tests/chatkit/bench_vs_reference.py --threads "${BENCH_THREADS:-300}"
