import type { BackendStatus } from "../bindings";
import type { Draft } from "./connectionDraft";
import { lazyFormat } from "../shared/lazyFormat";

const expiryFormat = lazyFormat(
  () => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }),
);

/** "Signed in as …": who, and until when. Never the token itself. */
export function signedInText(status: BackendStatus): string {
  if (!status.signed_in) return "Not signed in.";
  const who = status.user_id ? `Signed in as ${status.user_id}` : "Signed in with a token";
  if (status.expires_at === null) return `${who}.`;
  const until = new Date(status.expires_at * 1000);
  const expired = until.getTime() <= Date.now();
  return `${who}. ${expired ? "The sign-in ended" : "Valid until"} ${expiryFormat().format(until)}.`;
}

/**
 * The backend part of the connection form: who is signed in, Sign out, and the email and
 * password (or a pasted token) that saving the form signs in with.
 */
export function BackendSignIn({
  draft,
  status,
  unreachable,
  onChange,
  onSignOut,
  signingOut,
}: {
  draft: Draft;
  /** `null` while it is being read. */
  status: BackendStatus | null;
  /** The keychain could not be read; the form's banner says why. */
  unreachable: boolean;
  onChange: (patch: Partial<Draft>) => void;
  onSignOut: () => void;
  signingOut: boolean;
}) {
  const signedIn = status?.signed_in === true;
  return (
    <fieldset className="sign-in">
      <legend>Sign in to the backend</legend>
      <p className="muted small sign-in-status" data-testid="backend-status">
        {status === null ? (
          unreachable ? "The system keychain can't be reached; see the message below." : "Checking the keychain…"
        ) : signedIn ? (
          <>
            <span className="signed-in">{signedInText(status)}</span>{" "}
            <button type="button" className="link" disabled={signingOut} onClick={onSignOut}>
              {signingOut ? "Signing out…" : "Sign out"}
            </button>
          </>
        ) : (
          "Not signed in yet. Your sign-in is kept in your system keychain, never in a file."
        )}
      </p>
      {signedIn && !draft.signInAgain ? (
        <button type="button" className="link align-start" onClick={() => { onChange({ signInAgain: true }); }}>
          Sign in again or as someone else
        </button>
      ) : draft.useToken ? (
        <>
          <label>
            Backend token
            <input type="password" name="backend-token" autoComplete="off" spellCheck={false} value={draft.token}
              placeholder="Paste the token your backend gave you"
              onChange={(e) => { onChange({ token: e.target.value }); }} />
          </label>
          <button type="button" className="link align-start" onClick={() => { onChange({ useToken: false, token: "" }); }}>
            Sign in with email and password instead
          </button>
        </>
      ) : (
        <>
          <div className="field-pair">
            <label>
              Email
              <input type="email" name="email" autoComplete="username" spellCheck={false} value={draft.email}
                placeholder="you@example.com"
                onChange={(e) => { onChange({ email: e.target.value }); }} />
            </label>
            <label>
              Password
              <input type="password" name="password" autoComplete="current-password" value={draft.password}
                onChange={(e) => { onChange({ password: e.target.value }); }} />
            </label>
          </div>
          <button type="button" className="link align-start"
            onClick={() => { onChange({ useToken: true, email: "", password: "" }); }}>
            Paste a token instead
          </button>
        </>
      )}
    </fieldset>
  );
}
