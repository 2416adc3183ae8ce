import { useState } from "react";
import { commands, type AppError, type ApiStyle } from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";
import { DEFAULT_MODEL, localBaseUrl, type Draft } from "./connectionDraft";
import { azureBaseUrl, PRESETS, preset, type PresetId } from "./modelPresets";

const API_STYLES: { value: ApiStyle; label: string }[] = [
  { value: "automatic", label: "Automatic (Responses, else Chat Completions)" },
  { value: "responses", label: "Responses API" },
  { value: "chat_completions", label: "Chat Completions" },
];

/**
 * The Local connection's server: a preset (OpenAI, Azure, Ollama, LM Studio, OpenRouter or
 * any other), its base URL or Azure's fields, the model, the API style, and Test
 * connection, which asks the server for its models and offers them as a picker.
 */
export function LocalServerFields({ draft, onChange }: { draft: Draft; onChange: (patch: Partial<Draft>) => void }) {
  const [models, setModels] = useState<string[] | null>(null);
  const [testError, setTestError] = useState<AppError | null>(null);
  const [testing, setTesting] = useState(false);
  const current = preset(draft.preset);

  const pick = (id: PresetId) => {
    setModels(null);
    setTestError(null);
    const next = preset(id);
    // OpenAI's default model means nothing to another server: pick one from its list instead.
    const openaiModels = id === "openai" || id === "azure";
    const model = !openaiModels && draft.model === DEFAULT_MODEL ? "" : openaiModels && !draft.model ? DEFAULT_MODEL : draft.model;
    onChange({ preset: id, baseUrl: id === "custom" ? draft.baseUrl : next.baseUrl, model });
  };

  const test = async () => {
    setTesting(true);
    setTestError(null);
    setModels(null);
    try {
      // Azure lists its models on the v1 API, whichever URL shape the deployment uses.
      const url = draft.preset === "azure" ? azureBaseUrl({ ...draft.azure, apiVersion: "" }) : localBaseUrl(draft);
      setModels(await unwrap(commands.testModelServer(url || null, draft.secret.trim() || null)));
    } catch (e) {
      setTestError(asAppError(e));
    } finally {
      setTesting(false);
    }
  };

  const azure = draft.preset === "azure";
  return (
    <>
      <label>
        Model server
        <select name="model-preset" value={draft.preset} onChange={(e) => { pick(e.target.value as PresetId); }}>
          {PRESETS.map((p) => (
            <option key={p.id} value={p.id}>{p.label}</option>
          ))}
        </select>
        <span className="muted small">{current.hint}</span>
      </label>

      {azure ? (
        <>
          <label>
            Azure OpenAI resource
            <input name="azure-resource" value={draft.azure.resource} placeholder="contoso, or https://contoso.openai.azure.com"
              onChange={(e) => { onChange({ azure: { ...draft.azure, resource: e.target.value } }); }} />
          </label>
          <label>
            Deployment
            <input name="azure-deployment" value={draft.azure.deployment} placeholder="gpt-4o-mini"
              onChange={(e) => { onChange({ azure: { ...draft.azure, deployment: e.target.value } }); }} />
          </label>
          <label>
            <span>
              API version <span className="muted">(empty for Azure's v1 API)</span>
            </span>
            <input name="azure-api-version" value={draft.azure.apiVersion} placeholder="2024-10-21"
              onChange={(e) => { onChange({ azure: { ...draft.azure, apiVersion: e.target.value } }); }} />
          </label>
          <p className="muted small" data-testid="azure-url">{localBaseUrl(draft) || "The base URL appears here."}</p>
        </>
      ) : (
        <label>
          <span>
            Base URL{" "}
            <span className="muted">{draft.preset === "openai" ? "(optional, for OpenAI-compatible servers)" : ""}</span>
          </span>
          <input type="url" value={draft.baseUrl} placeholder={current.baseUrl || "https://api.openai.com/v1"}
            onChange={(e) => { onChange({ baseUrl: e.target.value }); }} />
        </label>
      )}

      {!azure && (
        <label>
          Model
          <input name="model" value={draft.model} placeholder="Press Test connection to list the server's models"
            onChange={(e) => { onChange({ model: e.target.value }); }} />
        </label>
      )}

      <div className="row">
        <button type="button" className="test-connection" onClick={() => void test()} disabled={testing}>
          {testing ? "Testing…" : "Test connection"}
        </button>
        {models && (
          <span className="muted" role="status">
            Connected: the server offers {models.length} {models.length === 1 ? "model" : "models"}.
          </span>
        )}
      </div>
      {models && models.length > 0 && !azure && (
        <label>
          Models on the server
          <select name="server-models" value={models.includes(draft.model) ? draft.model : ""}
            onChange={(e) => { if (e.target.value) onChange({ model: e.target.value }); }}>
            <option value="">Pick a model…</option>
            {models.map((m) => (
              <option key={m} value={m}>{m}</option>
            ))}
          </select>
        </label>
      )}
      {testError && <ErrorBanner error={testError} onDismiss={() => { setTestError(null); }} />}

      <details className="advanced">
        <summary>API style</summary>
        <label>
          How the assistant talks to the server
          <select name="api-style" value={draft.apiStyle}
            onChange={(e) => { onChange({ apiStyle: e.target.value as ApiStyle }); }}>
            {API_STYLES.map((s) => (
              <option key={s.value} value={s.value}>{s.label}</option>
            ))}
          </select>
          <span className="muted small">
            Automatic tries the Responses API and, on a server without it, uses Chat Completions from then on.
          </span>
        </label>
      </details>
    </>
  );
}
