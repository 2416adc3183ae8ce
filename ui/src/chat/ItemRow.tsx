import { memo, useLayoutEffect, useState } from "react";
import { ClientToolCallView, GeneratedImageView, TaskItemView, WorkflowView } from "./ItemViews";
import { Markdown } from "./Markdown";
import { CopyButton, EditIcon, EditMessage } from "./MessageActions";
import {
  assistantText,
  userText,
  type ActionConfig,
  type AssistantMessageItem,
  type FeedbackKind,
  type ThreadItem,
  type UserMessageItem,
} from "./protocol";
import { PENDING_PREFIX } from "./threadState";
import { useThread, type ThreadStore } from "./threadStore";
import { UserMessageBody } from "./UserMessageView";
import { WidgetView } from "./widgets/WidgetView";

/** What a row can ask of the chat; one stable object, so rows stay memoized. */
export interface RowActions {
  retryAnswer(answerId: string): void;
  feedback(itemId: string, kind: FeedbackKind): void;
  action(itemId: string, action: ActionConfig): Promise<void>;
  editMessage(itemId: string, text: string): void;
}

/**
 * One thread item. It subscribes to its own item, so a streamed delta renders this row
 * and no other.
 */
export const ItemRow = memo(function ItemRow({
  store,
  id,
  canRetry,
  canEdit,
  actions,
  onRender,
}: {
  store: ThreadStore;
  id: string;
  /** The newest answer: it carries Retry. */
  canRetry: boolean;
  /** The newest question: it can be edited and sent again. */
  canEdit: boolean;
  actions: RowActions;
  /** Told after each render of this row: the long-thread test and bench count them. */
  onRender?: ((id: string) => void) | undefined;
}) {
  const item = useThread(store, (s) => s.items[id]);
  useLayoutEffect(() => {
    onRender?.(id);
  });
  const streaming = useThread(store, (s) => s.inFlight[id] === true);
  const busy = useThread(store, (s) => s.streaming);
  if (!item) return null;
  return (
    <div className={`chat-item chat-item-${item.type}`} data-item-id={id} data-item-type={item.type}>
      <ItemBody item={item} store={store} streaming={streaming} busy={busy} canRetry={canRetry} canEdit={canEdit}
        actions={actions} />
    </div>
  );
});

function ItemBody({
  item,
  store,
  streaming,
  busy,
  canRetry,
  canEdit,
  actions,
}: {
  item: ThreadItem;
  store: ThreadStore;
  streaming: boolean;
  busy: boolean;
  canRetry: boolean;
  canEdit: boolean;
  actions: RowActions;
}) {
  switch (item.type) {
    case "user_message":
      return <UserMessage item={item} busy={busy} canEdit={canEdit} actions={actions} />;
    case "assistant_message":
      return (
        <AssistantMessage item={item} store={store} streaming={streaming} busy={busy} canRetry={canRetry} actions={actions} />
      );
    case "widget":
      return <WidgetView widget={item.widget} busy={busy} onAction={(action) => actions.action(item.id, action)} />;
    case "task":
      return <TaskItemView item={item} />;
    case "workflow":
      return <WorkflowView item={item} />;
    case "client_tool_call":
      return <ClientToolCallView item={item} />;
    case "generated_image":
      return <GeneratedImageView item={item} />;
    case "structured_input":
      return <p className="muted small">The assistant asked a question with a form that only ChatKit can show.</p>;
    default:
      return null;
  }
}

function UserMessage({
  item,
  busy,
  canEdit,
  actions,
}: {
  item: UserMessageItem;
  busy: boolean;
  canEdit: boolean;
  actions: RowActions;
}) {
  const [editing, setEditing] = useState(false);
  const pending = item.id.startsWith(PENDING_PREFIX);
  const text = userText(item);
  if (editing && canEdit) {
    return (
      <div className="message user editing">
        <EditMessage
          initial={text}
          onCancel={() => { setEditing(false); }}
          onSend={(edited) => {
            setEditing(false);
            actions.editMessage(item.id, edited);
          }}
        />
      </div>
    );
  }
  return (
    <div className="message user">
      <span className="visually-hidden">You said: </span>
      <UserMessageBody item={item} />
      {pending ? (
        <p className="muted small message-state">Sending…</p>
      ) : (
        <div className="message-actions" role="group" aria-label="Message actions">
          <CopyButton text={text} label="Copy message" />
          {canEdit && (
            <button type="button" className="icon-button" aria-label="Edit message" title="Edit and send again"
              data-action="edit" disabled={busy} onClick={() => { setEditing(true); }}>
              <EditIcon />
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function AssistantMessage({
  item,
  store,
  streaming,
  busy,
  canRetry,
  actions,
}: {
  item: AssistantMessageItem;
  store: ThreadStore;
  streaming: boolean;
  busy: boolean;
  canRetry: boolean;
  actions: RowActions;
}) {
  const feedback = useThread(store, (s) => s.feedback[item.id]);
  const stopped = useThread(store, (s) => s.stopped[item.id] === true);
  const empty = item.content.every((part) => part.text === "");
  return (
    <div className="message assistant" aria-busy={streaming || undefined}>
      <span className="visually-hidden">Assistant: </span>
      {empty && streaming ? (
        <p className="typing" aria-label="Assistant is writing">
          <span />
          <span />
          <span />
        </p>
      ) : (
        item.content.map((part, index) => <Markdown key={index} text={part.text} />)
      )}
      {stopped && <p className="muted small message-state">Stopped</p>}
      {!streaming && (
        <div className="message-actions" role="group" aria-label="Answer actions">
          <CopyButton text={assistantText(item)} label="Copy answer" />
          <button type="button" className="icon-button" aria-label="Good answer" aria-pressed={feedback === "positive"}
            onClick={() => { actions.feedback(item.id, "positive"); }}>
            <Thumb up />
          </button>
          <button type="button" className="icon-button" aria-label="Bad answer" aria-pressed={feedback === "negative"}
            onClick={() => { actions.feedback(item.id, "negative"); }}>
            <Thumb up={false} />
          </button>
          {canRetry && (
            <button type="button" className="icon-button" aria-label="Retry" title="Answer again" disabled={busy}
              onClick={() => { actions.retryAnswer(item.id); }}>
              <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
                <path d="M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5" />
              </svg>
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function Thumb({ up }: { up: boolean }) {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true"
      style={up ? undefined : { transform: "rotate(180deg)" }}>
      <path d="M7 11v9H4v-9zM7 11l4-8c1.5 0 2.5 1 2.5 2.5V9h5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7" />
    </svg>
  );
}
