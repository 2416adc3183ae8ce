import { ErrorBanner } from "../shared/ErrorBanner";
import { useOnline } from "../shared/useOnline";
import { lastSyncedText, syncHeadline } from "./syncText";
import type { SyncView } from "./useSyncStatus";

/**
 * Sync at the top of the Tasks view: where things stand, when it last synced, and
 * "Sync now". Says nothing on the Local connection, where tasks stay on this device.
 */
export function SyncBar({ sync, onOpenSettings }: { sync: SyncView; onOpenSettings: () => void }) {
  const online = useOnline();
  if (!sync.status) return null;
  // Only with a backend: on Local a failed read is the task list's own error, shown already.
  if (sync.error && sync.status.backend) return <ErrorBanner error={sync.error} />;
  const headline = syncHeadline(sync.status, { online, requested: sync.requested });
  if (!headline) return null;
  const last = lastSyncedText(sync.status.last_synced_at);
  const busy = headline.tone === "busy";
  return (
    <div className={`sync-bar tone-${headline.tone}`} role="status" aria-label="Sync" aria-busy={busy}>
      <SyncIcon tone={headline.tone} />
      <div className="sync-text">
        <span className="sync-headline">{headline.text}</span>
        {(headline.detail ?? last) && (
          <span className="sync-detail muted small">{[headline.detail, last].filter(Boolean).join(" · ")}</span>
        )}
      </div>
      <div className="sync-actions">
        {headline.action === "sign_in" && (
          <button type="button" className="primary small-button" onClick={onOpenSettings}>
            Sign in again
          </button>
        )}
        {headline.action === "settings" && (
          <button type="button" className="small-button" onClick={onOpenSettings}>
            Open Settings
          </button>
        )}
        <button type="button" className="small-button" disabled={busy || !online} onClick={sync.syncNow}>
          Sync now
        </button>
      </div>
    </div>
  );
}

/** The sidebar's one line about sync, under the online indicator; nothing on Local. */
export function SyncStatusLine({ sync, onOpenSettings }: { sync: SyncView; onOpenSettings: () => void }) {
  const online = useOnline();
  if (!sync.status) return null;
  const headline = syncHeadline(sync.status, { online, requested: sync.requested });
  if (!headline) return null;
  // The sidebar is narrow: offline is already said by the indicator above.
  const text = headline.tone === "offline" ? (headline.detail ?? "Changes sync when you're back online") : headline.text;
  const title = [headline.text, headline.detail, lastSyncedText(sync.status.last_synced_at)].filter(Boolean).join("\n");
  return (
    <div className={`sync-line tone-${headline.tone}`} title={title} aria-label={`Sync: ${headline.text}`}>
      <SyncIcon tone={headline.tone} />
      {headline.action === "sign_in" ? (
        <button type="button" className="link" onClick={onOpenSettings}>
          {text}
        </button>
      ) : (
        <span>{text}</span>
      )}
    </div>
  );
}

function SyncIcon({ tone }: { tone: string }) {
  return (
    <svg className="sync-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      {tone === "ok" ? (
        <path d="M3.5 8.5l3 3 6-7" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round"
          strokeLinejoin="round" />
      ) : tone === "attention" || tone === "error" ? (
        <path d="M8 2.5l6 11H2l6-11zM8 6.5v3.2M8 11.6v.1" fill="none" stroke="currentColor" strokeWidth="1.5"
          strokeLinecap="round" strokeLinejoin="round" />
      ) : (
        <path d="M13 8a5 5 0 0 1-8.7 3.4M3 8a5 5 0 0 1 8.7-3.4M11.7 1.8v2.8H8.9M4.3 14.2v-2.8h2.8" fill="none"
          stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round" />
      )}
    </svg>
  );
}
