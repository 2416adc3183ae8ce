/**
 * The model servers the Local connection offers by name: each fills in the base URL (and
 * says whether it needs a key); Azure's is composed from its resource, deployment and
 * api-version the way the openai package's AzureOpenAI client composes it.
 */
export type PresetId = "openai" | "azure" | "ollama" | "lmstudio" | "openrouter" | "custom";

export interface Preset {
  id: PresetId;
  label: string;
  /** What the base URL field is set to when the preset is picked ("" = OpenAI's default). */
  baseUrl: string;
  /** Whether the server wants an API key. */
  needsKey: boolean;
  /** One line under the picker: where the key or the server comes from. */
  hint: string;
}

const OPENAI: Preset = { id: "openai", label: "OpenAI", baseUrl: "", needsKey: true, hint: "Your key from platform.openai.com." };

export const PRESETS: readonly Preset[] = [
  OPENAI,
  {
    id: "azure", label: "Azure OpenAI", baseUrl: "", needsKey: true,
    hint: "Your Azure OpenAI resource, a model deployment and its key (sent as the api-key header).",
  },
  {
    id: "ollama", label: "Ollama", baseUrl: "http://localhost:11434/v1", needsKey: false,
    hint: "Runs models on this computer; no key. Pull a model that can call tools first (ollama pull llama3.1).",
  },
  {
    id: "lmstudio", label: "LM Studio", baseUrl: "http://localhost:1234/v1", needsKey: false,
    hint: "Start the local server in LM Studio (Developer tab); no key.",
  },
  { id: "openrouter", label: "OpenRouter", baseUrl: "https://openrouter.ai/api/v1", needsKey: true, hint: "Your key from openrouter.ai." },
  { id: "custom", label: "Other OpenAI-compatible server", baseUrl: "", needsKey: false, hint: "Any server that speaks the OpenAI API (llama.cpp, vLLM, a company gateway)." },
];

export function preset(id: PresetId): Preset {
  return PRESETS.find((p) => p.id === id) ?? OPENAI;
}

/** Which preset a saved base URL belongs to. */
export function presetFor(baseUrl: string | null): PresetId {
  const url = (baseUrl ?? "").trim().replace(/\/+$/, "");
  if (!url || url === "https://api.openai.com/v1") return "openai";
  if (parseAzure(url)) return "azure";
  const match = PRESETS.find((p) => p.baseUrl && sameServer(p.baseUrl, url));
  return match?.id ?? "custom";
}

function sameServer(a: string, b: string): boolean {
  const norm = (u: string) => u.replace("://127.0.0.1", "://localhost").replace(/\/+$/, "");
  return norm(a) === norm(b);
}

/** Whether a URL names this computer (a server there needs no key). */
export function isLoopbackUrl(raw: string): boolean {
  try {
    const host = new URL(raw.trim()).hostname.toLowerCase();
    return host === "localhost" || host.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]";
  } catch {
    return false;
  }
}

export interface AzureFields {
  /** The resource name (`contoso`) or its endpoint URL. */
  resource: string;
  deployment: string;
  /** Empty for Azure's v1 API, which needs none. */
  apiVersion: string;
}

/** The resource's host: a bare name becomes `{name}.openai.azure.com`. */
function azureHost(resource: string): string | null {
  const raw = resource.trim().replace(/\/+$/, "");
  if (!raw) return null;
  if (/^https?:\/\//i.test(raw)) {
    try {
      return new URL(raw).host;
    } catch {
      return null;
    }
  }
  return /^[a-z0-9-]+$/i.test(raw) ? `${raw}.openai.azure.com` : raw;
}

/**
 * The base URL for an Azure deployment: the v1 API (`/openai/v1`, the deployment is the
 * model) without an api-version, else the deployment's URL with `?api-version=`.
 */
export function azureBaseUrl(fields: AzureFields): string {
  const host = azureHost(fields.resource);
  if (!host) return "";
  const version = fields.apiVersion.trim();
  const deployment = fields.deployment.trim();
  if (!version) return `https://${host}/openai/v1`;
  return `https://${host}/openai/deployments/${encodeURIComponent(deployment)}?api-version=${encodeURIComponent(version)}`;
}

/** The Azure fields a saved base URL was made from, or `null` when it is not Azure's. */
export function parseAzure(baseUrl: string): AzureFields | null {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return null;
  }
  if (!/\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/i.test(url.hostname)) return null;
  const resource = url.hostname.endsWith(".openai.azure.com") ? url.hostname.replace(/\.openai\.azure\.com$/i, "") : `https://${url.host}`;
  const deployment = /\/openai\/deployments\/([^/]+)/.exec(url.pathname)?.[1];
  return {
    resource,
    deployment: deployment ? decodeURIComponent(deployment) : "",
    apiVersion: url.searchParams.get("api-version") ?? "",
  };
}
