import { useEffect, useState } from "react";
import { commands, type AppError, type Settings } from "./bindings";
import { ChatView } from "./chatkit/ChatView";
import { Onboarding } from "./settings/Onboarding";
import { SettingsView } from "./settings/SettingsView";
import { ErrorBanner } from "./shared/ErrorBanner";
import { asAppError, unwrap } from "./shared/ipc";

type View = "chat" | "settings";

export function App() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [view, setView] = useState<View>("chat");

  useEffect(() => {
    unwrap(commands.getSettings()).then(setSettings, (e: unknown) => { setError(asAppError(e)); });
  }, []);

  if (error) {
    return (
      <main className="onboarding">
        <ErrorBanner error={error} />
      </main>
    );
  }
  if (!settings) {
    return <main className="onboarding" aria-busy="true" />;
  }
  if (!settings.connection) {
    return <Onboarding settings={settings} onDone={setSettings} />;
  }
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">Todo Assistant</div>
        <NavButton current={view} target="chat" label="Chat" onPick={setView} />
        <NavButton current={view} target="settings" label="Settings" onPick={setView} />
      </nav>
      {view === "chat" ? (
        <ChatView
          settings={settings}
          onThreadRemembered={(threadId) => {
            setSettings((s) => s && { ...s, last_thread_id: threadId });
          }}
        />
      ) : (
        <SettingsView settings={settings} onSaved={setSettings} />
      )}
    </div>
  );
}

function NavButton({ current, target, label, onPick }: {
  current: View;
  target: View;
  label: string;
  onPick: (v: View) => void;
}) {
  return (
    <button type="button" className={`nav ${current === target ? "active" : ""}`}
      aria-current={current === target ? "page" : undefined} onClick={() => { onPick(target); }}>
      {label}
    </button>
  );
}
