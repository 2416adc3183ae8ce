import type { Widgets } from "@openai/chatkit";
import { Component, createContext, useContext, useState, type SyntheticEvent, type ReactNode } from "react";
import { useColorScheme, type ColorScheme } from "../../shared/useColorScheme";
import { Markdown } from "../Markdown";
import type { ActionConfig } from "../protocol";
import { FormControl, isFormControl } from "./FormControls";
import { WidgetIcon } from "./WidgetIcon";
import { boxStyle, color, size, space, textStyle } from "./widgetStyle";

type Node = Widgets.WidgetRoot | Widgets.WidgetComponent;

interface WidgetEnv {
  scheme: ColorScheme;
  /** Sends a widget action for the item that holds this widget; resolves when it has run. */
  send: (action: ActionConfig) => Promise<void>;
  /** An action is running: buttons wait. */
  busy: boolean;
}

const Env = createContext<WidgetEnv>({ scheme: "light", send: () => Promise.resolve(), busy: false });

/** Text from untrusted JSON: strings and numbers only, never an object React would refuse. */
export const text = (value: unknown): string =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : "";

/** A ChatKit widget (Card, ListView or Basic root) as plain, themed HTML. */
export function WidgetView({
  widget,
  onAction,
  busy = false,
}: {
  widget: Widgets.WidgetRoot;
  onAction: (action: ActionConfig) => Promise<void>;
  busy?: boolean;
}) {
  const scheme = useColorScheme();
  return (
    <Env.Provider value={{ scheme, send: onAction, busy }}>
      <WidgetBoundary>
        <div className="widget" data-testid="widget">
          <WidgetNode node={widget} />
        </div>
      </WidgetBoundary>
    </Env.Provider>
  );
}

/** A widget the view cannot draw says so instead of taking the thread down with it. */
class WidgetBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    return this.state.failed ? <p className="muted small">This widget could not be shown.</p> : this.props.children;
  }
}

function Children({ nodes }: { nodes: unknown }) {
  const list: unknown[] = Array.isArray(nodes) ? nodes : nodes && typeof nodes === "object" ? [nodes] : [];
  return (
    <>
      {list.map((child, index) =>
        child && typeof child === "object" ? (
          <WidgetNode key={text((child as { key?: unknown }).key) || index} node={child as Node} />
        ) : null,
      )}
    </>
  );
}

export function WidgetNode({ node }: { node: Node }) {
  const env = useContext(Env);
  const props = node as unknown as Record<string, unknown>;
  // ListViewItem is not in chatkit's component union, but it is a node of the tree.
  if ((node.type as string) === "ListViewItem") return <ListViewItem node={node as unknown as Widgets.ListViewItem} />;
  switch (node.type) {
    case "Card":
      return <Card node={node} />;
    case "ListView":
      return <ListView node={node} />;
    case "Basic":
    case "Box":
    case "Row":
    case "Col": {
      const direction = node.type === "Row" ? "row" : node.type === "Col" ? "col" : props.direction === "row" ? "row" : "col";
      return (
        <div className={`widget-box widget-${direction}`} style={boxStyle(props, env.scheme)}>
          <Children nodes={props.children} />
        </div>
      );
    }
    case "Form":
      return <WidgetForm node={node} />;
    case "Transition":
      return <Children nodes={props.children} />;
    case "Spacer":
      return <div className="widget-spacer" style={{ minWidth: size(props.minSize), minHeight: size(props.minSize) }} />;
    case "Divider":
      return (
        <hr
          className={props.flush === true ? "widget-divider flush" : "widget-divider"}
          style={{
            borderTopColor: color(props.color, env.scheme, { default: "var(--border)", subtle: "var(--border)", strong: "var(--muted)" }),
            borderTopWidth: size(props.size),
            marginBlock: space(props.spacing),
          }}
        />
      );
    case "Title":
      return (
        <div className={`widget-title size-${text(props.size) || "md"}`} role="heading" aria-level={3} style={textStyle(props, env.scheme)}>
          {text(props.value)}
        </div>
      );
    case "Caption":
      return (
        <div className={`widget-caption size-${text(props.size) || "md"}`} style={textStyle(props, env.scheme)}>
          {text(props.value)}
        </div>
      );
    case "Text":
      return (
        <p className={`widget-text size-${text(props.size) || "md"}`} style={textStyle(props, env.scheme)}>
          {text(props.value)}
        </p>
      );
    case "Markdown":
      return <Markdown text={text(props.value)} className="widget-markdown" />;
    case "Badge":
      return (
        <span
          className={`widget-badge tone-${text(props.color) || "secondary"} variant-${text(props.variant) || "soft"}${props.pill === true ? " pill" : ""}`}
        >
          {text(props.label)}
        </span>
      );
    case "Icon":
      return <WidgetIcon name={text(props.name)} size={text(props.size) || undefined} color={color(props.color, env.scheme)} />;
    case "Image":
      return <ImageNode alt={text(props.alt)} />;
    case "Button":
      return <WidgetButton node={node} />;
    case "Table":
      return <Table node={props} />;
    default:
      return isFormControl(node) ? <FormControl node={node} /> : null;
  }
}

/** Remote images stay unloaded (the app's CSP forbids them, and a URL can track): the alt text stands in. */
function ImageNode({ alt }: { alt: string }) {
  return <span className="widget-image">{alt ? `Image: ${alt}` : "Image"}</span>;
}

function Status({ status }: { status: unknown }) {
  if (!status || typeof status !== "object") return null;
  const s = status as { text?: unknown; icon?: unknown };
  return (
    <div className="widget-status">
      {typeof s.icon === "string" && <WidgetIcon name={s.icon} size="sm" />}
      <span>{text(s.text)}</span>
    </div>
  );
}

function useSend() {
  const { send, busy } = useContext(Env);
  const [sending, setSending] = useState(false);
  const run = async (action: ActionConfig | undefined, extra?: Record<string, unknown>) => {
    if (!action || typeof action.type !== "string") return;
    const payload = extra ? { ...(action.payload as Record<string, unknown> | undefined), ...extra } : action.payload;
    setSending(true);
    try {
      await send({ ...action, payload });
    } finally {
      setSending(false);
    }
  };
  return { run, waiting: busy || sending };
}

function WidgetButton({ node }: { node: Widgets.Button }) {
  const { run, waiting } = useSend();
  const props = node as unknown as Record<string, unknown>;
  const label = text(props.label);
  const iconStart = text(props.iconStart);
  const iconEnd = text(props.iconEnd);
  const tone = text(props.color) || (props.style === "secondary" ? "secondary" : "primary");
  return (
    <button
      type={props.submit === true ? "submit" : "button"}
      className={`widget-button tone-${tone} variant-${text(props.variant) || "solid"}${props.block === true ? " block" : ""}${props.pill === true ? " pill" : ""}`}
      disabled={props.disabled === true || waiting}
      aria-label={label ? undefined : iconStart || iconEnd || "Button"}
      data-testid="widget-button"
      onClick={props.submit === true ? undefined : () => void run(node.onClickAction)}
    >
      {iconStart && <WidgetIcon name={iconStart} size="sm" />}
      {label}
      {iconEnd && <WidgetIcon name={iconEnd} size="sm" />}
    </button>
  );
}

function Card({ node }: { node: Widgets.Card }) {
  const env = useContext(Env);
  const { run, waiting } = useSend();
  const props = node as unknown as Record<string, unknown>;
  const footer = (node.confirm ?? node.cancel) && (
    <div className="widget-card-actions">
      {node.cancel && (
        <button type="button" className="widget-button tone-secondary variant-outline" disabled={waiting}
          onClick={() => void run(node.cancel?.action)}>
          {text(node.cancel.label)}
        </button>
      )}
      {node.confirm && (
        <button type={node.asForm ? "submit" : "button"} className="widget-button tone-primary variant-solid" disabled={waiting}
          onClick={node.asForm ? undefined : () => void run(node.confirm?.action)}>
          {text(node.confirm.label)}
        </button>
      )}
    </div>
  );
  const body = (
    <>
      <Status status={props.status} />
      <Children nodes={props.children} />
      {footer}
    </>
  );
  const className = `widget-card size-${text(props.size) || "md"}`;
  const style = boxStyle({ padding: props.padding, background: props.background, border: props.border }, env.scheme);
  if (node.asForm) {
    return (
      <form className={className} style={style} onSubmit={(e) => { void run(node.confirm?.action, formValues(e)); }}>
        {body}
      </form>
    );
  }
  return <div className={className} style={style}>{body}</div>;
}

function WidgetForm({ node }: { node: Widgets.Form }) {
  const env = useContext(Env);
  const { run } = useSend();
  const props = node as unknown as Record<string, unknown>;
  const direction = props.direction === "row" ? "row" : "col";
  return (
    <form className={`widget-box widget-${direction}`} style={boxStyle(props, env.scheme)}
      onSubmit={(e) => { void run(node.onSubmitAction, formValues(e)); }}>
      <Children nodes={props.children} />
    </form>
  );
}

/** A submitted form's fields, merged into the action's payload as ChatKit does. */
function formValues(event: SyntheticEvent<HTMLFormElement>): Record<string, unknown> {
  event.preventDefault();
  const values: Record<string, unknown> = {};
  new FormData(event.currentTarget).forEach((value, key) => {
    values[key] = typeof value === "string" ? value : value.name;
  });
  return values;
}

function ListView({ node }: { node: Widgets.ListView }) {
  const props = node as unknown as Record<string, unknown>;
  const children = Array.isArray(props.children) ? (props.children as Widgets.ListViewItem[]) : [];
  const limit = typeof props.limit === "number" ? props.limit : children.length;
  const [showAll, setShowAll] = useState(false);
  const shown = showAll ? children : children.slice(0, limit);
  return (
    <div className="widget-listview">
      <Status status={props.status} />
      <ul className="widget-list">
        {shown.map((child, index) => (
          <ListViewItem key={text(child.key) || index} node={child} />
        ))}
      </ul>
      {shown.length < children.length && (
        <button type="button" className="link" onClick={() => { setShowAll(true); }}>
          Show {children.length - shown.length} more
        </button>
      )}
    </div>
  );
}

function ListViewItem({ node }: { node: Widgets.ListViewItem }) {
  const { run, waiting } = useSend();
  const props = node as unknown as Record<string, unknown>;
  const action = node.onClickAction as ActionConfig | undefined;
  const style = { gap: space(props.gap), alignItems: props.align === "start" ? "flex-start" : undefined };
  if (!action) {
    return (
      <li className="widget-list-item" style={style}>
        <Children nodes={props.children} />
      </li>
    );
  }
  // A clickable row holds its content in a button-like element (it may contain buttons).
  return (
    <li className="widget-list-item clickable" style={style}>
      <div
        role="button"
        tabIndex={0}
        aria-disabled={waiting || undefined}
        className="widget-list-item-action"
        onClick={() => { if (!waiting) void run(action); }}
        onKeyDown={(e) => {
          if ((e.key === "Enter" || e.key === " ") && !waiting) {
            e.preventDefault();
            void run(action);
          }
        }}
      >
        <Children nodes={props.children} />
      </div>
    </li>
  );
}

function Table({ node }: { node: Record<string, unknown> }) {
  const rows = Array.isArray(node.children) ? (node.children as Record<string, unknown>[]) : [];
  return (
    <div className="md-table">
      <table className="widget-table">
        <tbody>
          {rows.map((row, r) => (
            <tr key={text(row.key) || r}>
              {(Array.isArray(row.children) ? (row.children as Record<string, unknown>[]) : []).map((cell, c) => {
                const Cell = row.header === true ? "th" : "td";
                return (
                  <Cell key={text(cell.key) || c} colSpan={typeof cell.colSpan === "number" ? cell.colSpan : undefined}>
                    <Children nodes={cell.children} />
                  </Cell>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
