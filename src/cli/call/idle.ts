/**
 * -i: a clock that fires once nothing has happened for a while. A call touches it on
 * every byte sent or received; one timer is re-armed lazily, not on every touch.
 */
import { later } from "./timer.js";

export class IdleClock {
  #last = performance.now();
  #cancel: (() => void) | null = null;

  /** Starts watching: `onIdle` runs once after `ms` without touch(). */
  constructor(ms: number, onIdle: () => void) {
    const check = (): void => {
      const quiet = performance.now() - this.#last;
      if (quiet >= ms) {
        this.#cancel = null;
        onIdle();
      } else this.#cancel = later(ms - quiet, check);
    };
    this.#cancel = later(ms, check);
  }

  touch(): void {
    this.#last = performance.now();
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = null;
  }
}
