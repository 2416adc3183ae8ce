import { useEffect, useRef, useState, type KeyboardEvent } from "react";

/**
 * The message box: Enter sends, Shift+Enter starts a new line, and while an answer
 * streams the Send button becomes Stop. A refused message comes back into the box.
 */
export function Composer({
  streaming,
  canStop,
  disabled,
  onSend,
  onStop,
  autoFocus = true,
}: {
  streaming: boolean;
  canStop: boolean;
  disabled?: boolean;
  /** Resolves false when the message was not sent, so the text is put back. */
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  autoFocus?: boolean;
}) {
  const [text, setText] = useState("");
  const box = useRef<HTMLTextAreaElement | null>(null);

  useEffect(() => {
    if (autoFocus) box.current?.focus();
  }, [autoFocus]);

  const send = () => {
    const message = text.trim();
    if (!message || streaming || disabled) return;
    setText("");
    void onSend(message).then((sent) => {
      if (!sent) setText((current) => current || message);
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // IME composition uses Enter to pick a word; that must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  return (
    <form
      className="composer"
      aria-label="Message"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <textarea
        ref={box}
        name="composer"
        className="composer-input"
        rows={1}
        value={text}
        placeholder="Ask about your tasks…"
        aria-label="Message the assistant"
        aria-describedby="composer-hint"
        disabled={disabled}
        onChange={(event) => {
          setText(event.target.value);
        }}
        onKeyDown={onKeyDown}
      />
      <span id="composer-hint" className="visually-hidden">
        Enter sends; Shift+Enter starts a new line.
      </span>
      {streaming ? (
        <button type="button" name="stop" className="composer-button" onClick={onStop} disabled={!canStop}>
          Stop
        </button>
      ) : (
        <button type="submit" name="send" className="composer-button primary" disabled={disabled || !text.trim()}>
          Send
        </button>
      )}
    </form>
  );
}
