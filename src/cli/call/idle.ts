/**
 * -i: a clock that fires once nothing has happened for a while. Modes call touch() on
 * every byte sent or received; one timer is re-armed lazily, not on every touch.
 */
export class IdleClock {
  #last = performance.now();
  #timer: NodeJS.Timeout | undefined;

  /** Starts watching when `ms` is set; `onIdle` runs once after `ms` without touch(). */
  constructor(ms: number | null, onIdle: () => void) {
    if (ms === null) return;
    const check = (): void => {
      const quiet = performance.now() - this.#last;
      if (quiet >= ms) onIdle();
      else this.#timer = setTimeout(check, ms - quiet);
    };
    this.#timer = setTimeout(check, ms);
  }

  touch(): void {
    this.#last = performance.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
