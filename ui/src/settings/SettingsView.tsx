import { useEffect, useState } from "react";
import { commands, type AppError, type AppInfo, type Settings } from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";
import { ChatViewForm } from "./ChatViewForm";
import { ConnectionForm } from "./ConnectionForm";
import { DomainKeyForm } from "./DomainKeyForm";
import { OtherAppsForm } from "./OtherAppsForm";
import { UpdatesForm } from "./UpdatesForm";

export function SettingsView({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    commands.appInfo().then(setInfo, (e: unknown) => { setError(asAppError(e)); });
  }, []);

  // While the app's answer is on its way; a dash once it failed (the error says why).
  const pending = error === null ? "…" : "—";

  const openLogs = async () => {
    setError(null);
    try {
      await unwrap(commands.openLogsFolder());
    } catch (e) {
      setError(asAppError(e));
    }
  };

  return (
    <section className="pane scroll">
      <div className="card wide">
        <h1>Settings</h1>
        <h2>Connection</h2>
        <ConnectionForm settings={settings} submitLabel="Save" onSaved={onSaved} onPartlySaved={onSaved} />
      </div>
      <div className="card wide">
        <h2>Chat</h2>
        <ChatViewForm settings={settings} />
        <DomainKeyForm settings={settings} onSaved={onSaved} />
      </div>
      <div className="card wide">
        <OtherAppsForm />
      </div>
      <div className="card wide" id="updates">
        <h2>Updates</h2>
        <UpdatesForm settings={settings} onSaved={onSaved} />
      </div>
      <div className="card wide">
        <h2>About and troubleshooting</h2>
        {info?.settings_recovery.kind === "quarantined" && (
          <div className="banner banner-warning" role="note">
            <p>
              Your settings file was damaged and was moved to {info.settings_recovery.quarantined}.{" "}
              {info.settings_recovery.restored_from_backup
                ? "The last good copy was restored."
                : "Settings were reset; please check them."}
            </p>
          </div>
        )}
        {/* Always laid out, so the answer fills it in without moving the button below. */}
        <dl className="facts" aria-busy={info === null && error === null}>
          <dt>Version</dt>
          <dd>{info?.version ?? pending}</dd>
          <dt>Data folder</dt>
          <dd><code>{info?.paths.data_dir ?? pending}</code></dd>
          <dt>Logs folder</dt>
          <dd><code>{info?.paths.log_dir ?? pending}</code></dd>
          <dt>Keychain entry</dt>
          <dd><code>{info?.keychain_service ?? pending}</code></dd>
        </dl>
        {error && <ErrorBanner error={error} onDismiss={() => { setError(null); }} />}
        <button type="button" onClick={() => void openLogs()}>
          Open logs folder
        </button>
      </div>
    </section>
  );
}
