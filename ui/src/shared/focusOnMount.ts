/**
 * A ref that focuses its element when it mounts. React's `autoFocus` prop does this; Preact's
 * compat layer only sets the HTML attribute, which a browser honours on page load alone.
 * One function for every use, so it runs at mount and unmount, not on each render.
 */
export function focusOnMount(element: HTMLElement | null): void {
  element?.focus();
}
