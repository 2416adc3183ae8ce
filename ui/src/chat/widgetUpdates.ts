import type { Widgets } from "@openai/chatkit";
import type { ThreadItemUpdate } from "./protocol";

type Node = Widgets.WidgetRoot | Widgets.WidgetComponent;

/**
 * A widget after a streamed update: the whole root, one component (found by its `id`),
 * or more text for a streaming Text or Markdown component. Untouched branches keep
 * their identity.
 */
export function applyWidgetUpdate(widget: Widgets.WidgetRoot, update: ThreadItemUpdate): Widgets.WidgetRoot {
  switch (update.type) {
    case "widget.root.updated":
      return update.widget;
    case "widget.component.updated":
      return replaceById(widget, update.component_id, () => update.component) as Widgets.WidgetRoot;
    case "widget.streaming_text.value_delta":
      return replaceById(widget, update.component_id, (node) =>
        "value" in node && typeof node.value === "string" ? ({ ...node, value: node.value + update.delta }) : node,
      ) as Widgets.WidgetRoot;
    default:
      return widget;
  }
}

function replaceById(node: Node, id: string, change: (node: Node) => Node): Node {
  if (node.id === id) return change(node);
  const children = childrenOf(node);
  if (!children) return node;
  const next = children.map((child) => replaceById(child, id, change));
  if (next.every((child, i) => child === children[i])) return node;
  const single = !Array.isArray((node as { children?: unknown }).children);
  return { ...node, children: single ? next[0] : next } as Node;
}

/** A node's child components, whichever shape it has (Transition has one child). */
export function childrenOf(node: Node): Node[] | null {
  const children: unknown = (node as { children?: unknown }).children;
  if (Array.isArray(children)) return children as Node[];
  if (typeof children === "object" && children !== null) return [children as Node];
  return null;
}
