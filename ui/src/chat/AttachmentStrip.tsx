import type { PendingAttachment } from "./useComposerAttachments";

/** The composer's attachments as chips: a thumbnail or file name, its state, and Remove. */
export function AttachmentStrip({
  items,
  onRemove,
}: {
  items: PendingAttachment[];
  onRemove: (key: number) => void;
}) {
  if (items.length === 0) return null;
  return (
    <ul className="attachment-strip" aria-label="Attachments">
      {items.map((item) => (
        <li key={item.key} className={`attachment-chip ${item.state}`} data-state={item.state}>
          {item.localPreview ? (
            <img className="attachment-thumb" src={item.localPreview} alt="" />
          ) : (
            <FileIcon />
          )}
          <span className="attachment-name" title={item.name}>
            {item.name}
          </span>
          {item.state === "uploading" && (
            <span className="attachment-state" role="status">
              Uploading…
            </span>
          )}
          {item.state === "failed" && item.error && (
            <span className="attachment-error" role="alert" data-code={item.error.code}>
              {item.error.message}
            </span>
          )}
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove ${item.name}`}
            onClick={() => {
              onRemove(item.key);
            }}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

export function FileIcon() {
  return (
    <svg className="attachment-file-icon" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor"
      strokeWidth="2" aria-hidden="true">
      <path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5" />
    </svg>
  );
}
