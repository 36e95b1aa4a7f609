/**
 * A timer for any delay. Node's setTimeout holds at most 2^31-1 ms (about 24.8 days); a
 * longer delay fires after 1 ms with only a warning, so `settimeout(3e6)` would time out
 * at once. Python takes such timeouts, so every timer in the library that carries a
 * user's time goes through here and is chained in steps Node can hold.
 */

/** The longest delay Node's setTimeout honours. */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/**
 * Calls `fire` once `ms` milliseconds have passed (an infinite delay never fires), and
 * returns what cancels it. Each step measures what is left against one fixed end, so the
 * steps add no drift.
 */
export function longTimeout(ms: number, fire: () => void): () => void {
  const end = performance.now() + ms;
  let timer: NodeJS.Timeout;
  const step = (): void => {
    const left = end - performance.now();
    timer = left > TIMER_MAX_MS ? setTimeout(step, TIMER_MAX_MS) : setTimeout(fire, Math.max(0, left));
  };
  step();
  return () => clearTimeout(timer);
}
