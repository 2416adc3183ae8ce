import type { Task } from "../bindings";
import { taskStatus } from "./mentions";

export const MENTION_LIST_ID = "composer-mentions";
export const mentionOptionId = (index: number) => `composer-mention-${index}`;

/**
 * The `@` menu under the composer: a listbox the message box controls (↑/↓ move, Enter or
 * Tab pick, Escape closes); a click picks too. Focus stays in the message box.
 */
export function MentionMenu({
  tasks,
  active,
  onPick,
  onHighlight,
}: {
  tasks: Task[];
  active: number;
  onPick: (task: Task) => void;
  onHighlight: (index: number) => void;
}) {
  return (
    <ul id={MENTION_LIST_ID} className="mention-menu" role="listbox" aria-label="Tasks to mention">
      {tasks.map((task, index) => (
        <li
          key={task.id}
          id={mentionOptionId(index)}
          role="option"
          aria-selected={index === active}
          className={index === active ? "mention-option active" : "mention-option"}
          onMouseDown={(event) => {
            // Keeps focus (and the caret) in the message box.
            event.preventDefault();
            onPick(task);
          }}
          onMouseEnter={() => {
            onHighlight(index);
          }}
        >
          <span className="mention-title">{task.title}</span>
          <span className={task.completed ? "mention-status done" : "mention-status"}>{taskStatus(task)}</span>
        </li>
      ))}
    </ul>
  );
}
