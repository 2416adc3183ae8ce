import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Settings } from "../bindings";
import { ConnectionForm } from "./ConnectionForm";

const FRESH: Settings = { connection: null, chatkit_domain_key: "domain_pk_localhost_dev", last_thread_id: null, updates: "automatic" };
const NO_KEY = { slot: "openai_api_key", is_set: false, last_four: null, from_environment: false };

type Call = { cmd: string; args: Record<string, unknown> };

/** Fakes the core at the IPC boundary and records what the UI asked of it. */
function fakeCore(handlers: Record<string, (args: Record<string, unknown>) => unknown>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    const payload = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: payload });
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unexpected command ${cmd}`);
    return handler(payload);
  });
  return calls;
}

const saved = (calls: Call[]) => calls.find((c) => c.cmd === "save_connection")?.args;

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("Local connection presets", () => {
  it("Ollama: its URL, no key needed, Test connection lists the models and one is picked", async () => {
    const calls = fakeCore({
      secret_status: () => NO_KEY,
      test_model_server: () => ["llama3.1:8b", "qwen2.5:7b"],
      save_connection: (args) => ({ ...FRESH, connection: args.connection }),
    });
    const onSaved = vi.fn();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} />);
    await userEvent.selectOptions(screen.getByLabelText(/Model server/), "ollama");
    expect(screen.getByLabelText<HTMLInputElement>(/Base URL/).value).toBe("http://localhost:11434/v1");
    expect(screen.getByLabelText(/Ollama API key \(optional\)/)).toBeTruthy();
    // OpenAI's default model is not Ollama's: it asks for one rather than saving a name the server lacks.
    expect(screen.getByLabelText<HTMLInputElement>("Model").value).toBe("");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect((await screen.findByRole("alert")).textContent).toContain("press Test connection and pick one");

    await userEvent.click(screen.getByRole("button", { name: "Test connection" }));
    expect((await screen.findByText(/the server offers 2 models/)).textContent).toContain("Connected");
    expect(calls.find((c) => c.cmd === "test_model_server")?.args).toEqual({ baseUrl: "http://localhost:11434/v1", apiKey: null });
    await userEvent.selectOptions(screen.getByLabelText("Models on the server"), "qwen2.5:7b");
    expect(screen.getByLabelText<HTMLInputElement>("Model").value).toBe("qwen2.5:7b");

    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => { expect(onSaved).toHaveBeenCalledOnce(); });
    expect(saved(calls)).toEqual({
      connection: { kind: "local", base_url: "http://localhost:11434/v1", model: "qwen2.5:7b", api_style: "automatic" },
    });
    expect(calls.map((c) => c.cmd)).not.toContain("save_secret");
  });

  it("Test connection shows the core's coded failure, with the typed key, and saves nothing", async () => {
    const calls = fakeCore({
      secret_status: () => NO_KEY,
      test_model_server: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw { code: "model_server_not_running", message: "Nothing is answering at http://localhost:1234/v1. Start your model server." };
      },
    });
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={vi.fn()} />);
    await userEvent.selectOptions(screen.getByLabelText(/Model server/), "lmstudio");
    await userEvent.type(screen.getByLabelText(/LM Studio API key/), "lm-key");
    await userEvent.click(screen.getByRole("button", { name: "Test connection" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Nothing is answering at http://localhost:1234/v1");
    expect(alert.textContent).toContain("model_server_not_running");
    expect(calls.find((c) => c.cmd === "test_model_server")?.args).toEqual({ baseUrl: "http://localhost:1234/v1", apiKey: "lm-key" });
    expect(screen.queryByLabelText("Models on the server")).toBeNull();
    expect(calls.map((c) => c.cmd)).not.toContain("save_connection");
  });

  it("Azure: needs the resource, the deployment and a key; saves the deployment URL with its api-version", async () => {
    const calls = fakeCore({
      secret_status: () => NO_KEY,
      save_secret: () => ({ ...NO_KEY, is_set: true, last_four: "zure" }),
      test_model_server: () => ["gpt-4o-mini", "o4-mini"],
      save_connection: (args) => ({ ...FRESH, connection: args.connection }),
    });
    const onSaved = vi.fn();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} />);
    await userEvent.selectOptions(screen.getByLabelText(/Model server/), "azure");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Azure OpenAI resource and the name of its model deployment");

    await userEvent.type(screen.getByLabelText("Azure OpenAI resource"), "contoso");
    await userEvent.type(screen.getByLabelText("Deployment"), "gpt-4o-mini");
    expect(screen.getByTestId("azure-url").textContent).toBe("https://contoso.openai.azure.com/openai/v1");
    await userEvent.type(screen.getByLabelText(/API version/), "2024-10-21");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Enter your Azure OpenAI API key.");

    await userEvent.type(screen.getByLabelText("Azure OpenAI API key"), "az-secret-zure");
    // The key and resource are checked on Azure's v1 API, which lists models whatever the URL shape.
    await userEvent.click(screen.getByRole("button", { name: "Test connection" }));
    await screen.findByText(/the server offers 2 models/);
    expect(calls.find((c) => c.cmd === "test_model_server")?.args).toEqual({
      baseUrl: "https://contoso.openai.azure.com/openai/v1",
      apiKey: "az-secret-zure",
    });
    await userEvent.click(screen.getByText("API style"));
    await userEvent.selectOptions(screen.getByLabelText(/How the assistant talks/), "chat_completions");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => { expect(onSaved).toHaveBeenCalledOnce(); });
    expect(calls.map((c) => c.cmd).filter((c) => c !== "secret_status")).toEqual(["test_model_server", "save_secret", "save_connection"]);
    expect(saved(calls)).toEqual({
      connection: {
        kind: "local",
        base_url: "https://contoso.openai.azure.com/openai/deployments/gpt-4o-mini?api-version=2024-10-21",
        model: "gpt-4o-mini",
        api_style: "chat_completions",
      },
    });
  });

  it("OpenRouter asks for its key; a saved connection reopens on its preset and API style", async () => {
    fakeCore({ secret_status: () => NO_KEY });
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={vi.fn()} />);
    await userEvent.selectOptions(screen.getByLabelText(/Model server/), "openrouter");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Enter your OpenRouter API key.");
    cleanup();

    const lmStudio: Settings = {
      ...FRESH,
      connection: { kind: "local", base_url: "http://localhost:1234/v1", model: "qwen2.5-7b-instruct", api_style: "chat_completions" },
    };
    render(<ConnectionForm settings={lmStudio} submitLabel="Save" onSaved={vi.fn()} />);
    expect(screen.getByLabelText<HTMLSelectElement>(/Model server/).value).toBe("lmstudio");
    expect(screen.getByLabelText<HTMLSelectElement>(/How the assistant talks/).value).toBe("chat_completions");
    expect(screen.getByLabelText<HTMLInputElement>("Model").value).toBe("qwen2.5-7b-instruct");
  });
});
