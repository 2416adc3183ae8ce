import { createContext, memo, useEffect, useSyncExternalStore } from "react";
import type { MarkdownRenderer } from "./MarkdownRenderer";

/** How a link in model text opens; the chat supplies one that reports failures. */
export const OpenLinkContext = createContext<(href: string) => void>(() => undefined);

// The renderer (react-markdown, GFM, sanitizing: most of the chat's script) loads when a
// message first needs it, not with the chat: a new chat never pays for it (1-2 MB of the
// web process at idle, measured). The chat asks for it as a thread opens or a message is sent,
// so what it shows is formatted from its first frame.
let renderer: typeof MarkdownRenderer | null = null;
let loading: Promise<void> | null = null;
const listeners = new Set<() => void>();

/** Loads the Markdown renderer once; a failed load is tried again on the next call. */
export function loadMarkdown(): Promise<void> {
  loading ??= import("./MarkdownRenderer").then(
    (module) => {
      renderer = module.MarkdownRenderer;
      for (const listener of listeners) listener();
    },
    (error: unknown) => {
      loading = null;
      throw error;
    },
  );
  return loading;
}

/** Whether Markdown renders formatted right away. */
export function markdownLoaded(): boolean {
  return renderer !== null;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Model text as Markdown (GFM: lists, code, tables, links), sanitized and inert. Until the
 * renderer has loaded (it normally has: see `loadMarkdown`), the text shows as it is.
 */
export const Markdown = memo(function Markdown({ text, className }: { text: string; className?: string }) {
  const Renderer = useSyncExternalStore(subscribe, () => renderer);
  useEffect(() => {
    if (!renderer) loadMarkdown().catch(() => undefined);
  }, []);
  const classes = className ? `markdown ${className}` : "markdown";
  if (!Renderer) return <div className={`${classes} markdown-pending`}>{text}</div>;
  return <Renderer text={text} className={classes} />;
});
