import type { CSSProperties } from "react";
import type { ColorScheme } from "../../shared/useColorScheme";

/**
 * ChatKit's layout and color tokens as CSS. Widget JSON comes from a server (and through
 * it, a model), so only plain lengths and colors pass: no `url(...)`, no expressions.
 */

type ThemeColor = { light: string; dark: string };
type Spacing = { top?: number | string; right?: number | string; bottom?: number | string; left?: number | string; x?: number | string; y?: number | string };

/** ChatKit's spacing unit. */
const UNIT_PX = 4;
const LENGTH = /^-?\d+(\.\d+)?(px|rem|em|%|vh|vw)?$/;
const COLOR = /^(#[0-9a-f]{3,8}|(rgb|rgba|hsl|hsla)\([\d\s.,%/]+\)|[a-z]+)$/i;

const TEXT_COLORS: Record<string, string> = {
  prose: "var(--text)",
  primary: "var(--text)",
  emphasis: "var(--text)",
  secondary: "var(--muted)",
  tertiary: "var(--muted)",
  success: "var(--ok)",
  warning: "#b45309",
  danger: "var(--danger)",
  info: "var(--accent)",
  discovery: "#7c3aed",
  caution: "#b45309",
};
const SURFACES: Record<string, string> = {
  surface: "var(--panel)",
  "surface-secondary": "var(--hover)",
  "surface-tertiary": "var(--bg)",
  "surface-elevated": "var(--panel)",
  "surface-elevated-secondary": "var(--hover)",
};
const BORDERS: Record<string, string> = { default: "var(--border)", subtle: "var(--border)", strong: "var(--muted)" };
const RADII: Record<string, string> = {
  "2xs": "2px", xs: "4px", sm: "6px", md: "8px", lg: "10px", xl: "12px", "2xl": "16px", "3xl": "20px",
  "4xl": "24px", full: "9999px", "100%": "100%", none: "0",
};
const JUSTIFY: Record<string, string> = {
  start: "flex-start", center: "center", end: "flex-end", between: "space-between", around: "space-around",
  evenly: "space-evenly", stretch: "stretch",
};
const ALIGN: Record<string, string> = { start: "flex-start", center: "center", end: "flex-end", baseline: "baseline", stretch: "stretch" };

/** A spacing value: numbers are ChatKit units, strings plain CSS lengths. */
export function space(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return `${value * UNIT_PX}px`;
  return typeof value === "string" && LENGTH.test(value.trim()) ? value.trim() : undefined;
}

/** A size value: numbers are pixels. */
export function size(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return `${value}px`;
  return typeof value === "string" && LENGTH.test(value.trim()) ? value.trim() : undefined;
}

export function color(value: unknown, scheme: ColorScheme, tokens: Record<string, string> = TEXT_COLORS): string | undefined {
  const picked = typeof value === "object" && value !== null ? (value as ThemeColor)[scheme] : value;
  if (typeof picked !== "string") return undefined;
  if (picked in tokens) return tokens[picked];
  return COLOR.test(picked) ? picked : undefined;
}

export const background = (value: unknown, scheme: ColorScheme) => color(value, scheme, SURFACES);

function spacing(value: unknown, side: "padding" | "margin"): CSSProperties {
  if (typeof value !== "object" || value === null) {
    const all = space(value);
    return all ? { [side]: all } : {};
  }
  const s = value as Spacing;
  const pick = (v: unknown, fallback: unknown) => space(v ?? fallback);
  const cap = side === "padding" ? "padding" : "margin";
  return {
    [`${cap}Top`]: pick(s.top, s.y),
    [`${cap}Bottom`]: pick(s.bottom, s.y),
    [`${cap}Left`]: pick(s.left, s.x),
    [`${cap}Right`]: pick(s.right, s.x),
  };
}

function border(value: unknown, scheme: ColorScheme): CSSProperties {
  if (typeof value === "number") return { border: `${value}px solid var(--border)` };
  if (typeof value !== "object" || value === null) return {};
  const edge = (v: unknown): string | undefined => {
    if (typeof v === "number") return `${v}px solid var(--border)`;
    if (typeof v !== "object" || v === null) return undefined;
    const b = v as { size?: unknown; color?: unknown; style?: unknown };
    const width = typeof b.size === "number" ? b.size : 1;
    const style = typeof b.style === "string" && /^[a-z]+$/.test(b.style) ? b.style : "solid";
    return `${width}px ${style} ${color(b.color, scheme, BORDERS) ?? "var(--border)"}`;
  };
  if ("size" in value) return { border: edge(value) };
  const b = value as Record<string, unknown>;
  return {
    borderTop: edge(b.top ?? b.y),
    borderBottom: edge(b.bottom ?? b.y),
    borderLeft: edge(b.left ?? b.x),
    borderRight: edge(b.right ?? b.x),
  };
}

/** The box props shared by Box, Row, Col, Form, Card and Image. */
export function boxStyle(props: Record<string, unknown>, scheme: ColorScheme): CSSProperties {
  const style: CSSProperties = {
    gap: space(props.gap),
    flex: typeof props.flex === "number" || (typeof props.flex === "string" && /^[\d\s.a-z]+$/.test(props.flex)) ? props.flex : undefined,
    width: size(props.width ?? props.size),
    height: size(props.height ?? props.size),
    minWidth: size(props.minWidth ?? props.minSize),
    minHeight: size(props.minHeight ?? props.minSize),
    maxWidth: size(props.maxWidth ?? props.maxSize),
    maxHeight: size(props.maxHeight ?? props.maxSize),
    borderRadius: typeof props.radius === "string" ? RADII[props.radius] : undefined,
    background: background(props.background, scheme),
    justifyContent: typeof props.justify === "string" ? JUSTIFY[props.justify] : undefined,
    alignItems: typeof props.align === "string" ? ALIGN[props.align] : undefined,
    flexWrap: props.wrap === "wrap" || props.wrap === "wrap-reverse" || props.wrap === "nowrap" ? props.wrap : undefined,
    aspectRatio: typeof props.aspectRatio === "number" ? props.aspectRatio : undefined,
    ...spacing(props.padding, "padding"),
    ...spacing(props.margin, "margin"),
    ...border(props.border, scheme),
  };
  return style;
}

/** The text props shared by Text, Title and Caption. */
export function textStyle(props: Record<string, unknown>, scheme: ColorScheme): CSSProperties {
  const maxLines = typeof props.maxLines === "number" ? props.maxLines : undefined;
  return {
    color: color(props.color, scheme),
    fontWeight: ({ normal: 400, medium: 500, semibold: 600, bold: 700 } as Record<string, number>)[String(props.weight)],
    fontStyle: props.italic === true ? "italic" : undefined,
    textDecoration: props.lineThrough === true ? "line-through" : undefined,
    textAlign: props.textAlign === "center" ? "center" : props.textAlign === "end" ? "end" : undefined,
    width: size(props.width),
    ...(props.truncate === true ? { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" } : {}),
    // WebKitGTK still clamps lines only through the -webkit-box display.
    ...(maxLines ? { display: "-webkit-box", WebkitLineClamp: maxLines, ["WebkitBoxOrient" as string]: "vertical", overflow: "hidden" } : {}),
  };
}
