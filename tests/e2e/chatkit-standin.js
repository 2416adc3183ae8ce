// A stand-in for OpenAI's <openai-chatkit> element, for end-to-end tests ONLY.
//
// The real element loads only from OpenAI's CDN, which test machines cannot reach. The
// desktop tests inject this file into the running app over WebDriver and press Retry;
// the app then mounts @openai/chatkit-react's <ChatKit>, which drives this element the
// way it drives the real one:
//   - options arrive through setOptions(options) (a full set each time);
//   - the control calls focusComposer, setThreadId, sendUserMessage, setComposerValue,
//     fetchUpdates, sendCustomAction, showHistory, hideHistory;
//   - the host listens for DOM CustomEvents named chatkit.* (chatkit.thread.change with
//     {threadId}, chatkit.ready, chatkit.error with {error}, chatkit.response.start/end,
//     chatkit.thread.load.start/end, chatkit.log).
// Every request goes through options.api.fetch (the app's IPC fetch), with the real
// protocol: JSON ops for threads.list / threads.get_by_id / threads.delete, and SSE
// responses for threads.create / threads.add_user_message, parsed as they stream.
//
// Hooks for tests: data-thread-id and data-ready on the element;
// .standin-message[data-role=user|assistant] for messages; textarea[name=composer] and
// button[name=send] to write; button[name=stop] to abort a streaming answer;
// .standin-thread[data-thread-id] for the history list; .standin-error for errors.
//
// Plain JavaScript with no imports, so it can be sent as a WebDriver script. Never bundled.

(() => {
  if (customElements.get("openai-chatkit")) return;

  const STYLE = `
    openai-chatkit .standin { display: flex; height: 100%; font: 14px system-ui, sans-serif;
      border: 1px solid var(--standin-border); border-radius: 10px; overflow: hidden;
      background: var(--standin-bg); color: var(--standin-text); }
    openai-chatkit .standin-history { width: 200px; border-right: 1px solid var(--standin-border);
      padding: 8px; display: flex; flex-direction: column; gap: 4px; overflow: auto; }
    openai-chatkit .standin-history h3 { font-size: 12px; text-transform: uppercase; margin: 8px 4px 4px;
      color: var(--standin-muted); }
    openai-chatkit .standin-history ul { list-style: none; margin: 0; padding: 0; }
    openai-chatkit .standin-history li { display: flex; gap: 2px; }
    openai-chatkit .standin-thread { flex: 1; text-align: left; border: none; background: none;
      color: inherit; padding: 6px 8px; border-radius: 6px; cursor: pointer; overflow: hidden;
      text-overflow: ellipsis; white-space: nowrap; }
    openai-chatkit .standin-thread[aria-current="true"] { background: var(--standin-active); }
    openai-chatkit .standin-main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
    openai-chatkit .standin-label { font-size: 11px; color: var(--standin-muted); padding: 6px 12px;
      border-bottom: 1px dashed var(--standin-border); }
    openai-chatkit .standin-messages { flex: 1; overflow: auto; padding: 12px; display: flex;
      flex-direction: column; gap: 8px; }
    openai-chatkit .standin-message { max-width: 80%; padding: 8px 12px; border-radius: 12px;
      white-space: pre-wrap; }
    openai-chatkit .standin-message[data-role="user"] { align-self: flex-end; background: #2563eb; color: #fff; }
    openai-chatkit .standin-message[data-role="assistant"] { align-self: flex-start; background: var(--standin-active); }
    openai-chatkit .standin-start { margin: auto; text-align: center; display: flex; flex-direction: column;
      gap: 8px; align-items: center; }
    openai-chatkit .standin-start h2 { font-size: 20px; margin: 0 0 8px; }
    openai-chatkit .standin-error { margin: 0 12px; padding: 6px 10px; border-radius: 6px;
      background: #fdecec; color: #7a1c1c; }
    openai-chatkit .standin-composer { display: flex; gap: 8px; padding: 12px;
      border-top: 1px solid var(--standin-border); }
    openai-chatkit .standin-composer textarea { flex: 1; resize: none; font: inherit; padding: 8px;
      border-radius: 8px; border: 1px solid var(--standin-border); background: var(--standin-bg); color: inherit; }
    openai-chatkit button { font: inherit; }
    openai-chatkit [hidden] { display: none !important; }
  `;
  const LIGHT = { bg: "#ffffff", text: "#1d2430", muted: "#5f6b7a", border: "#dde2e8", active: "#eef1f5" };
  const DARK = { bg: "#1d2128", text: "#e6e9ee", muted: "#9aa4b2", border: "#313844", active: "#2a303a" };

  const el = (tag, props, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) if (child != null) node.append(child);
    return node;
  };

  class ChatKitStandIn extends HTMLElement {
    constructor() {
      super();
      this.options = null;
      this.started = false;
      this.threads = [];
      this.threadId = null;
      this.items = [];
      this.error = null;
      this.streaming = null; // AbortController of the answer being streamed
      this.historyOpen = true;
      this.frame = null;
    }

    // ---- The element interface @openai/chatkit-react uses ----

    setOptions(options) {
      this.options = options;
      this.applyTheme();
      if (!this.started) {
        this.started = true;
        // Asynchronous, as the real element is: the host adds its listeners after setOptions.
        setTimeout(() => void this.start(), 0);
      } else {
        this.render();
      }
    }

    async focusComposer() {
      this.querySelector("textarea[name=composer]")?.focus();
    }

    async setThreadId(threadId) {
      this.stop();
      if (threadId === null) {
        this.items = [];
        this.setCurrent(null);
        this.render();
        return;
      }
      await this.loadThread(threadId);
    }

    async sendUserMessage(params) {
      const text = params.text ?? (params.content || []).map((c) => c.text).join("");
      await this.send(text, Boolean(params.newThread));
    }

    async setComposerValue(params) {
      const composer = this.querySelector("textarea[name=composer]");
      if (composer && params.text !== undefined) composer.value = params.text;
    }

    async fetchUpdates() {
      await this.refreshThreads();
      if (this.threadId) await this.loadThread(this.threadId);
    }

    async sendCustomAction(action, itemId) {
      if (!this.threadId) return;
      await this.stream("threads.custom_action", { thread_id: this.threadId, item_id: itemId, action });
    }

    async showHistory() {
      this.historyOpen = true;
      this.render();
      this.emit("chatkit.history.open");
    }

    async hideHistory() {
      this.historyOpen = false;
      this.render();
      this.emit("chatkit.history.close");
    }

    // ---- Protocol ----

    async start() {
      this.render();
      try {
        await this.refreshThreads();
        if (this.options.initialThread) await this.loadThread(this.options.initialThread);
      } catch (error) {
        this.fail(error);
      }
      this.setAttribute("data-ready", "true");
      this.emit("chatkit.ready");
    }

    async request(type, params, signal) {
      const api = this.options.api;
      return api.fetch(api.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ type, params }),
        signal,
      });
    }

    async json(type, params) {
      const response = await this.request(type, params);
      const text = await response.text();
      const body = text ? JSON.parse(text) : {};
      if (!response.ok) throw new Error(`${type} failed (${response.status}): ${body.message || text}`);
      return body;
    }

    async refreshThreads() {
      const page = await this.json("threads.list", { limit: 20, order: "desc" });
      this.threads = page.data;
      this.render();
    }

    async loadThread(threadId) {
      this.emit("chatkit.thread.load.start", { threadId });
      try {
        const thread = await this.json("threads.get_by_id", { thread_id: threadId });
        this.items = thread.items.data;
        this.setCurrent(thread.id);
        this.upsertThread(thread);
      } catch (error) {
        this.fail(error);
      } finally {
        this.emit("chatkit.thread.load.end", { threadId });
        this.render();
      }
    }

    async deleteThread(threadId) {
      try {
        await this.json("threads.delete", { thread_id: threadId });
        this.threads = this.threads.filter((t) => t.id !== threadId);
        if (this.threadId === threadId) await this.setThreadId(null);
        this.render();
      } catch (error) {
        this.fail(error);
      }
    }

    async send(text, newThread) {
      if (!text.trim()) return;
      const input = { content: [{ type: "input_text", text }], attachments: [], inference_options: {} };
      if (this.threadId && !newThread) {
        await this.stream("threads.add_user_message", { thread_id: this.threadId, input });
      } else {
        this.items = [];
        await this.stream("threads.create", { input });
      }
    }

    /** Posts a streaming op and applies its events as they arrive. */
    async stream(type, params) {
      this.stop();
      const controller = new AbortController();
      this.streaming = controller;
      this.error = null;
      this.pendingTool = null;
      this.emit("chatkit.response.start");
      this.render();
      try {
        const response = await this.request(type, params, controller.signal);
        if (!response.ok || !(response.headers.get("content-type") || "").startsWith("text/event-stream")) {
          const body = await response.text();
          let message = body;
          try {
            message = JSON.parse(body).message || body;
          } catch {}
          throw new Error(`${type} failed (${response.status}): ${message}`);
        }
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf("\n\n")) !== -1) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = frame
              .split("\n")
              .filter((line) => line.startsWith("data:"))
              .map((line) => line.slice(5).replace(/^ /, ""))
              .join("\n");
            if (data) this.apply(JSON.parse(data));
          }
        }
      } catch (error) {
        if (!controller.signal.aborted) this.fail(error);
      } finally {
        if (this.streaming === controller) this.streaming = null;
        this.emit("chatkit.response.end");
        this.render();
      }
      await this.runPendingTool();
    }

    stop() {
      if (this.streaming) {
        this.streaming.abort();
        this.streaming = null;
      }
    }

    apply(event) {
      this.emit("chatkit.log", { name: "standin.event", data: { type: event.type } });
      switch (event.type) {
        case "thread.created":
          this.items = event.thread.items?.data || [];
          this.setCurrent(event.thread.id);
          this.upsertThread(event.thread, true);
          break;
        case "thread.updated":
          this.upsertThread(event.thread);
          break;
        case "thread.item.added":
        case "thread.item.done":
        case "thread.item.replaced":
          this.upsertItem(event.item);
          if (event.item.type === "client_tool_call" && event.item.status === "pending") {
            this.pendingTool = event.item;
          }
          break;
        case "thread.item.removed":
          this.items = this.items.filter((i) => i.id !== event.item_id);
          break;
        case "thread.item.updated":
          this.applyUpdate(event.item_id, event.update);
          break;
        case "error":
          this.error = event.message || event.code;
          this.emit("chatkit.error", { error: new Error(this.error) });
          break;
        case "notice":
          this.error = event.message;
          break;
        case "client_effect":
          this.emit("chatkit.effect", { name: event.name, data: event.data });
          break;
        default:
          break; // stream_options, progress_update: nothing to show here
      }
      this.render();
    }

    applyUpdate(itemId, update) {
      const item = this.items.find((i) => i.id === itemId);
      if (!item || item.type !== "assistant_message") return;
      const index = update.content_index;
      switch (update.type) {
        case "assistant_message.content_part.added":
        case "assistant_message.content_part.done":
          item.content[index] = update.content;
          break;
        case "assistant_message.content_part.text_delta":
          item.content[index] = item.content[index] || { type: "output_text", text: "", annotations: [] };
          item.content[index].text += update.delta;
          break;
        default:
          break;
      }
    }

    async runPendingTool() {
      const call = this.pendingTool;
      this.pendingTool = null;
      if (!call || typeof this.options.onClientTool !== "function") return;
      const result = await this.options.onClientTool({ name: call.name, params: call.arguments });
      await this.stream("threads.add_client_tool_output", { thread_id: call.thread_id, result });
    }

    // ---- State ----

    setCurrent(threadId) {
      if (threadId) this.setAttribute("data-thread-id", threadId);
      else this.removeAttribute("data-thread-id");
      if (threadId === this.threadId) return;
      this.threadId = threadId;
      this.emit("chatkit.thread.change", { threadId });
    }

    upsertThread(thread, first) {
      const summary = { id: thread.id, title: thread.title };
      const at = this.threads.findIndex((t) => t.id === thread.id);
      if (at >= 0) this.threads[at] = summary;
      else if (first) this.threads.unshift(summary);
      else this.threads.push(summary);
    }

    upsertItem(item) {
      const at = this.items.findIndex((i) => i.id === item.id);
      if (at >= 0) this.items[at] = item;
      else this.items.push(item);
    }

    fail(error) {
      this.error = error instanceof Error ? error.message : String(error);
      this.emit("chatkit.error", { error: error instanceof Error ? error : new Error(this.error) });
      this.render();
    }

    emit(name, detail) {
      this.dispatchEvent(new CustomEvent(name, { detail }));
    }

    applyTheme() {
      const theme = this.options.theme;
      const scheme = typeof theme === "string" ? theme : theme?.colorScheme;
      const colors = scheme === "dark" ? DARK : LIGHT;
      for (const [name, value] of Object.entries(colors)) this.style.setProperty(`--standin-${name}`, value);
      this.setAttribute("data-color-scheme", scheme || "light");
    }

    // ---- View ----

    /** Builds the frame once (the composer keeps its text and focus), then refreshes its parts. */
    render() {
      if (!this.options) return;
      if (!this.frame) this.buildFrame();
      const { history, threadList, messages, error, composer, controls } = this.frame;

      history.hidden = !this.historyOpen;
      const showDelete = Boolean(this.options.history?.showDelete);
      threadList.replaceChildren(
        ...this.threads.map((thread) => {
          const open = el("button", {
            type: "button",
            className: "standin-thread",
            textContent: thread.title || "New chat",
            title: thread.title || "New chat",
            onclick: () => void this.setThreadId(thread.id),
          });
          open.dataset.threadId = thread.id;
          open.setAttribute("aria-current", String(thread.id === this.threadId));
          const remove = showDelete
            ? el("button", {
                type: "button",
                className: "standin-delete",
                textContent: "×",
                title: "Delete",
                onclick: () => void this.deleteThread(thread.id),
              })
            : null;
          return el("li", {}, open, remove);
        }),
      );

      const shown = this.items.filter((i) => i.type === "user_message" || i.type === "assistant_message");
      const bubbles = shown.map((item) => {
        const bubble = el("div", {
          className: "standin-message",
          textContent: (item.content || []).map((c) => c.text || "").join(""),
        });
        bubble.dataset.role = item.type === "user_message" ? "user" : "assistant";
        bubble.dataset.itemId = item.id;
        return bubble;
      });
      if (!this.threadId && shown.length === 0 && !this.streaming) {
        const start = this.options.startScreen || {};
        const prompts = (start.prompts || []).map((p) =>
          el("button", {
            type: "button",
            className: "standin-prompt",
            textContent: p.label,
            onclick: () => void this.send(typeof p.prompt === "string" ? p.prompt : p.prompt.map((c) => c.text).join(""), true),
          }),
        );
        const greeting = el("h2", { textContent: start.greeting || "What can I help with today?" });
        bubbles.push(el("div", { className: "standin-start" }, greeting, ...prompts));
      }
      messages.replaceChildren(...bubbles);
      messages.scrollTop = messages.scrollHeight;

      error.hidden = !this.error;
      error.textContent = this.error || "";
      composer.placeholder = this.options.composer?.placeholder || "Message the AI";
      controls.send.hidden = Boolean(this.streaming);
      controls.stop.hidden = !this.streaming;
    }

    buildFrame() {
      const threadList = el("ul");
      const history = el("nav", { className: "standin-history" }, el("h3", { textContent: "Threads" }), threadList);
      const messages = el("div", { className: "standin-messages" });
      const error = el("div", { className: "standin-error", hidden: true });
      error.setAttribute("role", "alert");
      const composer = el("textarea", { name: "composer", rows: 2 });
      const submit = () => {
        const text = composer.value;
        composer.value = "";
        void this.send(text, false);
      };
      composer.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          submit();
        }
      });
      const controls = {
        send: el("button", { type: "button", name: "send", textContent: "Send", onclick: submit }),
        stop: el("button", { type: "button", name: "stop", textContent: "Stop", hidden: true, onclick: () => this.stop() }),
      };
      this.replaceChildren(
        el("style", { textContent: STYLE }),
        el(
          "div",
          { className: "standin" },
          history,
          el(
            "div",
            { className: "standin-main" },
            el("div", { className: "standin-label", textContent: "ChatKit test stand-in (not the real component)" }),
            messages,
            error,
            el("div", { className: "standin-composer" }, composer, controls.send, controls.stop),
          ),
        ),
      );
      this.frame = { history, threadList, messages, error, composer, controls };
    }
  }

  customElements.define("openai-chatkit", ChatKitStandIn);
})();
