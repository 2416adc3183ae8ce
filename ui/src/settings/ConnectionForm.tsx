import { useEffect, useState, type SyntheticEvent } from "react";
import {
  commands,
  type AppError,
  type BackendChat,
  type BackendStatus,
  type SecretStatus,
  type Settings,
} from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";
import { BackendSignIn } from "./BackendSignIn";
import {
  backendCredentials,
  connectionFrom,
  draftFrom,
  HOSTED_WORKFLOWS_END,
  keyNeeded,
  missingInput,
  type Draft,
  type Kind,
} from "./connectionDraft";
import { LocalServerFields } from "./LocalServerFields";
import { preset } from "./modelPresets";

/** The key field's name: OpenAI's, or the chosen server's, saying when it may stay empty. */
function keyLabel(draft: Draft): string {
  if (draft.kind !== "local" || draft.preset === "openai") return "OpenAI API key";
  const name = draft.preset === "custom" ? "API key" : `${preset(draft.preset).label} API key`;
  return keyNeeded(draft) ? name : `${name} (optional)`;
}

/** Which keychain status the form shows: the OpenAI key's, or the backend sign-in's. */
type Reading = "openai_api_key" | "backend";

function readingFor(kind: Kind): Reading {
  return kind === "backend" ? "backend" : "openai_api_key";
}

export function ConnectionForm({
  settings,
  submitLabel,
  onSaved,
  onPartlySaved,
}: {
  settings: Settings;
  submitLabel: string;
  /** Everything is saved (and signed in, for a backend). */
  onSaved: (settings: Settings) => void;
  /**
   * The connection was saved but the sign-in after it failed (the form shows why). Settings
   * follows the saved connection; onboarding stays until the sign-in works.
   */
  onPartlySaved?: ((settings: Settings) => void) | undefined;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftFrom(settings.connection));
  const [keyStatus, setKeyStatus] = useState<SecretStatus | null>(null);
  const [backendStatus, setBackendStatus] = useState<BackendStatus | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [unreachable, setUnreachable] = useState<Reading | null>(null);
  const [saving, setSaving] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const [saved, setSaved] = useState(false);
  const reading = readingFor(draft.kind);

  useEffect(() => {
    let cancelled = false;
    const failed = (e: unknown) => {
      if (cancelled) return;
      setUnreachable(reading);
      setError(asAppError(e));
    };
    if (reading === "backend") {
      unwrap(commands.backendStatus()).then((s) => {
        if (!cancelled) setBackendStatus(s);
      }, failed);
    } else {
      unwrap(commands.secretStatus(reading)).then((s) => {
        if (!cancelled) setKeyStatus(s);
      }, failed);
    }
    return () => {
      cancelled = true;
    };
  }, [reading]);

  const update = (patch: Partial<Draft>) => {
    setSaved(false);
    setDraft((d) => ({ ...d, ...patch }));
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setError(null);
    const missing = missingInput(draft, keyStatus, backendStatus);
    if (missing) {
      setError({ code: "invalid_input", message: missing });
      return;
    }
    setSaving(true);
    try {
      const next = draft.kind === "backend" ? await saveBackend() : await saveWithKey();
      setSaved(true);
      onSaved(next);
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setSaving(false);
    }
  };

  /** The key goes first: if the keychain is unavailable, nothing half-configured remains. */
  const saveWithKey = async (): Promise<Settings> => {
    if (draft.secret.trim()) {
      setKeyStatus(await unwrap(commands.saveSecret("openai_api_key", draft.secret)));
      setDraft((d) => ({ ...d, secret: "" }));
    }
    return unwrap(commands.saveConnection(connectionFrom(draft)));
  };

  /**
   * A pasted token goes to the keychain first, like a key. Signing in with a password asks
   * the backend at the saved URL, so the connection is saved before it.
   */
  const saveBackend = async (): Promise<Settings> => {
    const credentials = backendCredentials(draft);
    if (credentials.kind === "token") {
      await unwrap(commands.backendPasteToken(credentials.token));
      setDraft((d) => ({ ...d, token: "" }));
    }
    const next = await unwrap(commands.saveConnection(connectionFrom(draft)));
    if (credentials.kind === "password") {
      try {
        await unwrap(commands.backendSignIn(credentials.email, credentials.password));
      } catch (e) {
        setDraft((d) => ({ ...d, password: "" }));
        onPartlySaved?.(next);
        throw e;
      }
      setDraft((d) => ({ ...d, password: "" }));
    }
    if (credentials.kind !== "keep") {
      // What the keychain now holds, as the core reads it.
      setBackendStatus(await unwrap(commands.backendStatus()));
      setDraft((d) => ({ ...d, signInAgain: false, email: "", token: "" }));
    }
    return next;
  };

  const removeKey = async () => {
    setError(null);
    try {
      setKeyStatus(await unwrap(commands.clearSecret("openai_api_key")));
    } catch (e) {
      setError(asAppError(e));
    }
  };

  const signOut = async () => {
    setError(null);
    setSigningOut(true);
    try {
      await unwrap(commands.backendSignOut());
      setBackendStatus(await unwrap(commands.backendStatus()));
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setSigningOut(false);
    }
  };

  return (
    <form className="stack" onSubmit={(e) => void submit(e)} aria-label="Connection">
      <fieldset className="choices">
        <legend>How should the assistant connect?</legend>
        <Choice name="connection-kind" value="local" current={draft.kind} onPick={(kind) => { update({ kind }); }}
          title="Local (recommended)"
          detail="This app runs the assistant with your OpenAI key, or any OpenAI-compatible server." />
        <Choice name="connection-kind" value="backend" current={draft.kind} onPick={(kind) => { update({ kind }); }}
          title="Team backend"
          detail="Your team's Todo backend: sign in, and your tasks sync across your devices." />
        {/* OpenAI ended hosted workflows; kept for whoever still has one it serves, not offered as an equal. */}
        <details className="legacy-options" open={draft.kind === "hosted_workflow"}>
          <summary>Legacy options</summary>
          <Choice name="connection-kind" value="hosted_workflow" current={draft.kind}
            onPick={(kind) => { update({ kind }); }}
            title="Hosted workflow (legacy)"
            detail={`An Agent Builder workflow hosted by OpenAI. OpenAI ended these on ${HOSTED_WORKFLOWS_END}.`} />
        </details>
      </fieldset>

      {draft.kind === "hosted_workflow" && (
        <div className="banner banner-warning" role="note">
          <p>
            OpenAI ended hosted ChatKit workflows on {HOSTED_WORKFLOWS_END}; this works only while OpenAI still
            serves your workflow. The Local connection runs the same assistant with your key.
          </p>
          <button type="button" onClick={() => { update({ kind: "local" }); }}>
            Switch to Local
          </button>
        </div>
      )}

      {draft.kind === "local" && <LocalServerFields draft={draft} onChange={update} />}
      {draft.kind === "backend" && (
        <>
          <label>
            Backend URL
            <input type="url" name="backend-url" value={draft.backendUrl} required placeholder="https://todo.example.com"
              onChange={(e) => { update({ backendUrl: e.target.value }); }} />
          </label>
          <fieldset className="choices compact">
            <legend>Chat</legend>
            <Choice name="backend-chat" value="chatkit_endpoint" current={draft.backendChat}
              onPick={(backendChat) => { update({ backendChat }); }}
              title="The backend serves chat"
              detail="The backend runs the assistant; this app passes your chat to it, signed in as you." />
            <Choice name="backend-chat" value="session_endpoint" current={draft.backendChat}
              onPick={(backendChat) => { update({ backendChat }); }}
              title="The backend starts OpenAI chat sessions"
              detail="The chat runs at OpenAI; the backend hands this app a short-lived session for it." />
          </fieldset>
          <BackendSignIn draft={draft} status={backendStatus} unreachable={unreachable === "backend"}
            onChange={update} onSignOut={() => void signOut()} signingOut={signingOut} />
        </>
      )}
      {draft.kind === "hosted_workflow" && (
        <label>
          Workflow ID
          <input value={draft.workflowId} required placeholder="wf_…"
            onChange={(e) => { update({ workflowId: e.target.value }); }} />
        </label>
      )}

      {draft.kind !== "backend" && (
        <>
          <label>
            {keyLabel(draft)}
            <input type="password" autoComplete="off" spellCheck={false} value={draft.secret}
              disabled={keyStatus?.from_environment === true}
              placeholder={keyStatus?.from_environment
                ? "Set by OPENAI_API_KEY"
                : keyStatus?.is_set ? "Leave empty to keep the saved one" : "Stored in your system keychain"}
              onChange={(e) => { update({ secret: e.target.value }); }} />
          </label>
          <p className="muted small" data-testid="secret-status">
            {keyStatus === null
              ? unreachable === "openai_api_key"
                ? "The system keychain can't be reached; see the message below."
                : "Checking the keychain…"
              : keyStatus.from_environment
                ? `Using the key from your environment (OPENAI_API_KEY), ending in ••••${keyStatus.last_four ?? ""}. It is never written anywhere.`
                : keyStatus.is_set
                  ? `Saved in the system keychain, ending in ••••${keyStatus.last_four ?? ""}.`
                  : draft.kind === "local" && !keyNeeded(draft)
                    ? "This server needs no key; add one only if it asks for it (kept in your system keychain)."
                    : "No key saved yet. It will be kept in your system keychain, never in a file."}
            {keyStatus?.is_set && !keyStatus.from_environment && (
              <>
                {" "}
                <button type="button" className="link" onClick={() => void removeKey()}>
                  Remove
                </button>
              </>
            )}
          </p>
        </>
      )}

      {error && <ErrorBanner error={error} onDismiss={() => { setError(null); }} />}
      <div className="row">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? (draft.kind === "backend" && backendCredentials(draft).kind !== "keep" ? "Signing in…" : "Saving…") : submitLabel}
        </button>
        {saved && <span className="muted" role="status">Saved.</span>}
      </div>
    </form>
  );
}

function Choice<T extends Kind | BackendChat>({ name, value, current, onPick, title, detail }: {
  name: string;
  value: T;
  current: T;
  onPick: (value: T) => void;
  title: string;
  detail: string;
}) {
  return (
    <label className={`choice ${value === current ? "selected" : ""}`}>
      <input type="radio" name={name} value={value} checked={value === current}
        onChange={() => { onPick(value); }} />
      <span>
        <strong>{title}</strong>
        <span className="muted small">{detail}</span>
      </span>
    </label>
  );
}
