#!/usr/bin/env bash
# Prints every benchmark figure beside its target; nothing here passes or fails on speed.
# - cargo bench: threads.list and appends with 10k threads, a three-tool assistant turn
#   against an instant model, events/s through the IPC fetch path;
# - cargo bench: loading 10,000 tasks, replaying 1,000 queued edits against a loopback backend;
# - bench_vs_reference.py: the same ChatKit request mix (three JSON ops, two streamed ops)
#   against `todo-assistant-cli serve` and against openai-chatkit's own Python server, in the
#   same run: speed-ups and RSS, beside the targets;
# - vitest bench: the built-in chat opening a 1,000-item thread and taking a streamed delta.
# - the release .deb's size beside its 4 MiB goal (built here if .ci/test has not built it);
# - bench_app_start.py: the release app's cold start to first paint and idle PSS (app and
#   WebKit processes) beside a minimal Tauri app of the same profile, interleaved, under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup
cargo bench -p todo-assistant-core --features test-support --bench chatkit --bench tasks
# The bench profile: optimized like a release, without its slow whole-program LTO. `serve`
# runs from the headless binary, which is what a server or script uses.
cargo build --profile bench -p todo-assistant-cli --features test-support
TODO_ASSISTANT_BIN=target/release/todo-assistant-cli \
  target/py-venv/bin/python tests/chatkit/bench_vs_reference.py --threads "${BENCH_THREADS:-300}"
npx vitest bench --run ui/src/chat/longThread

# The .deb as released (everything but the updater signatures, which need the release key),
# recompressed with xz by .ci/tauri as the release workflow does.
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
find_deb() { ls -t target/release/bundle/deb/*_"${version}"_*.deb 2>/dev/null | head -n 1; }
if [ -z "$(find_deb)" ] || [ "$(ar t "$(find_deb)" | tail -n 1)" != data.tar.xz ]; then
  bash .ci/tauri build --bundles deb --config '{"bundle":{"createUpdaterArtifacts":false}}'
fi
deb=$(find_deb)
awk -v bytes="$(stat -c %s "$deb")" -v name="$deb" \
  'BEGIN { printf "deb size: %.2f MiB (%d bytes), target <= 4 MiB: %s\n", bytes / 1048576, bytes, name }'

# The app as released (ui/dist embedded; nothing to do when the .deb above was just built),
# and the yardstick: one static page, no plugins, the same release profile.
npm run build
cargo build --release --features tauri/custom-protocol
cargo build --release -p tauri-minimal-app --features tauri/custom-protocol
tests/with-keyring.sh target/py-venv/bin/python tests/desktop/bench_app_start.py --runs "${BENCH_APP_RUNS:-6}" \
  2> >(grep -v -E 'dbus-daemon|xdg-desktop-portal|Gtk-WARNING|SpiRegistry|^$' >&2)
