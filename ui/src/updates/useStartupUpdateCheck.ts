import { useEffect } from "react";
import type { UpdateMode } from "../bindings";
import { checkForUpdates, downloadUpdate } from "./updates";

/** After a failed check (offline, the feed down), try again on reconnect or after this long. */
const RETRY_MS = 30 * 60 * 1000;
/** A running app looks again now and then, so a long session still hears of a release. */
const RECHECK_MS = 12 * 60 * 60 * 1000;
/** Start-up work (the window, settings, chat) goes first. */
const FIRST_CHECK_DELAY_MS = 2000;

/**
 * Checks for an update after the first paint, unless updates are set to "never"; in
 * "automatic" a found update downloads (and is verified) in the background. A failure says
 * nothing: the check runs again when the network comes back, or later.
 */
export function useStartupUpdateCheck(mode: UpdateMode | undefined): void {
  useEffect(() => {
    if (mode === undefined || mode === "never") return;
    let timer: number | undefined;
    let stopped = false;
    const run = async () => {
      window.clearTimeout(timer);
      try {
        const update = await checkForUpdates({ quiet: true });
        if (update && mode === "automatic" && !stopped) await downloadUpdate();
        timer = window.setTimeout(() => void run(), RECHECK_MS);
      } catch {
        timer = window.setTimeout(() => void run(), RETRY_MS);
      }
    };
    const online = () => void run();
    timer = window.setTimeout(() => void run(), FIRST_CHECK_DELAY_MS);
    window.addEventListener("online", online);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      window.removeEventListener("online", online);
    };
  }, [mode]);
}
