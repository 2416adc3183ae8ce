import type { Settings } from "../bindings";
import { useChatViewPreference, type ChatViewPreference } from "../chat/useChatViewPreference";
import { chatRoute } from "../chatkit/chatRoute";

const CHOICES: { value: ChatViewPreference; label: string; detail: string }[] = [
  {
    value: "auto",
    label: "Automatic",
    detail: "ChatKit when it loads from OpenAI's CDN; the built-in chat when it can't.",
  },
  { value: "chatkit", label: "ChatKit", detail: "OpenAI's chat component, loaded from the internet." },
  {
    value: "builtin",
    label: "Built-in",
    detail: "This app's own chat: no download, works offline with a model on this computer.",
  },
];

/** Settings → Chat view: a preference of this window, kept in its local storage. */
export function ChatViewForm({ settings }: { settings: Settings }) {
  const [choice, setChoice] = useChatViewPreference();
  return (
    <fieldset className="choices compact" aria-describedby="chat-view-note">
      <legend>Chat view</legend>
      {CHOICES.map((option) => (
        <label key={option.value} className={`choice ${choice === option.value ? "selected" : ""}`}>
          <input type="radio" name="chat-view" value={option.value} checked={choice === option.value}
            onChange={() => { setChoice(option.value); }} />
          <span>
            {option.label}
            <span className="muted small">{option.detail}</span>
          </span>
        </label>
      ))}
      <p id="chat-view-note" className="muted small">
        {chatRoute(settings.connection) === "session"
          ? "This connection's chat runs at OpenAI, which only ChatKit can reach, so chat uses ChatKit whatever is chosen here."
          : "Both views show the same chats; switching keeps the one that is open."}
      </p>
    </fieldset>
  );
}
