/**
 * A timer for any time the options allow. Node's setTimeout fires after 1 ms for anything
 * over 2^31-1 ms (about 24.8 days); longer times are chained from shorter ones. Returns
 * what cancels it.
 */
const LONGEST = 2 ** 31 - 1;

export function later(ms: number, fire: () => void): () => void {
  const due = performance.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = due - performance.now();
    timer = left > LONGEST ? setTimeout(arm, LONGEST) : setTimeout(fire, Math.max(0, left));
  };
  arm();
  return () => clearTimeout(timer);
}
