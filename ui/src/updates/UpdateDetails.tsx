import type { UpdateInfo } from "../bindings";

/** The version on offer and its release notes, as the release page wrote them. */
export function UpdateDetails({ update }: { update: UpdateInfo }) {
  const day = update.date ? new Date(update.date) : null;
  return (
    <div className="update-details" data-update-version={update.version}>
      <p>
        <strong>Version {update.version}</strong> is available (you have {update.current_version})
        {day && !Number.isNaN(day.getTime()) ? `, published ${day.toLocaleDateString()}` : ""}.
      </p>
      {update.notes && (
        <div className="update-notes" aria-label="What is new">
          {update.notes}
        </div>
      )}
    </div>
  );
}
