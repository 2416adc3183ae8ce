/**
 * Attachments, for both chat views: what the core accepts (mirrors
 * `src-tauri/core/chatkit/attachments.rs`; the core checks again and answers
 * `attachment_too_large` or `attachment_type_not_allowed`), as ChatKit's composer options,
 * and the attachment as the protocol carries it.
 */

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const MAX_ATTACHMENTS_PER_MESSAGE = 6;

/** ChatKit's `composer.attachments.accept`, and the built-in picker's `accept`. */
export const ACCEPT: Record<string, string[]> = {
  "image/png": [".png"],
  "image/jpeg": [".jpg", ".jpeg"],
  "image/webp": [".webp"],
  "image/gif": [".gif"],
  "application/pdf": [".pdf"],
  "text/plain": [".txt", ".text", ".log"],
  "text/markdown": [".md", ".markdown"],
  "text/csv": [".csv"],
  "application/json": [".json"],
};

export const ACCEPT_ATTRIBUTE = [...Object.keys(ACCEPT), ...Object.values(ACCEPT).flat()].join(",");

/** `chatkit.types.Attachment`. */
export interface Attachment {
  type: "file" | "image";
  id: string;
  name: string;
  mime_type: string;
  preview_url?: string | null;
  upload_descriptor?: { url: string; method: "PUT" | "POST"; headers?: Record<string, string> } | null;
  thread_id?: string | null;
}

/** Why `file` cannot be attached, said before uploading it; null when it may be. */
export function attachmentProblem(file: File): { code: string; message: string } | null {
  const extension = file.name.includes(".") ? `.${file.name.split(".").pop()?.toLowerCase() ?? ""}` : "";
  const typed = file.type !== "" && file.type !== "application/octet-stream";
  const known = typed ? file.type in ACCEPT : Object.values(ACCEPT).some((ext) => ext.includes(extension));
  if (!known) {
    return {
      code: "attachment_type_not_allowed",
      message: `“${file.name}” can't be attached: attach an image (PNG, JPEG, WebP, GIF), a PDF, or a text file (.txt, .md, .csv, .json).`,
    };
  }
  if (file.size > MAX_ATTACHMENT_BYTES) {
    return {
      code: "attachment_too_large",
      message: `“${file.name}” is ${(file.size / (1024 * 1024)).toFixed(1)} MB; attachments can be at most ${MAX_ATTACHMENT_BYTES / (1024 * 1024)} MB.`,
    };
  }
  return null;
}
