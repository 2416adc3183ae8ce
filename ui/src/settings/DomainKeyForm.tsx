import { useState, type SyntheticEvent } from "react";
import { commands, type AppError, type Settings } from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";

/** The domain key ChatKit sends to verify where it runs. */
export function DomainKeyForm({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }) {
  const [domainKey, setDomainKey] = useState(settings.chatkit_domain_key);
  const [error, setError] = useState<AppError | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setError(null);
    setSaving(true);
    try {
      const next = await unwrap(commands.saveChatkitDomainKey(domainKey.trim()));
      setDomainKey(next.chatkit_domain_key);
      setSaved(true);
      onSaved(next);
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="stack" onSubmit={(e) => void submit(e)} aria-label="Chat">
      <label>
        ChatKit domain key
        <input value={domainKey} required spellCheck={false} autoComplete="off"
          onChange={(e) => { setSaved(false); setDomainKey(e.target.value); }} />
      </label>
      <p className="muted small">
        ChatKit checks this key against the domain it runs on: with the Local connection any placeholder
        works; for a hosted workflow, use the key from OpenAI's domain allowlist.
      </p>
      {error && <ErrorBanner error={error} onDismiss={() => { setError(null); }} />}
      <div className="row">
        <button type="submit" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        {saved && <span className="muted" role="status">Saved.</span>}
      </div>
    </form>
  );
}
