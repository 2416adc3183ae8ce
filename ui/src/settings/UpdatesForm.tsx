import { useState } from "react";
import { commands, type AppError, type Settings, type UpdateMode } from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";
import { checkForUpdates, downloadUpdate, installAndRelaunch, useUpdateState } from "../updates/updates";
import { UpdateDetails } from "../updates/UpdateDetails";

const CHOICES: { value: UpdateMode; label: string; detail: string }[] = [
  {
    value: "automatic",
    label: "Install automatically",
    detail: "Downloads new versions in the background; asks only to restart.",
  },
  { value: "ask", label: "Ask", detail: "Says when a new version is out and shows what is new." },
  { value: "never", label: "Never", detail: "Looks only when you click Check for updates." },
];

/** Settings → Updates: how new versions arrive, and the update in hand. */
export function UpdatesForm({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }) {
  const update = useUpdateState();
  const [saveError, setSaveError] = useState<AppError | null>(null);

  const choose = async (mode: UpdateMode) => {
    setSaveError(null);
    try {
      onSaved(await unwrap(commands.saveUpdateMode(mode)));
    } catch (e) {
      setSaveError(asAppError(e));
    }
  };
  const working = ["checking", "downloading", "verifying", "installing"].includes(update.kind);

  return (
    <div className="updates">
      <fieldset className="choices compact">
        <legend>When a new version is out</legend>
        {CHOICES.map((option) => (
          <label key={option.value} className={`choice ${settings.updates === option.value ? "selected" : ""}`}>
            <input type="radio" name="updates" value={option.value} checked={settings.updates === option.value}
              onChange={() => void choose(option.value)} />
            <span>
              {option.label}
              <span className="muted small">{option.detail}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {saveError && <ErrorBanner error={saveError} onDismiss={() => { setSaveError(null); }} />}
      <div className="update-status" aria-live="polite">
        {update.kind === "checking" && <p className="muted">Checking for updates…</p>}
        {update.kind === "latest" && <p data-update="latest">Todo Assistant is up to date.</p>}
        {"update" in update && update.update && <UpdateDetails update={update.update} />}
        {update.kind === "downloading" && (
          <div className="update-progress">
            <progress aria-label="Downloading the update" max={update.total ?? undefined}
              value={update.total ? update.downloaded : undefined} />
            <span className="muted small">
              {megabytes(update.downloaded)}
              {update.total ? ` of ${megabytes(update.total)}` : ""}
            </span>
          </div>
        )}
        {update.kind === "verifying" && <p className="muted">Checking the signature…</p>}
        {update.kind === "ready" && (
          <p data-update="ready">
            Version {update.update.version} is downloaded and its signature verified. Restart to use it.
          </p>
        )}
        {update.kind === "installing" && <p className="muted">Installing… the app restarts when it is done.</p>}
        {update.kind === "failed" && <ErrorBanner error={update.error} />}
      </div>
      <div className="row">
        <button type="button" disabled={working} onClick={() => void checkForUpdates({ quiet: false })}>
          Check for updates
        </button>
        {(update.kind === "available" || (update.kind === "failed" && update.update)) && (
          <button type="button" className="primary" onClick={() => void downloadUpdate()}>
            {update.kind === "failed" ? "Try the download again" : "Download and verify"}
          </button>
        )}
        {update.kind === "ready" && (
          <button type="button" className="primary" onClick={() => void installAndRelaunch()}>
            Install and restart
          </button>
        )}
      </div>
    </div>
  );
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
