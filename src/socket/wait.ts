/**
 * The one way hotline waits: a deadline taken from a Python-style timeout, and `until()`,
 * which registers listeners, races them against the deadline and removes them again on
 * every path. No other module writes its own `new Promise` around events and timers.
 */
import { BlockingIOError, TimeoutError } from "../errors.js";
import { longTimeout } from "./long-timer.js";

/** When an operation must give up: never (blocking), at once (non-blocking) or at a time. */
export class Deadline {
  readonly #at: number | null;
  readonly #nonBlocking: boolean;

  private constructor(at: number | null, nonBlocking: boolean) {
    this.#at = at;
    this.#nonBlocking = nonBlocking;
  }

  /** From a timeout in seconds: null blocks, 0 is non-blocking, otherwise a time limit. */
  static after(timeout: number | null): Deadline {
    if (timeout === null) return Deadline.never;
    if (timeout === 0) return Deadline.#now;
    return new Deadline(performance.now() + timeout * 1000, false);
  }

  static readonly never: Deadline = new Deadline(null, false);
  static readonly #now: Deadline = new Deadline(null, true);

  /** True for a blocking operation with no time limit: nothing to arm, nothing to check. */
  get unbounded(): boolean {
    return this.#at === null && !this.#nonBlocking;
  }

  /** True when the operation may not wait at all. */
  get nonBlocking(): boolean {
    return this.#nonBlocking;
  }

  /** Milliseconds left, or null for no limit. */
  remaining(): number | null {
    return this.#at === null ? null : Math.max(0, this.#at - performance.now());
  }
}

/** Registers listeners that call `done` or `fail`; returns what removes them. */
export type Setup<T> = (done: (value: T) => void, fail: (error: unknown) => void) => () => void;

/**
 * Waits for `setup`'s listeners to settle, or for the deadline. A non-blocking deadline
 * fails at once with BlockingIOError (`wouldBlock` chooses the code), an expired one with
 * TimeoutError. Listeners and the timer are removed however the wait ends.
 */
export function until<T>(deadline: Deadline, setup: Setup<T>, wouldBlock = "EAGAIN"): Promise<T> {
  if (deadline.nonBlocking) return Promise.reject(new BlockingIOError(wouldBlock));
  const ms = deadline.remaining();
  if (ms === 0) return Promise.reject(new TimeoutError());
  return new Promise<T>((resolve, reject) => {
    let cancelTimer: (() => void) | undefined;
    let settled = false;
    let cleanup: (() => void) | undefined;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      cancelTimer?.();
      cleanup?.();
      return true;
    };
    const done = (value: T): void => {
      if (finish()) resolve(value);
    };
    const fail = (error: unknown): void => {
      if (finish()) reject(error);
    };
    cleanup = setup(done, fail);
    // setup may have settled synchronously, before cleanup was known.
    if (settled) {
      cleanup();
      return;
    }
    // A user's timeout may exceed what setTimeout holds (settimeout(3e6)): longTimeout chains.
    if (ms !== null) cancelTimer = longTimeout(ms, () => fail(new TimeoutError()));
  });
}

/** Waits for a promise that cannot be cancelled (a DNS lookup), bounded by the deadline. */
export function race<T>(deadline: Deadline, promise: Promise<T>, wouldBlock = "EAGAIN"): Promise<T> {
  promise.catch(() => {}); // a late failure after we stopped waiting is nobody's to handle
  return until<T>(
    deadline,
    (done, fail) => {
      promise.then(done, fail);
      return () => {};
    },
    wouldBlock,
  );
}
