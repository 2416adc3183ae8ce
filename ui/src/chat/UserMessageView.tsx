import { useState } from "react";
import type { Task } from "../bindings";
import { FileIcon } from "./AttachmentStrip";
import { findTask, taskStatus } from "./mentions";
import type { UserMessageItem } from "./protocol";

/**
 * A sent message: its text, its @-mentions as tags (hover or focus shows the task as it is
 * now: title, status, description), and its attachments (image thumbnails, file chips).
 */
export function UserMessageBody({ item }: { item: UserMessageItem }) {
  const attachments = item.attachments ?? [];
  return (
    <>
      {attachments.length > 0 && (
        <ul className="message-attachments" aria-label="Attachments">
          {attachments.map((attachment) => (
            <li key={attachment.id} className="message-attachment" data-type={attachment.type}>
              {attachment.type === "image" && attachment.preview_url ? (
                <img className="message-image" src={attachment.preview_url} alt={attachment.name} />
              ) : (
                <span className="attachment-chip ready">
                  <FileIcon />
                  <span className="attachment-name">{attachment.name}</span>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {item.content.some((part) => part.text !== "") && (
        <div className="bubble">
          {item.content.map((part, index) =>
            part.type === "input_tag" ? (
              <TaskTag key={index} id={part.id} text={part.text} />
            ) : (
              <span key={index}>{part.text}</span>
            ),
          )}
        </div>
      )}
    </>
  );
}

type Preview = { state: "loading" } | { state: "found"; task: Task } | { state: "gone" } | { state: "failed" };

function TaskTag({ id, text }: { id: string; text: string }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [shown, setShown] = useState(false);
  const tooltipId = `tag-preview-${id}`;

  const show = () => {
    setShown(true);
    if (preview && preview.state !== "failed") return;
    setPreview({ state: "loading" });
    findTask(id).then(
      (task) => {
        setPreview(task ? { state: "found", task } : { state: "gone" });
      },
      () => {
        setPreview({ state: "failed" });
      },
    );
  };
  const hide = () => {
    setShown(false);
  };

  return (
    <span
      className="task-tag"
      tabIndex={0}
      aria-describedby={shown ? tooltipId : undefined}
      onMouseEnter={show}
      onMouseLeave={hide}
      onFocus={show}
      onBlur={hide}
      onKeyDown={(event) => {
        if (event.key === "Escape") hide();
      }}
    >
      @{text}
      {shown && preview && (
        <span id={tooltipId} role="tooltip" className="task-preview">
          {preview.state === "loading" && <span className="muted">Loading…</span>}
          {preview.state === "gone" && <span className="muted">This task was deleted.</span>}
          {preview.state === "failed" && <span className="muted">The task could not be loaded.</span>}
          {preview.state === "found" && (
            <>
              <strong className="task-preview-title">{preview.task.title}</strong>
              <span className={preview.task.completed ? "mention-status done" : "mention-status"}>
                {taskStatus(preview.task)}
              </span>
              {preview.task.description && <span className="task-preview-description">{preview.task.description}</span>}
            </>
          )}
        </span>
      )}
    </span>
  );
}
