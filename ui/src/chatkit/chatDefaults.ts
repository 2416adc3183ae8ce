import type { StartScreenPrompt } from "@openai/chatkit-react";

// Shared by ChatKit's panel and the built-in view; kept apart so the built-in view's chunk
// does not pull in ChatKit's.

/**
 * Requests never leave the app: `api.fetch` carries them over IPC to the core. ChatKit
 * still wants an absolute URL, so this one names nothing that could be reached.
 */
export const CHATKIT_API_URL = "https://todo-assistant.invalid/chatkit";

export const START_PROMPTS: StartScreenPrompt[] = [
  { label: "Add a task to buy groceries", prompt: "Add a task to buy groceries", icon: "plus" },
  { label: "What's pending?", prompt: "What's pending?", icon: "clock" },
  { label: "Mark the groceries one done", prompt: "Mark the groceries one done", icon: "check-circle" },
  { label: "Clean up completed tasks", prompt: "Clean up completed tasks", icon: "sparkle" },
];
