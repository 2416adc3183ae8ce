/**
 * A formatter made on first use. Making an `Intl` formatter loads ICU's locale and calendar
 * data into the web process (about 3 MB in WebKitGTK); a window showing no date needs none.
 */
export function lazyFormat<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}
