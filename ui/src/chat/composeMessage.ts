import { TASK_TAG_DATA } from "./mentions";
import type { UserMessageContent } from "./protocol";

/**
 * The built-in composer's text with @-mentions: a mention picked from the menu is written
 * into the text as `@Title` and remembered; sending turns each remembered `@Title` still in
 * the text into an `input_tag` (id = the task id) between the typed `input_text` parts.
 */

export interface Mention {
  id: string;
  title: string;
}

/** The `@query` being typed just before the caret, or null: `@` at the start or after a space. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@]{0,40})$/.exec(before);
  if (!match) return null;
  const query = match[2] ?? "";
  return { start: before.length - query.length - 1, query };
}

/** `text` with the `@query` at `start` replaced by the picked mention; the caret goes after it. */
export function insertMention(
  text: string,
  start: number,
  caret: number,
  mention: Mention,
): { text: string; caret: number } {
  const inserted = `@${mention.title} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}

/** The message content: typed text, with each mention still present as a tag. */
export function composeContent(text: string, mentions: Mention[]): UserMessageContent[] {
  const parts: UserMessageContent[] = [];
  let rest = text;
  for (;;) {
    let first: { at: number; mention: Mention } | null = null;
    for (const mention of mentions) {
      const at = rest.indexOf(`@${mention.title}`);
      if (at >= 0 && (first === null || at < first.at)) first = { at, mention };
    }
    if (!first) break;
    if (first.at > 0) parts.push({ type: "input_text", text: rest.slice(0, first.at) });
    parts.push({
      type: "input_tag",
      id: first.mention.id,
      text: first.mention.title,
      data: { ...TASK_TAG_DATA },
      interactive: true,
    });
    rest = rest.slice(first.at + first.mention.title.length + 1);
  }
  if (rest) parts.push({ type: "input_text", text: rest });
  return parts;
}
