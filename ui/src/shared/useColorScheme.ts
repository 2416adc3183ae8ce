import { useSyncExternalStore } from "react";

export type ColorScheme = "light" | "dark";

const DARK = "(prefers-color-scheme: dark)";

function darkQuery(): MediaQueryList | null {
  // Some embedded webviews (and jsdom) have no matchMedia: then light it is.
  return typeof window.matchMedia === "function" ? window.matchMedia(DARK) : null;
}

function subscribe(onChange: () => void): () => void {
  const query = darkQuery();
  query?.addEventListener("change", onChange);
  return () => query?.removeEventListener("change", onChange);
}

function current(): ColorScheme {
  return darkQuery()?.matches ? "dark" : "light";
}

/** The operating system's light or dark appearance, updated live when it changes. */
export function useColorScheme(): ColorScheme {
  return useSyncExternalStore(subscribe, current, () => "light");
}
