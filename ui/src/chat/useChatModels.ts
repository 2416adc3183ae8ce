import type { ModelOption } from "@openai/chatkit";
import { useEffect, useState } from "react";
import { commands, type ModelChoices } from "../bindings";
import { unwrap } from "../shared/ipc";

/**
 * The models the Local connection lists (`GET {base}/models`, through the core), for the
 * composer's model picker; null while loading, when the list is unavailable, or for other
 * connections. A picker shows only when there is more than one.
 */
export function useChatModels(enabled: boolean): ModelChoices | null {
  const [choices, setChoices] = useState<ModelChoices | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let current = true;
    unwrap(commands.chatModels()).then(
      (loaded) => {
        if (current) setChoices(loaded);
      },
      () => {
        // No picker then: chat works with the connection's model.
      },
    );
    return () => {
      current = false;
    };
  }, [enabled]);
  return enabled ? choices : null;
}

/** ChatKit's `composer.models`, when there is a choice to make. */
export function modelOptions(choices: ModelChoices | null): ModelOption[] | undefined {
  if (!choices || choices.models.length < 2) return undefined;
  return choices.models.map((id) => ({ id, label: id, default: id === choices.default }));
}
