import { useEffect, useState, type SyntheticEvent } from "react";
import { commands, type AppError, type Connection, type SecretSlot, type SecretStatus, type Settings } from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";

export const DEFAULT_MODEL = "gpt-5-mini";
export const HOSTED_WORKFLOWS_END = "2026-11-30";

type Kind = Connection["kind"];

/** Which keychain slot each connection needs, if any. */
export function secretSlotFor(kind: Kind): SecretSlot {
  return kind === "backend" ? "backend_token" : "openai_api_key";
}

interface Draft {
  kind: Kind;
  baseUrl: string;
  model: string;
  backendUrl: string;
  workflowId: string;
  secret: string;
}

function draftFrom(connection: Connection | null): Draft {
  const draft: Draft = {
    kind: connection?.kind ?? "local",
    baseUrl: "",
    model: DEFAULT_MODEL,
    backendUrl: "",
    workflowId: "",
    secret: "",
  };
  if (connection?.kind === "local") {
    draft.baseUrl = connection.base_url ?? "";
    draft.model = connection.model;
  } else if (connection?.kind === "backend") {
    draft.backendUrl = connection.url;
  } else if (connection?.kind === "hosted_workflow") {
    draft.workflowId = connection.workflow_id;
  }
  return draft;
}

export function connectionFrom(draft: Draft): Connection {
  switch (draft.kind) {
    case "local":
      return { kind: "local", base_url: draft.baseUrl.trim() || null, model: draft.model.trim() };
    case "backend":
      return { kind: "backend", url: draft.backendUrl.trim() };
    case "hosted_workflow":
      return { kind: "hosted_workflow", workflow_id: draft.workflowId.trim() };
  }
}

/** A key is required unless one is stored, or a custom server (e.g. Ollama) may not need one. */
function missingSecret(draft: Draft, status: SecretStatus | null): string | null {
  if (draft.secret.trim() || status?.is_set) return null;
  if (draft.kind === "local" && draft.baseUrl.trim()) return null;
  return draft.kind === "backend" ? "Paste your backend token." : "Enter your OpenAI API key.";
}

export function ConnectionForm({
  settings,
  submitLabel,
  onSaved,
}: {
  settings: Settings;
  submitLabel: string;
  onSaved: (settings: Settings) => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftFrom(settings.connection));
  const [fetchedStatus, setStatus] = useState<SecretStatus | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [unreachableSlot, setUnreachableSlot] = useState<SecretSlot | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const slot = secretSlotFor(draft.kind);
  // A status fetched for another slot is stale until the new one arrives.
  const status = fetchedStatus?.slot === slot ? fetchedStatus : null;

  useEffect(() => {
    let cancelled = false;
    unwrap(commands.secretStatus(slot)).then(
      (s) => {
        if (!cancelled) setStatus(s);
      },
      (e: unknown) => {
        if (cancelled) return;
        setUnreachableSlot(slot);
        setError(asAppError(e));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [slot]);

  const update = (patch: Partial<Draft>) => {
    setSaved(false);
    setDraft((d) => ({ ...d, ...patch }));
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setError(null);
    const missing = missingSecret(draft, status);
    if (missing) {
      setError({ code: "invalid_input", message: missing });
      return;
    }
    setSaving(true);
    try {
      // The secret goes first: if the keychain is unavailable, nothing half-configured remains.
      if (draft.secret.trim()) {
        setStatus(await unwrap(commands.saveSecret(slot, draft.secret)));
        setDraft((d) => ({ ...d, secret: "" }));
      }
      const next = await unwrap(commands.saveConnection(connectionFrom(draft)));
      setSaved(true);
      onSaved(next);
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setSaving(false);
    }
  };

  const removeSecret = async () => {
    setError(null);
    try {
      setStatus(await unwrap(commands.clearSecret(slot)));
    } catch (e) {
      setError(asAppError(e));
    }
  };

  const secretLabel = draft.kind === "backend" ? "Backend token" : "OpenAI API key";

  return (
    <form className="stack" onSubmit={(e) => void submit(e)} aria-label="Connection">
      <fieldset className="choices">
        <legend>How should the assistant connect?</legend>
        <Choice kind="local" current={draft.kind} onPick={(kind) => { update({ kind }); }}
          title="Local (recommended)"
          detail="This app runs the assistant with your OpenAI key, or any OpenAI-compatible server." />
        <Choice kind="backend" current={draft.kind} onPick={(kind) => { update({ kind }); }}
          title="Team backend"
          detail="Your team's Todo backend. Paste a token now; email sign-in is coming." />
        <Choice kind="hosted_workflow" current={draft.kind} onPick={(kind) => { update({ kind }); }}
          title="Hosted workflow (legacy)"
          detail={`An Agent Builder workflow hosted by OpenAI, until ${HOSTED_WORKFLOWS_END}.`} />
      </fieldset>

      {draft.kind === "hosted_workflow" && (
        <div className="banner banner-warning" role="note">
          <p>
            OpenAI ends hosted ChatKit workflows on {HOSTED_WORKFLOWS_END}. After that, chat only works
            through the Local connection.
          </p>
          <button type="button" onClick={() => { update({ kind: "local" }); }}>
            Switch to Local
          </button>
        </div>
      )}

      {draft.kind === "local" && (
        <>
          <label>
            <span>
              Base URL <span className="muted">(optional, for OpenAI-compatible servers)</span>
            </span>
            <input type="url" value={draft.baseUrl} placeholder="https://api.openai.com/v1"
              onChange={(e) => { update({ baseUrl: e.target.value }); }} />
          </label>
          <label>
            Model
            <input value={draft.model} required onChange={(e) => { update({ model: e.target.value }); }} />
          </label>
        </>
      )}
      {draft.kind === "backend" && (
        <label>
          Backend URL
          <input type="url" value={draft.backendUrl} required placeholder="https://todo.example.com"
            onChange={(e) => { update({ backendUrl: e.target.value }); }} />
        </label>
      )}
      {draft.kind === "hosted_workflow" && (
        <label>
          Workflow ID
          <input value={draft.workflowId} required placeholder="wf_…"
            onChange={(e) => { update({ workflowId: e.target.value }); }} />
        </label>
      )}

      <label>
        {secretLabel}
        <input type="password" autoComplete="off" spellCheck={false} value={draft.secret}
          placeholder={status?.is_set ? "Leave empty to keep the saved one" : "Stored in your system keychain"}
          onChange={(e) => { update({ secret: e.target.value }); }} />
      </label>
      <p className="muted small" data-testid="secret-status">
        {status === null
          ? unreachableSlot === slot
            ? "The system keychain can't be reached; see the message below."
            : "Checking the keychain…"
          : status.is_set
            ? `Saved in the system keychain, ending in ••••${status.last_four ?? ""}.`
            : "No key saved yet. It will be kept in your system keychain, never in a file."}
        {status?.is_set && (
          <>
            {" "}
            <button type="button" className="link" onClick={() => void removeSecret()}>
              Remove
            </button>
          </>
        )}
      </p>

      {error && <ErrorBanner error={error} onDismiss={() => { setError(null); }} />}
      <div className="row">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : submitLabel}
        </button>
        {saved && <span className="muted" role="status">Saved.</span>}
      </div>
    </form>
  );
}

function Choice({ kind, current, onPick, title, detail }: {
  kind: Kind;
  current: Kind;
  onPick: (kind: Kind) => void;
  title: string;
  detail: string;
}) {
  return (
    <label className={`choice ${kind === current ? "selected" : ""}`}>
      <input type="radio" name="connection-kind" value={kind} checked={kind === current}
        onChange={() => { onPick(kind); }} />
      <span>
        <strong>{title}</strong>
        <span className="muted small">{detail}</span>
      </span>
    </label>
  );
}
