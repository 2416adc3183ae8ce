import { useSyncExternalStore } from "react";
import { Channel } from "@tauri-apps/api/core";
import { relaunch } from "@tauri-apps/plugin-process";
import { commands, type AppError, type UpdateInfo, type UpdateProgress } from "../bindings";
import { asAppError, unwrap } from "../shared/ipc";

/** Where the app's one update is, shared by the start-up check, the sidebar and Settings. */
export type UpdateState =
  | { kind: "idle" }
  | { kind: "checking" }
  | { kind: "latest" }
  | { kind: "available"; update: UpdateInfo }
  | { kind: "downloading"; update: UpdateInfo; downloaded: number; total: number | null }
  | { kind: "verifying"; update: UpdateInfo }
  | { kind: "ready"; update: UpdateInfo }
  | { kind: "installing"; update: UpdateInfo }
  | { kind: "failed"; error: AppError; update: UpdateInfo | null };

let state: UpdateState = { kind: "idle" };
const listeners = new Set<() => void>();

function set(next: UpdateState) {
  state = next;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useUpdateState(): UpdateState {
  return useSyncExternalStore(subscribe, () => state);
}

function busy(): boolean {
  return ["checking", "downloading", "verifying", "installing"].includes(state.kind);
}

/**
 * Asks the release feed for a newer version. `quiet` (the background check) keeps what was
 * shown before when the check fails, so being offline says nothing; the caller tries later.
 */
export async function checkForUpdates({ quiet }: { quiet: boolean }): Promise<UpdateInfo | null> {
  if (busy()) return null;
  // A downloaded update stays ready; checking again would only offer it a second time.
  if (quiet && state.kind === "ready") return null;
  const before = state;
  set({ kind: "checking" });
  try {
    const update = await unwrap(commands.updateCheck());
    set(update ? { kind: "available", update } : { kind: "latest" });
    return update;
  } catch (e) {
    set(quiet ? before : { kind: "failed", error: asAppError(e), update: null });
    if (quiet) throw e;
    return null;
  }
}

/** Downloads the update found by the last check; the core keeps it only if its signature verifies. */
export async function downloadUpdate(): Promise<void> {
  if (state.kind !== "available" && !(state.kind === "failed" && state.update)) return;
  const update = state.update;
  if (!update) return;
  set({ kind: "downloading", update, downloaded: 0, total: null });
  const progress = new Channel<UpdateProgress>();
  progress.onmessage = (message) => {
    if (message.kind === "downloading") {
      set({ kind: "downloading", update, downloaded: message.downloaded, total: message.total });
    } else {
      set({ kind: "verifying", update });
    }
  };
  try {
    await unwrap(commands.updateDownload(progress));
    set({ kind: "ready", update });
  } catch (e) {
    set({ kind: "failed", error: asAppError(e), update });
  }
}

/** Installs the verified update and starts the new version (on Windows the installer does). */
export async function installAndRelaunch(): Promise<void> {
  if (state.kind !== "ready") return;
  const update = state.update;
  set({ kind: "installing", update });
  try {
    await unwrap(commands.updateInstall());
    await relaunch();
  } catch (e) {
    // Nothing was installed: the next attempt starts from a fresh download.
    set({ kind: "failed", error: asAppError(e), update });
  }
}

/** For tests: back to a fresh start. */
export function resetUpdateState(): void {
  set({ kind: "idle" });
}
