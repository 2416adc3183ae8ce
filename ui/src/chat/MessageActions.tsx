import { useEffect, useRef, useState, type KeyboardEvent } from "react";

/** Copies `text`; the button says "Copied" (or that it could not) for a moment, aloud too. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => { setState("idle"); }, 2000);
    return () => { clearTimeout(timer); };
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  const said = state === "copied" ? "Copied" : state === "failed" ? "Could not copy: select the text instead" : "";
  return (
    <>
      <button type="button" className="icon-button" aria-label={label} title={label} data-action="copy"
        onClick={() => void copy()}>
        {state === "copied" ? (
          <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
            <path d="M5 12l5 5 9-10" />
          </svg>
        ) : (
          <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
            <rect x="9" y="9" width="11" height="11" rx="2" />
            <path d="M5 15V5a2 2 0 0 1 2-2h8" />
          </svg>
        )}
      </button>
      <span className="visually-hidden" role="status">{said}</span>
    </>
  );
}

export function EditIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M4 20h4L19 9l-4-4L4 16zM14 6l4 4" />
    </svg>
  );
}

/**
 * The last message, open for editing: Enter (or Send) sends the new text in its place,
 * Shift+Enter starts a new line, Escape (or Cancel) leaves it as it was.
 */
export function EditMessage({
  initial,
  onSend,
  onCancel,
}: {
  initial: string;
  onSend: (text: string) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(initial);
  const box = useRef<HTMLTextAreaElement | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  const send = () => {
    if (text.trim()) onSend(text.trim());
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
    } else if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };
  return (
    <form className="edit-message" aria-label="Edit message"
      onSubmit={(event) => { event.preventDefault(); send(); }}>
      <textarea ref={box} className="edit-message-input" aria-label="Edited message" value={text} rows={2}
        onChange={(event) => { setText(event.target.value); }} onKeyDown={onKeyDown} />
      <div className="edit-message-buttons">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" name="send-edit" disabled={!text.trim() || text.trim() === initial.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
