import type { BackendChat, BackendStatus, Connection, SecretStatus } from "../bindings";

export const DEFAULT_MODEL = "gpt-5-mini";
export const HOSTED_WORKFLOWS_END = "2026-11-30";

export type Kind = Connection["kind"];

/** What the connection form holds while it is being filled in. Secrets leave it on save. */
export interface Draft {
  kind: Kind;
  baseUrl: string;
  model: string;
  backendUrl: string;
  backendChat: BackendChat;
  workflowId: string;
  /** The OpenAI API key (Local, hosted workflow). */
  secret: string;
  email: string;
  password: string;
  /** A backend token pasted instead of signing in. */
  token: string;
  /** Pasting a token rather than signing in with email and password. */
  useToken: boolean;
  /** Signed in already, and signing in again (as someone else, or with a new token). */
  signInAgain: boolean;
}

export function draftFrom(connection: Connection | null): Draft {
  const draft: Draft = {
    kind: connection?.kind ?? "local",
    baseUrl: "",
    model: DEFAULT_MODEL,
    backendUrl: "",
    backendChat: "chatkit_endpoint",
    workflowId: "",
    secret: "",
    email: "",
    password: "",
    token: "",
    useToken: false,
    signInAgain: false,
  };
  if (connection?.kind === "local") {
    draft.baseUrl = connection.base_url ?? "";
    draft.model = connection.model;
  } else if (connection?.kind === "backend") {
    draft.backendUrl = connection.url;
    draft.backendChat = connection.chat ?? "chatkit_endpoint";
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
      return { kind: "backend", url: draft.backendUrl.trim(), chat: draft.backendChat };
    case "hosted_workflow":
      return { kind: "hosted_workflow", workflow_id: draft.workflowId.trim() };
  }
}

/** How the backend sign-in goes on save: with a password, a pasted token, or the one already stored. */
export type BackendCredentials =
  | { kind: "password"; email: string; password: string }
  | { kind: "token"; token: string }
  | { kind: "keep" };

/**
 * What saving the draft needs that is missing, as a sentence, or `null`. An OpenAI key is
 * required unless one is stored, or a custom server (e.g. Ollama) may not need one; a
 * backend needs a sign-in unless one is stored.
 */
export function missingInput(draft: Draft, keyStatus: SecretStatus | null, backend: BackendStatus | null): string | null {
  if (draft.kind === "backend") {
    // Half a sign-in is a slip, even when one is stored.
    if (!draft.useToken && (draft.email.trim() === "") !== (draft.password === "")) {
      return draft.email.trim() ? "Enter your password." : "Enter your email address.";
    }
    if (backendCredentials(draft).kind === "keep" && !backend?.signed_in) {
      return draft.useToken ? "Paste your backend token." : "Enter your email and password to sign in, or paste a token instead.";
    }
    return null;
  }
  if (draft.secret.trim() || keyStatus?.is_set) return null;
  if (draft.kind === "local" && draft.baseUrl.trim()) return null;
  return "Enter your OpenAI API key.";
}

export function backendCredentials(draft: Draft): BackendCredentials {
  if (draft.useToken) {
    const token = draft.token.trim();
    return token ? { kind: "token", token } : { kind: "keep" };
  }
  const email = draft.email.trim();
  return email && draft.password ? { kind: "password", email, password: draft.password } : { kind: "keep" };
}
