#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring, the Secret
# Service the app uses on Linux. Throwaway XDG folders keep the real user's keyring untouched.
set -euo pipefail
if [ -z "${TODO_ASSISTANT_KEYRING_SESSION:-}" ]; then
  scratch=$(mktemp -d)
  mkdir -p "$scratch/data" "$scratch/run"
  chmod 700 "$scratch/run"
  export TODO_ASSISTANT_KEYRING_SESSION="$scratch"
  export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run"
  status=0
  dbus-run-session -- "$0" "$@" || status=$?
  rm -rf "$scratch" 2>/dev/null || true
  exit "$status"
fi
# A non-empty password creates and unlocks the login keyring.
printf 'todo-assistant-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
exec "$@"
