#!/usr/bin/env bash
# Prints every benchmark figure beside its target; nothing here passes or fails on speed.
# - cargo bench: threads.list and appends with 10k threads, a three-tool assistant turn
#   against an instant model, events/s through the IPC fetch path;
# - cargo bench: loading 10,000 tasks, replaying 1,000 queued edits against a loopback backend;
# - bench_vs_reference.py: the same ChatKit request mix against `serve` and against
#   openai-chatkit's own Python server, as a ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup
cargo bench --features test-support --bench chatkit --bench tasks
npm run build >/dev/null
# The bench profile: optimized like a release, without its slow whole-program LTO.
cargo build --profile bench --features tauri/custom-protocol,test-support
TODO_ASSISTANT_BIN=target/release/todo-assistant \
  target/py-venv/bin/python tests/chatkit/bench_vs_reference.py --threads "${BENCH_THREADS:-1000}"
