import "./richInput.css";
import { useEffect, useRef, useState, type ClipboardEvent, type DragEvent, type KeyboardEvent } from "react";
import type { Task } from "../bindings";
import { ACCEPT_ATTRIBUTE, type Attachment } from "./attachments";
import { AttachmentStrip } from "./AttachmentStrip";
import type { RichInput } from "./chatSession";
import { composeContent, insertMention, type Mention } from "./composeMessage";
import { MENTION_LIST_ID, MentionMenu, mentionOptionId } from "./MentionMenu";
import { ModelPicker } from "./ModelPicker";
import { useComposerAttachments } from "./useComposerAttachments";
import { useMentionSearch } from "./useMentionSearch";

/**
 * The message box: Enter sends, Shift+Enter starts a new line, and while an answer
 * streams the Send button becomes Stop. A refused message comes back into the box.
 * Typing `@` offers tasks to mention; files can be attached (picked, pasted or dropped)
 * when `onUpload` is given.
 */
export function Composer({
  streaming,
  canStop,
  disabled,
  onSend,
  onStop,
  onUpload,
  onDiscardUpload,
  models,
  model,
  onModelChange,
  autoFocus = true,
}: {
  streaming: boolean;
  canStop: boolean;
  disabled?: boolean;
  /** Resolves false when the message was not sent, so the text is put back. */
  onSend: (text: string, rich: RichInput) => Promise<boolean>;
  onStop: () => void;
  /** Uploads one attached file to the core (two-phase); without it, nothing can be attached. */
  onUpload?: ((file: File) => Promise<Attachment>) | undefined;
  /** An uploaded attachment removed before sending. */
  onDiscardUpload?: ((attachmentId: string) => void) | undefined;
  /** The models to pick from; the picker shows when there are several. */
  models?: string[] | undefined;
  model?: string | undefined;
  onModelChange?: ((model: string) => void) | undefined;
  autoFocus?: boolean;
}) {
  const [text, setText] = useState("");
  const [caret, setCaret] = useState(0);
  const [mentions, setMentions] = useState<Mention[]>([]);
  const [dragging, setDragging] = useState(false);
  const box = useRef<HTMLTextAreaElement | null>(null);
  const picker = useRef<HTMLInputElement | null>(null);
  const menu = useMentionSearch(text, caret);
  const files = useComposerAttachments(onUpload, onDiscardUpload);

  useEffect(() => {
    if (autoFocus) box.current?.focus();
  }, [autoFocus]);

  const canSend = (text.trim() !== "" || files.ready.length > 0) && !files.uploading && !streaming && !disabled;

  const send = () => {
    if (!canSend) return;
    const message = text.trim();
    const sentMentions = mentions;
    const attached = files.take();
    const rich: RichInput = {
      content: composeContent(message, sentMentions),
      attachments: attached.flatMap((item) => (item.attachment ? [item.attachment] : [])),
    };
    setText("");
    setMentions([]);
    void onSend(message, rich).then((sent) => {
      if (sent) return;
      setText((current) => current || message);
      setMentions((current) => (current.length ? current : sentMentions));
      files.restore(attached);
    });
  };

  const pick = (task: Task) => {
    if (!menu.trigger) return;
    const next = insertMention(text, menu.trigger.start, caret, { id: task.id, title: task.title });
    setText(next.text);
    setCaret(next.caret);
    setMentions((current) => [...current.filter((m) => m.id !== task.id), { id: task.id, title: task.title }]);
    requestAnimationFrame(() => {
      box.current?.setSelectionRange(next.caret, next.caret);
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // IME composition uses Enter to pick a word; that must not send.
    if (event.nativeEvent.isComposing) return;
    if (menu.open) {
      const picked = menu.tasks[menu.active];
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        menu.move(event.key === "ArrowDown" ? 1 : -1);
        return;
      }
      if ((event.key === "Enter" || event.key === "Tab") && picked) {
        event.preventDefault();
        pick(picked);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        menu.dismiss();
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      send();
    }
  };

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const pasted = [...event.clipboardData.files];
    if (!files.enabled || pasted.length === 0) return;
    event.preventDefault();
    files.add(pasted);
  };

  const onDrop = (event: DragEvent<HTMLFormElement>) => {
    setDragging(false);
    if (!files.enabled || event.dataTransfer.files.length === 0) return;
    event.preventDefault();
    files.add([...event.dataTransfer.files]);
  };

  const activeOption = menu.open ? mentionOptionId(menu.active) : undefined;
  return (
    <div className="composer-area">
      {menu.open && (
        <MentionMenu tasks={menu.tasks} active={menu.active} onPick={pick} onHighlight={menu.highlight} />
      )}
      <form
        className={dragging ? "composer dragging" : "composer"}
        aria-label="Message"
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
        onDragOver={(event) => {
          if (!files.enabled) return;
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => {
          setDragging(false);
        }}
        onDrop={onDrop}
      >
        <AttachmentStrip items={files.items} onRemove={files.remove} />
        <div className="composer-row">
          {files.enabled && (
            <>
              <button
                type="button"
                name="attach"
                className="icon-button composer-attach"
                aria-label="Attach files"
                title="Attach images, PDFs or text files"
                disabled={disabled}
                onClick={() => picker.current?.click()}
              >
                <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
                  <path d="M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.3 3.3 0 0 1 4.7 4.7L10.2 17.7a1.7 1.7 0 0 1-2.4-2.4L15.5 7.6" />
                </svg>
              </button>
              <input
                ref={picker}
                type="file"
                name="attachments"
                multiple
                accept={ACCEPT_ATTRIBUTE}
                hidden
                onChange={(event) => {
                  if (event.target.files) files.add([...event.target.files]);
                  event.target.value = "";
                }}
              />
            </>
          )}
          <textarea
            ref={box}
            name="composer"
            className="composer-input"
            rows={1}
            value={text}
            placeholder="Ask about your tasks…"
            aria-label="Message the assistant"
            aria-describedby="composer-hint"
            role="combobox"
            aria-autocomplete="list"
            aria-expanded={menu.open}
            aria-controls={menu.open ? MENTION_LIST_ID : undefined}
            aria-activedescendant={activeOption}
            disabled={disabled}
            onChange={(event) => {
              setText(event.target.value);
              setCaret(event.target.selectionStart);
            }}
            onSelect={(event) => {
              setCaret(event.currentTarget.selectionStart);
            }}
            onKeyDown={onKeyDown}
            onPaste={onPaste}
          />
          <span id="composer-hint" className="visually-hidden">
            Enter sends; Shift+Enter starts a new line; @ mentions a task.
          </span>
          {models && models.length > 1 && model !== undefined && onModelChange && (
            <ModelPicker models={models} value={model} disabled={disabled} onChange={onModelChange} />
          )}
          {streaming ? (
            <button type="button" name="stop" className="composer-button" onClick={onStop} disabled={!canStop}>
              Stop
            </button>
          ) : (
            <button type="submit" name="send" className="composer-button primary" disabled={!canSend}>
              Send
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
