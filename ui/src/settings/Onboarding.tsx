import type { Settings } from "../bindings";
import { ConnectionForm } from "./ConnectionForm";

export function Onboarding({ settings, onDone }: { settings: Settings; onDone: (s: Settings) => void }) {
  return (
    <main className="onboarding">
      <div className="card wide">
        <h1>Welcome to Todo Assistant</h1>
        <p className="muted">
          Manage your tasks by talking to an assistant: "Add a task to buy groceries", "What's pending?".
          First, choose how the assistant connects. Keys are kept in your system keychain.
        </p>
        <ConnectionForm settings={settings} submitLabel="Continue" onSaved={onDone} />
      </div>
    </main>
  );
}
