import { useEffect, useState } from "react";
import { commands, type AppError, type ClaudeConfigWritten, type McpSetup } from "../bindings";
import { ErrorBanner } from "../shared/ErrorBanner";
import { asAppError, unwrap } from "../shared/ipc";

type AppChoice = "claude_desktop" | "cursor" | "vscode";

const APPS: { id: AppChoice; label: string; where: string }[] = [
  { id: "claude_desktop", label: "Claude Desktop", where: "claude_desktop_config.json (Settings → Developer → Edit Config)" },
  { id: "cursor", label: "Cursor", where: "~/.cursor/mcp.json, or .cursor/mcp.json in a project" },
  { id: "vscode", label: "VS Code", where: ".vscode/mcp.json in a workspace (or MCP: Open User Configuration)" },
];

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Settings → "Use your tasks in other AI apps": the MCP server's config, to copy or add. */
export function OtherAppsForm() {
  const [setup, setSetup] = useState<McpSetup | null>(null);
  const [app, setApp] = useState<AppChoice>("claude_desktop");
  const [error, setError] = useState<AppError | null>(null);
  const [copied, setCopied] = useState<AppChoice | "failed" | null>(null);
  const [added, setAdded] = useState<ClaudeConfigWritten | null>(null);
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    unwrap(commands.mcpSetup()).then(setSetup, (e: unknown) => { setError(asAppError(e)); });
  }, []);

  const snippet = setup ? setup[app] : "";

  const copy = async () => {
    setCopied((await copyText(snippet)) ? app : "failed");
  };

  const addToClaude = async () => {
    setError(null);
    setAdded(null);
    setAdding(true);
    try {
      setAdded(await unwrap(commands.addToClaudeDesktop()));
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setAdding(false);
    }
  };

  const where = APPS.find((a) => a.id === app)?.where ?? "";
  return (
    <section className="other-apps" aria-labelledby="other-apps-title">
      <h2 id="other-apps-title">Use your tasks in other AI apps</h2>
      <p className="muted small">
        Claude Desktop, Cursor, VS Code and other MCP clients can list, add, complete and edit these tasks. They start
        this app's MCP server, which works on the same tasks, so changes show here at once.
      </p>
      <div className="segmented" role="tablist" aria-label="App">
        {APPS.map((a) => (
          <button key={a.id} type="button" role="tab" aria-selected={app === a.id} className={app === a.id ? "on" : ""}
            onClick={() => { setApp(a.id); setCopied(null); }}>
            {a.label}
          </button>
        ))}
      </div>
      <p className="small">Add this to {where}:</p>
      <pre className="config-snippet" aria-label={`Configuration for ${APPS.find((a) => a.id === app)?.label ?? app}`}>
        {setup ? snippet : "Loading…"}
      </pre>
      <div className="row">
        <button type="button" onClick={() => void copy()} disabled={!setup}>
          {copied === app ? "Copied" : "Copy"}
        </button>
        {app === "claude_desktop" && (
          <button type="button" className="primary" onClick={() => void addToClaude()} disabled={!setup || adding}>
            {adding ? "Adding…" : "Add to Claude Desktop"}
          </button>
        )}
      </div>
      {copied === "failed" && (
        <p className="small" role="status">Copying is not allowed here; select the text above and copy it.</p>
      )}
      {added && app === "claude_desktop" && (
        <p className="small" role="status">
          Added to {added.path}
          {added.kept_servers.length > 0 && `, keeping ${added.kept_servers.join(", ")}`}
          {added.backup && ` (the previous file is saved as ${added.backup})`}. Restart Claude Desktop to use it.
        </p>
      )}
      {error && <ErrorBanner error={error} onDismiss={() => { setError(null); }} />}
    </section>
  );
}
