import { installAndRelaunch, useUpdateState } from "./updates";

/** The sidebar's quiet word about a new version; the details are in Settings. */
export function UpdateNote({ onOpenSettings }: { onOpenSettings: () => void }) {
  const update = useUpdateState();
  if (update.kind === "available") {
    return (
      <div className="update-note" role="status">
        <span>Version {update.update.version} is available.</span>
        <button type="button" className="link" onClick={onOpenSettings}>What's new</button>
      </div>
    );
  }
  if (update.kind === "ready") {
    return (
      <div className="update-note" role="status" data-update="ready">
        <span>Version {update.update.version} is ready.</span>
        <button type="button" className="link" onClick={() => void installAndRelaunch()}>Restart to update</button>
      </div>
    );
  }
  return null;
}
