/**
 * How much a TLS broker reads from its callers in one turn of the event loop. Left alone,
 * libuv reads a socket up to 32 times a turn (1.25 MiB from a fast TLS sender), while a
 * TLS caller's queue hands its socket at most SEND_WINDOW a turn: a TLS socket reports a
 * write done only on the next turn, even when the kernel took it at once. A reader that
 * kept up would fall behind by the difference every turn, and be cut. With the reading
 * held to half the window, a caller that takes what it is sent drains each turn what the
 * turn brought, and when the broker itself is the bottleneck (many TLS callers to encrypt
 * for), the senders are slowed to its pace instead of every reader being cut. (A plain
 * socket's writes are done at once while the reader keeps up: no budget is needed there.)
 *
 * A sink returns `spend()`'s promise: once the turn's budget is spent, the chunk in hand
 * still goes through and reading that socket pauses until the next turn (the library's
 * forward() waits for a sink's promise), so a turn reads the budget and at most one more
 * chunk from each sender.
 */
import { deferred } from "../deferred.js";

export class TurnBudget {
  readonly #bytes: number;
  /** Read this turn. */
  #spent = 0;
  /** Settles at the next turn; made when the budget is first spent in a turn. */
  #next: ReturnType<typeof deferred<void>> | null = null;
  /** A reset is due at the end of this turn (setImmediate runs after this turn's reads). */
  #due = false;

  constructor(bytes: number) {
    this.#bytes = bytes;
  }

  /** Counts `n` bytes read; once this turn's budget is spent, a promise that settles next turn. */
  spend(n: number): Promise<void> | undefined {
    this.#spent += n;
    if (!this.#due) {
      this.#due = true;
      setImmediate(this.#reset);
    }
    if (this.#spent < this.#bytes) return undefined;
    this.#next ??= deferred<void>();
    return this.#next.promise;
  }

  readonly #reset = (): void => {
    this.#due = false;
    this.#spent = 0;
    const next = this.#next;
    this.#next = null;
    next?.resolve();
  };
}
