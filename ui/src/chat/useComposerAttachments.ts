import { useCallback, useEffect, useRef, useState } from "react";
import { asAppError } from "../shared/ipc";
import { attachmentProblem, MAX_ATTACHMENTS_PER_MESSAGE, type Attachment } from "./attachments";

/** A file in the composer: uploading, ready to send, or refused with the core's reason. */
export interface PendingAttachment {
  key: number;
  name: string;
  /** An object URL of a picked image, for its thumbnail while it uploads. */
  localPreview: string | null;
  state: "uploading" | "ready" | "failed";
  attachment?: Attachment;
  error?: { code: string; message: string };
}

/**
 * The built-in composer's attachments: each picked, pasted or dropped file is checked,
 * uploaded at once (`upload`), and shown as a chip until the message is sent or the chip
 * removed (which deletes the upload in the core).
 */
export function useComposerAttachments(
  upload: ((file: File) => Promise<Attachment>) | undefined,
  discard: ((attachmentId: string) => void) | undefined,
) {
  const [items, setItems] = useState<PendingAttachment[]>([]);
  // The current list, readable at once (uploads finish and messages are sent between renders).
  const list = useRef<PendingAttachment[]>([]);
  const nextKey = useRef(0);
  const previews = useRef(new Set<string>());

  const commit = (next: PendingAttachment[]) => {
    list.current = next;
    setItems(next);
  };
  const add = useCallback(
    (files: Iterable<File>) => {
      if (!upload) return;
      const update = (key: number, change: Partial<PendingAttachment>) => {
        commit(list.current.map((item) => (item.key === key ? { ...item, ...change } : item)));
      };
      for (const file of files) {
        const key = ++nextKey.current;
        const live = list.current.filter((item) => item.state !== "failed").length;
        const problem =
          attachmentProblem(file) ??
          (live >= MAX_ATTACHMENTS_PER_MESSAGE
            ? {
                code: "invalid_request",
                message: `A message can carry at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments; send these first.`,
              }
            : null);
        if (problem) {
          commit([...list.current, { key, name: file.name, localPreview: null, state: "failed", error: problem }]);
          continue;
        }
        let localPreview: string | null = null;
        if (file.type.startsWith("image/") && typeof URL.createObjectURL === "function") {
          localPreview = URL.createObjectURL(file);
          previews.current.add(localPreview);
        }
        commit([...list.current, { key, name: file.name, localPreview, state: "uploading" }]);
        upload(file).then(
          (attachment) => {
            update(key, { state: "ready", attachment });
          },
          (e: unknown) => {
            update(key, { state: "failed", error: asAppError(e) });
          },
        );
      }
    },
    [upload],
  );

  const remove = useCallback(
    (key: number) => {
      const gone = list.current.find((item) => item.key === key);
      if (gone?.attachment) discard?.(gone.attachment.id);
      commit(list.current.filter((item) => item.key !== key));
    },
    [discard],
  );

  /** Takes the ready attachments for a message being sent; `restore` puts them back. */
  const take = useCallback((): PendingAttachment[] => {
    const taken = list.current.filter((item) => item.state === "ready");
    commit(list.current.filter((item) => item.state !== "ready"));
    return taken;
  }, []);

  const restore = useCallback((back: PendingAttachment[]) => {
    commit([...back, ...list.current]);
  }, []);

  useEffect(() => {
    const urls = previews.current;
    return () => {
      for (const url of urls) URL.revokeObjectURL(url);
    };
  }, []);

  return {
    items,
    ready: items.filter((item) => item.state === "ready"),
    uploading: items.some((item) => item.state === "uploading"),
    enabled: upload !== undefined,
    add,
    remove,
    take,
    restore,
  };
}
