import { useEffect, useState } from "react";
import type { Task } from "../bindings";
import { mentionQuery } from "./composeMessage";
import { searchTasks } from "./mentions";

/** Waits this long after the last keystroke before asking the core. */
const SEARCH_DELAY_MS = 80;

/**
 * The `@` menu's state: what is being typed after `@` at the caret, the tasks the core
 * finds for it, and which one is highlighted. Escape dismisses the menu for that `@`.
 */
export function useMentionSearch(text: string, caret: number) {
  const trigger = mentionQuery(text, caret);
  const key = trigger ? `${trigger.start}:${trigger.query}` : null;
  const [found, setFound] = useState<{ key: string; tasks: Task[] } | null>(null);
  const [active, setActive] = useState(0);
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);

  useEffect(() => {
    if (key === null) return;
    const query = key.slice(key.indexOf(":") + 1);
    let current = true;
    const timer = setTimeout(() => {
      searchTasks(query).then(
        (tasks) => {
          if (!current) return;
          setFound({ key, tasks });
          setActive(0);
        },
        () => {
          // No menu then: a failed search must not get in the way of typing.
          if (current) setFound({ key, tasks: [] });
        },
      );
    }, SEARCH_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key]);

  const tasks = found && found.key === key ? found.tasks : [];
  const open = trigger !== null && trigger.start !== dismissedAt && tasks.length > 0;
  return {
    open,
    trigger,
    tasks,
    active: Math.min(active, Math.max(tasks.length - 1, 0)),
    move(step: number) {
      if (tasks.length) setActive((index) => (index + step + tasks.length) % tasks.length);
    },
    highlight: setActive,
    dismiss() {
      if (trigger) setDismissedAt(trigger.start);
    },
  };
}
