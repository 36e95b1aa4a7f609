/**
 * A promise and the function that settles it, for outcomes decided by whichever event
 * comes first (Node 20 has no Promise.withResolvers). Later calls are ignored, as a
 * promise ignores them.
 */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
