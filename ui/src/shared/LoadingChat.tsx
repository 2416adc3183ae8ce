/** The chat pane's wait while its view loads; `.slow-wait` shows it only once it lasts. */
export function LoadingChat() {
  return (
    <section className="pane center slow-wait" aria-busy="true">
      <div className="spinner" aria-hidden="true" />
      <p className="muted">Loading chat…</p>
    </section>
  );
}
