import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BackendStatus, Settings } from "../bindings";
import { ConnectionForm } from "./ConnectionForm";

const FRESH: Settings = { connection: null, chatkit_domain_key: "domain_pk_localhost_dev", last_thread_id: null, updates: "automatic" };

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

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("ConnectionForm", () => {
  it("stores the key in the keychain first, then saves the local connection", async () => {
    const calls = fakeCore({
      secret_status: () => ({ slot: "openai_api_key", is_set: false, last_four: null, from_environment: false }),
      save_secret: () => ({ slot: "openai_api_key", is_set: true, last_four: "WXYZ", from_environment: false }),
      save_connection: (args) => ({ ...FRESH, connection: args.connection }),
    });
    const onSaved = vi.fn();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} />);
    await userEvent.type(screen.getByLabelText(/OpenAI API key/), "sk-test-abcdWXYZ");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));

    await waitFor(() => { expect(onSaved).toHaveBeenCalledOnce(); });
    const sequence = calls.map((c) => c.cmd).filter((c) => c !== "secret_status");
    expect(sequence).toEqual(["save_secret", "save_connection"]);
    expect(calls.find((c) => c.cmd === "save_secret")?.args).toEqual({
      slot: "openai_api_key",
      value: "sk-test-abcdWXYZ",
    });
    expect(calls.find((c) => c.cmd === "save_connection")?.args).toEqual({
      connection: { kind: "local", base_url: null, model: "gpt-5-mini", api_style: "automatic" },
    });
    expect(screen.getByTestId("secret-status").textContent).toContain("••••WXYZ");
    expect(document.body.textContent).not.toContain("sk-test-abcdWXYZ");
  });

  it("shows the keychain's coded error and saves nothing else", async () => {
    const calls = fakeCore({
      secret_status: () => ({ slot: "openai_api_key", is_set: false, last_four: null, from_environment: false }),
      save_secret: () => {
        // A rejected invoke carries the core's {code, message}.
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw { code: "keychain_unavailable", message: "The system keychain is not available." };
      },
      save_connection: () => FRESH,
    });
    const onSaved = vi.fn();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} />);
    await userEvent.type(screen.getByLabelText(/OpenAI API key/), "sk-live-1234");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The system keychain is not available.");
    expect(alert.textContent).toContain("keychain_unavailable");
    expect(calls.some((c) => c.cmd === "save_connection")).toBe(false);
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("requires a key for OpenAI but not for a custom server", async () => {
    const calls = fakeCore({
      secret_status: () => ({ slot: "openai_api_key", is_set: false, last_four: null, from_environment: false }),
      save_connection: (args) => ({ ...FRESH, connection: args.connection }),
    });
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={vi.fn()} />);
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Enter your OpenAI API key.");

    await userEvent.type(screen.getByLabelText(/Base URL/), "http://127.0.0.1:11434/v1");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => {
      expect(calls.find((c) => c.cmd === "save_connection")?.args).toEqual({
        connection: { kind: "local", base_url: "http://127.0.0.1:11434/v1", model: "gpt-5-mini", api_style: "automatic" },
      });
    });
  });

  it("keeps hosted workflows under Legacy options, warns they ended, and switches back to Local in one click", async () => {
    fakeCore({ secret_status: () => ({ slot: "openai_api_key", is_set: true, last_four: "9f3k", from_environment: false }) });
    render(<ConnectionForm settings={FRESH} submitLabel="Save" onSaved={vi.fn()} />);
    const legacy = screen.getByText("Legacy options").closest("details");
    expect(legacy?.open).toBe(false);
    expect(legacy?.contains(screen.getByLabelText(/Hosted workflow/))).toBe(true);
    await userEvent.click(screen.getByText("Legacy options"));
    await userEvent.click(screen.getByLabelText(/Hosted workflow/));
    expect(screen.getByRole("note").textContent).toContain("2026-11-30");
    await userEvent.click(screen.getByRole("button", { name: "Switch to Local" }));
    expect(screen.queryByRole("note")).toBeNull();
    expect(screen.getByLabelText<HTMLInputElement>(/Local/).checked).toBe(true);
    expect(screen.getByTestId("secret-status").textContent).toContain("••••9f3k");
  });

  it("says when the key comes from the environment, and offers neither Remove nor a key field", async () => {
    const calls = fakeCore({
      secret_status: () => ({ slot: "openai_api_key", is_set: true, last_four: "env1", from_environment: true }),
      save_connection: (args) => ({ ...FRESH, connection: args.connection }),
    });
    const onSaved = vi.fn();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} />);
    const status = await screen.findByText(/Using the key from your environment/);
    expect(status.textContent).toContain("••••env1");
    expect(screen.queryByRole("button", { name: "Remove" })).toBeNull();
    expect(screen.getByLabelText<HTMLInputElement>("OpenAI API key").disabled).toBe(true);
    // Continuing needs no key typed and stores none: only the connection is saved.
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => { expect(onSaved).toHaveBeenCalled(); });
    expect(calls.map((c) => c.cmd)).not.toContain("save_secret");
  });

  it("has a single password field, the key, for Local", async () => {
    fakeCore({ secret_status: () => ({ slot: "openai_api_key", is_set: false, last_four: null, from_environment: false }) });
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={vi.fn()} />);
    await screen.findByText(/No key saved yet/);
    expect(document.querySelectorAll("input[type=password]")).toHaveLength(1);
    expect(screen.queryByLabelText("Email")).toBeNull();
  });
});

const SIGNED_OUT: BackendStatus = { signed_in: false, user_id: null, expires_at: null };
const SIGNED_IN: BackendStatus = { signed_in: true, user_id: "user_42", expires_at: 1_900_000_000 };
const BACKEND: Settings = {
  ...FRESH,
  connection: { kind: "backend", url: "https://todo.example.com", chat: "chatkit_endpoint" },
};

/** The core's backend custody: the token it holds decides what `backend_status` says. */
function fakeBackend(initial: BackendStatus, extra: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  let status = initial;
  const calls = fakeCore({
    secret_status: () => ({ slot: "openai_api_key", is_set: false, last_four: null, from_environment: false }),
    backend_status: () => status,
    save_connection: (args) => ({ ...FRESH, connection: args.connection }),
    backend_sign_in: () => {
      status = SIGNED_IN;
      return { user_id: "user_42", expires_at: 1_900_000_000, renewed: false };
    },
    backend_paste_token: () => {
      status = { signed_in: true, user_id: "user_7", expires_at: null };
      return { user_id: "user_7", expires_at: null, renewed: false };
    },
    backend_sign_out: () => {
      status = SIGNED_OUT;
      return null;
    },
    ...extra,
  });
  return calls;
}

const commandsOf = (calls: Call[]) =>
  calls.map((c) => c.cmd).filter((c) => c !== "secret_status" && c !== "backend_status");

describe("ConnectionForm with a team backend", () => {
  it("saves the backend and its chat mode, then signs in with email and password", async () => {
    const calls = fakeBackend(SIGNED_OUT);
    const onSaved = vi.fn();
    const user = userEvent.setup();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} />);
    await user.click(screen.getByLabelText(/Team backend/));
    expect((await screen.findByText(/Not signed in yet/)).dataset.testid).toBe("backend-status");
    expect(screen.getByLabelText<HTMLInputElement>("The backend serves chat", { exact: false }).checked).toBe(true);

    await user.type(screen.getByLabelText("Backend URL"), "https://todo.example.com");
    await user.click(screen.getByLabelText(/starts OpenAI chat sessions/));
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Continue" }));

    await waitFor(() => { expect(onSaved).toHaveBeenCalledOnce(); });
    expect(commandsOf(calls)).toEqual(["save_connection", "backend_sign_in"]);
    expect(calls.find((c) => c.cmd === "save_connection")?.args).toEqual({
      connection: { kind: "backend", url: "https://todo.example.com", chat: "session_endpoint" },
    });
    expect(calls.find((c) => c.cmd === "backend_sign_in")?.args).toEqual({
      email: "ada@example.com",
      password: "correct horse",
    });
    expect(screen.getByTestId("backend-status").textContent).toContain("Signed in as user_42");
    // Signed in, the fields fold away until asked for again, empty.
    expect(screen.queryByLabelText("Password")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Sign in again or as someone else" }));
    expect(screen.getByLabelText<HTMLInputElement>("Email").value).toBe("");
    expect(screen.getByLabelText<HTMLInputElement>("Password").value).toBe("");
    expect(document.body.innerHTML).not.toContain("correct horse");
  });

  it("stores a pasted token first, then saves the connection, and never shows the token", async () => {
    const calls = fakeBackend(SIGNED_OUT);
    const onSaved = vi.fn();
    const user = userEvent.setup();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} />);
    await user.click(screen.getByLabelText(/Team backend/));
    await user.type(screen.getByLabelText("Backend URL"), "http://127.0.0.1:9");
    await user.click(screen.getByRole("button", { name: "Paste a token instead" }));
    expect(screen.queryByLabelText("Email")).toBeNull();
    expect(document.querySelectorAll("input[type=password]")).toHaveLength(1);
    await user.type(screen.getByLabelText("Backend token"), "eyJhbGciOi.eyJzdWIiOiJ1c2VyXzcifQ.sig");
    await user.click(screen.getByRole("button", { name: "Continue" }));

    await waitFor(() => { expect(onSaved).toHaveBeenCalledOnce(); });
    expect(commandsOf(calls)).toEqual(["backend_paste_token", "save_connection"]);
    expect(calls.find((c) => c.cmd === "backend_paste_token")?.args).toEqual({
      token: "eyJhbGciOi.eyJzdWIiOiJ1c2VyXzcifQ.sig",
    });
    expect(screen.getByTestId("backend-status").textContent).toContain("Signed in as user_7");
    expect(document.body.innerHTML).not.toContain("eyJhbGciOi");
  });

  it("shows a refused sign-in with its code and stays; Settings follows the saved connection", async () => {
    const calls = fakeBackend(SIGNED_OUT, {
      backend_sign_in: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw { code: "invalid_credentials", message: "The backend did not accept that email and password." };
      },
    });
    const onSaved = vi.fn();
    const onPartlySaved = vi.fn();
    const user = userEvent.setup();
    render(<ConnectionForm settings={FRESH} submitLabel="Continue" onSaved={onSaved} onPartlySaved={onPartlySaved} />);
    await user.click(screen.getByLabelText(/Team backend/));
    await user.type(screen.getByLabelText("Backend URL"), "https://todo.example.com");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Continue" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("did not accept that email and password");
    expect(alert.textContent).toContain("invalid_credentials");
    expect(onSaved).not.toHaveBeenCalled();
    expect(onPartlySaved).toHaveBeenCalledOnce();
    expect((onPartlySaved.mock.calls[0]?.[0] as Settings | undefined)?.connection?.kind).toBe("backend");
    expect(commandsOf(calls)).toEqual(["save_connection", "backend_sign_in"]);
    expect(screen.getByLabelText<HTMLInputElement>("Email").value).toBe("ada@example.com");
    expect(screen.getByLabelText<HTMLInputElement>("Password").value).toBe("");
  });

  it("needs a sign-in unless one is stored; then saving keeps it, and Sign out forgets it", async () => {
    const calls = fakeBackend(SIGNED_OUT);
    const user = userEvent.setup();
    const { unmount } = render(<ConnectionForm settings={BACKEND} submitLabel="Save" onSaved={vi.fn()} />);
    await screen.findByText(/Not signed in yet/);
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Enter your email and password to sign in");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Enter your password.");
    expect(commandsOf(calls)).toEqual([]);
    unmount();

    const signedIn = fakeBackend(SIGNED_IN);
    const onSaved = vi.fn();
    render(<ConnectionForm settings={BACKEND} submitLabel="Save" onSaved={onSaved} />);
    const status = await screen.findByTestId("backend-status");
    await waitFor(() => { expect(status.textContent).toContain("Signed in as user_42. Valid until"); });
    expect(screen.queryByLabelText("Email")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => { expect(onSaved).toHaveBeenCalledOnce(); });
    expect(commandsOf(signedIn)).toEqual(["save_connection"]);

    await user.click(within(status).getByRole("button", { name: "Sign out" }));
    await waitFor(() => { expect(status.textContent).toContain("Not signed in yet"); });
    expect(screen.getByLabelText("Email")).toBeTruthy();
    expect(commandsOf(signedIn)).toEqual(["save_connection", "backend_sign_out"]);
  });

  it("reports a keychain it cannot read with the code", async () => {
    fakeCore({
      backend_status: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw { code: "keychain_unavailable", message: "The system keychain is not available." };
      },
    });
    render(<ConnectionForm settings={BACKEND} submitLabel="Save" onSaved={vi.fn()} />);
    expect((await screen.findByRole("alert")).textContent).toContain("keychain_unavailable");
    expect(screen.getByTestId("backend-status").textContent).toContain("can't be reached");
  });
});
