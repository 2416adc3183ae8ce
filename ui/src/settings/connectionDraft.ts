import type { ApiStyle, BackendChat, BackendStatus, Connection, SecretStatus } from "../bindings";
import { azureBaseUrl, isLoopbackUrl, parseAzure, preset, presetFor, type AzureFields, type PresetId } from "./modelPresets";

export const DEFAULT_MODEL = "gpt-5-mini";
export const HOSTED_WORKFLOWS_END = "2026-11-30";

export type Kind = Connection["kind"];

/** What the connection form holds while it is being filled in. Secrets leave it on save. */
export interface Draft {
  kind: Kind;
  /** The Local connection's server, by name (its base URL follows it). */
  preset: PresetId;
  baseUrl: string;
  model: string;
  /** Azure OpenAI's resource, deployment and api-version (they make its base URL). */
  azure: AzureFields;
  apiStyle: ApiStyle;
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
    preset: "openai",
    baseUrl: "",
    model: DEFAULT_MODEL,
    azure: { resource: "", deployment: "", apiVersion: "" },
    apiStyle: "automatic",
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
    draft.preset = presetFor(connection.base_url);
    draft.apiStyle = connection.api_style ?? "automatic";
    const azure = connection.base_url ? parseAzure(connection.base_url) : null;
    // On Azure's v1 API the deployment is named as the model.
    if (azure) draft.azure = { ...azure, deployment: azure.deployment || connection.model };
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
      if (draft.preset === "azure") {
        return { kind: "local", base_url: azureBaseUrl(draft.azure), model: draft.azure.deployment.trim(), api_style: draft.apiStyle };
      }
      return { kind: "local", base_url: draft.baseUrl.trim() || null, model: draft.model.trim(), api_style: draft.apiStyle };
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

/** The base URL the Local draft would save (Azure's composed from its fields). */
export function localBaseUrl(draft: Draft): string {
  return draft.preset === "azure" ? azureBaseUrl(draft.azure) : draft.baseUrl.trim();
}

/**
 * Whether the Local draft's server wants a key: OpenAI, Azure and OpenRouter do; a server
 * on this computer (Ollama, LM Studio) never does; another server may not.
 */
export function keyNeeded(draft: Draft): boolean {
  const url = localBaseUrl(draft);
  if (url && isLoopbackUrl(url)) return false;
  if (draft.preset === "custom") return !url;
  return preset(draft.preset).needsKey;
}

/**
 * What saving the draft needs that is missing, as a sentence, or `null`. A key is required
 * unless one is stored or the server needs none (one on this computer); a backend needs a
 * sign-in unless one is stored.
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
  if (draft.kind === "local" && draft.preset === "azure" && (!draft.azure.resource.trim() || !draft.azure.deployment.trim())) {
    return "Enter your Azure OpenAI resource and the name of its model deployment.";
  }
  if (draft.kind === "local" && ["ollama", "lmstudio", "openrouter", "custom"].includes(draft.preset) && !draft.baseUrl.trim()) {
    return "Enter the server's base URL.";
  }
  const modelMissing = draft.kind === "local" && draft.preset !== "azure" && !draft.model.trim()
    ? "Enter a model name, or press Test connection and pick one of the server's models."
    : null;
  if (draft.secret.trim() || keyStatus?.is_set) return modelMissing;
  if (draft.kind === "local" && !keyNeeded(draft)) return modelMissing;
  return draft.kind === "local" && draft.preset !== "openai" ? `Enter your ${preset(draft.preset).label} API key.` : "Enter your OpenAI API key.";
}

export function backendCredentials(draft: Draft): BackendCredentials {
  if (draft.useToken) {
    const token = draft.token.trim();
    return token ? { kind: "token", token } : { kind: "keep" };
  }
  const email = draft.email.trim();
  return email && draft.password ? { kind: "password", email, password: draft.password } : { kind: "keep" };
}
