import { useOnline } from "./useOnline";

/** The sidebar's small connection indicator. */
export function OnlineStatus() {
  const online = useOnline();
  return (
    <div
      className={`net-status ${online ? "online" : "offline"}`}
      role="status"
      title={online ? "Connected" : "No connection: chat is paused, tasks keep working"}
    >
      <span className="net-dot" aria-hidden="true" />
      {online ? "Online" : "Offline"}
    </div>
  );
}
