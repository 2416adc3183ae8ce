import { useContext, type ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeSanitize from "rehype-sanitize";
import remarkGfm from "remark-gfm";
import { OpenLinkContext } from "./Markdown";
import { openableUrl } from "./openExternal";

interface HastNode {
  type: string;
  children?: HastNode[];
}

/**
 * Raw HTML in model text is shown as the text it is, never parsed: no element the model
 * writes reaches the page. (react-markdown would drop it; showing it is more honest.)
 */
function rehypeRawAsText() {
  const walk = (node: HastNode) => {
    if (node.type === "raw") node.type = "text";
    node.children?.forEach(walk);
  };
  return walk;
}

function Link({ href, children }: { href?: string | undefined; children?: ReactNode }) {
  const open = useContext(OpenLinkContext);
  const url = openableUrl(href);
  if (!url) return <span className="md-inert-link">{children}</span>;
  return (
    <a
      href={url}
      rel="noreferrer noopener"
      title={url}
      onClick={(event) => {
        // The webview never navigates: the system browser opens the page.
        event.preventDefault();
        open(url);
      }}
    >
      {children}
    </a>
  );
}

/** Images stay links: loading a model-chosen URL would tell that server we read it. */
function ImageLink({ src, alt }: { src?: string | Blob | undefined; alt?: string | undefined }) {
  const label = `Image: ${alt?.trim() || "untitled"}`;
  return <Link href={typeof src === "string" ? src : undefined}>{label}</Link>;
}

const components: Components = {
  a: ({ href, children }) => <Link href={href}>{children}</Link>,
  img: ({ src, alt }) => <ImageLink src={src} alt={alt} />,
  // Wide tables scroll inside the message instead of widening the chat.
  table: ({ children }) => (
    <div className="md-table">
      <table>{children}</table>
    </div>
  ),
};

const remarkPlugins = [remarkGfm];
const rehypePlugins = [rehypeRawAsText, rehypeSanitize];

/** Model text as Markdown (GFM: lists, code, tables, links), sanitized and inert. */
export function MarkdownRenderer({ text, className }: { text: string; className: string }) {
  return (
    <div className={className}>
      <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
