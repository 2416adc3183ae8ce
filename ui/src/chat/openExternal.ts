import { openUrl } from "@tauri-apps/plugin-opener";

/** Only these open outside the app; anything else (javascript:, file:, data:) stays inert. */
const OPENABLE = new Set(["http:", "https:", "mailto:"]);

/** The URL if it may be opened in the system browser, else null. */
export function openableUrl(href: string | null | undefined): string | null {
  if (!href) return null;
  try {
    const url = new URL(href);
    return OPENABLE.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Opens a link in the system browser (tauri-plugin-opener), never in the app's webview,
 * where a page could reach the app's commands. Rejects with why when it could not.
 */
export async function openExternal(href: string): Promise<void> {
  const url = openableUrl(href);
  if (!url) throw new Error(`Links like ${href.slice(0, 40)} are not opened.`);
  await openUrl(url);
}
