import { Suspense, useEffect, useMemo, useState, type Dispatch, type SetStateAction } from "react";
import { commands, type AppError, type Settings } from "./bindings";
import { ChatPane } from "./chat/ChatPane";
import { ErrorBanner } from "./shared/ErrorBanner";
import { asAppError, unwrap } from "./shared/ipc";
import { OnlineStatus } from "./shared/OnlineStatus";
import { freshest, startPendingTasks, startSettings } from "./startSettings";
import { SyncStatusLine } from "./sync/SyncBar";
import { useSyncStatus } from "./sync/useSyncStatus";
import { Onboarding, SettingsView } from "./lazyViews";
import { TasksView } from "./tasks/TasksView";
import { useTaskList } from "./tasks/useTaskList";
import { UpdateNote } from "./updates/UpdateNote";
import { useStartupUpdateCheck } from "./updates/useStartupUpdateCheck";

type View = "chat" | "tasks" | "settings";

export function App() {
  const [settings, setSettings] = useState<Settings | null>(startSettings);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    unwrap(commands.getSettings()).then(
      (fetched) => { setSettings((current) => freshest(current, fetched)); },
      (e: unknown) => { setError(asAppError(e)); },
    );
  }, []);
  useStartupUpdateCheck(settings?.updates);

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
    return (
      <Suspense fallback={<main className="onboarding" aria-busy="true" />}>
        <Onboarding settings={settings} onDone={setSettings} />
      </Suspense>
    );
  }
  return <Shell settings={settings} setSettings={setSettings} />;
}

function Shell({ settings, setSettings }: {
  settings: Settings;
  setSettings: Dispatch<SetStateAction<Settings | null>>;
}) {
  const [view, setView] = useState<View>("chat");
  // Loaded here, not in the Tasks view, so the view opens at once and the count stays live.
  const tasks = useTaskList();
  // Until the list arrives, the count the window was created with: no badge popping in.
  const pending = useMemo(
    () => tasks.tasks ? tasks.tasks.filter((t) => !t.completed).length : startPendingTasks(),
    [tasks.tasks],
  );
  const sync = useSyncStatus();
  const openSettings = () => {
    setView("settings");
  };

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">Todo Assistant</div>
        <NavButton current={view} target="chat" label="Chat" onPick={setView} />
        <NavButton current={view} target="tasks" label="Tasks" badge={pending} onPick={setView} />
        <NavButton current={view} target="settings" label="Settings" onPick={setView} />
        <div className="sidebar-foot">
          <UpdateNote onOpenSettings={openSettings} />
          <OnlineStatus />
          <SyncStatusLine sync={sync} onOpenSettings={openSettings} />
        </div>
      </nav>
      {view === "chat" ? (
        <ChatPane
          settings={settings}
          onThreadRemembered={(threadId) => {
            setSettings((s) => s && { ...s, last_thread_id: threadId });
          }}
          onOpenSettings={openSettings}
          onOpenTasks={() => { setView("tasks"); }}
          onSettingsChanged={setSettings}
        />
      ) : view === "tasks" ? (
        <TasksView list={tasks} sync={sync} onOpenSettings={openSettings} />
      ) : (
        <Suspense fallback={<section className="pane" aria-busy="true" />}>
          <SettingsView settings={settings} onSaved={setSettings} />
        </Suspense>
      )}
    </div>
  );
}

function NavButton({ current, target, label, badge, onPick }: {
  current: View;
  target: View;
  label: string;
  badge?: number | undefined;
  onPick: (v: View) => void;
}) {
  return (
    <button type="button" className={`nav ${current === target ? "active" : ""}`} data-view={target}
      aria-current={current === target ? "page" : undefined} onClick={() => { onPick(target); }}
      aria-label={badge ? `${label} (${badge} pending)` : undefined}>
      <span>{label}</span>
      {badge !== undefined && badge > 0 && <span className="nav-badge" aria-hidden="true">{badge}</span>}
    </button>
  );
}
