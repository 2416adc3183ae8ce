/**
 * ChatKit's icon names as small inline SVG paths (24-unit grid, stroked). Names without a
 * drawing of their own get a dot, so an unknown or vendor icon never breaks a widget.
 */
const PATHS: Record<string, string> = {
  plus: "M12 5v14M5 12h14",
  check: "M5 12l5 5 9-10",
  "check-circle": "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M8 12l3 3 5-6",
  "check-circle-filled": "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M8 12l3 3 5-6",
  "empty-circle": "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18",
  clock: "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M12 7v5l3 2",
  calendar: "M4 6h16v14H4zM4 10h16M8 3v4M16 3v4",
  "chevron-left": "M15 5l-7 7 7 7",
  "chevron-right": "M9 5l7 7-7 7",
  "external-link": "M14 4h6v6M20 4l-9 9M18 14v6H4V6h6",
  info: "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M12 11v6M12 7.5v.5",
  "circle-question": "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.7.3-1 .9-1 1.7M12 17v.5",
  search: "M11 4a7 7 0 1 0 0 14a7 7 0 1 0 0-14M16 16l4 4",
  reload: "M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5",
  star: "M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9z",
  "star-filled": "M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9z",
  sparkle: "M12 3l2 7 7 2-7 2-2 7-2-7-7-2 7-2z",
  "sparkle-double": "M10 4l1.5 5 5 1.5-5 1.5L10 17l-1.5-5-5-1.5 5-1.5zM18 14l.8 2.2L21 17l-2.2.8L18 20l-.8-2.2L15 17l2.2-.8z",
  write: "M4 20h4L19 9l-4-4L4 16zM14 6l4 4",
  "write-alt": "M4 20h4L19 9l-4-4L4 16zM14 6l4 4",
  "write-alt2": "M4 20h4L19 9l-4-4L4 16zM14 6l4 4",
  document: "M6 3h8l4 4v14H6zM14 3v4h4",
  "page-blank": "M6 3h8l4 4v14H6zM14 3v4h4",
  mail: "M3 6h18v12H3zM3 6l9 7 9-7",
  globe: "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18",
  user: "M12 4a4 4 0 1 0 0 8a4 4 0 1 0 0-8M4 20c1.5-4 4.5-6 8-6s6.5 2 8 6",
  profile: "M12 4a4 4 0 1 0 0 8a4 4 0 1 0 0-8M4 20c1.5-4 4.5-6 8-6s6.5 2 8 6",
  bolt: "M13 3L5 14h6l-1 7 8-11h-6z",
  lightbulb: "M9 18h6M10 21h4M12 3a6 6 0 0 0-4 10.5c.7.7 1 1.5 1 2.5h6c0-1 .3-1.8 1-2.5A6 6 0 0 0 12 3",
  "dots-horizontal": "M5 12h.01M12 12h.01M19 12h.01",
  "dots-vertical": "M12 5v.01M12 12v.01M12 19v.01",
  play: "M7 4l13 8-13 8z",
};
const FILLED = new Set(["check-circle-filled", "star-filled"]);
const DOT = "M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6";
const SIZES: Record<string, number> = { xs: 12, sm: 14, md: 16, lg: 20, xl: 24, "2xl": 28, "3xl": 32 };

export function WidgetIcon({ name, size = "md", color }: { name: string; size?: string | undefined; color?: string | undefined }) {
  const px = SIZES[size] ?? 16;
  const filled = FILLED.has(name);
  return (
    <svg
      className="widget-icon"
      data-icon={name}
      width={px}
      height={px}
      viewBox="0 0 24 24"
      aria-hidden="true"
      fill={filled ? "currentColor" : "none"}
      stroke={filled ? "var(--panel)" : "currentColor"}
      strokeWidth={filled ? 1.6 : 2}
      strokeLinecap="round"
      strokeLinejoin="round"
      style={color ? { color } : undefined}
    >
      <path d={PATHS[name] ?? DOT} />
    </svg>
  );
}
