/**
 * One broker caller's outgoing queue: bytes wait here for that caller's socket, so a slow
 * or frozen reader never holds up the sender or the others. It is bounded as Redis bounds
 * a subscriber (`client-output-buffer-limit pubsub 32mb 8mb 60`): over the hard limit the
 * caller is cut at once; over the soft limit for longer than its time, it is cut then. A
 * cut drops what is queued and calls `cut(reason)`; whoever owns the call resets it.
 *
 * Chunks are shared, never copied per caller: the broker copies what it reads once and
 * pushes that same Buffer to every queue, so a hundred frozen callers hold one copy of the
 * backlog, not a hundred. Each send takes what is queued, joined up to SEND_CHUNK bytes,
 * so many small messages cost one write, not one each: what arrives while a write is in
 * flight goes out together in the next.
 *
 * What a queue counts is what it costs: each chunk's bytes plus CHUNK_COST, so a backlog of
 * tiny chunks (a flood of one-character chat lines) is bounded in memory as a backlog of
 * large ones is, not only in payload.
 *
 * One write is in flight at a time (ONE_WRITE), except to a TLS caller: a TLS socket
 * reports a write done only on the next turn of the event loop, even when the kernel took
 * it at once, so one write in flight gave a TLS caller 64 KiB per turn while a turn reads
 * up to 1.25 MiB from a fast sender, and a reader that kept up was cut (measured: its
 * receive queue empty while 32 MiB waited here). A TLS caller's queue hands its socket up
 * to SEND_WINDOW at once, and a TLS broker reads at most half that per turn (TurnBudget),
 * so a caller that keeps up drains each turn what the turn brought. What is in flight
 * still counts as queued until the kernel took it, and no more than the window is ever
 * handed to a socket that does not take it (a TLS socket holds it encrypted, a copy per
 * caller). A plain socket takes a write at once while its reader keeps up, so it gets one
 * write at a time: several in flight cost the plain fan-out with a frozen receiver a
 * quarter of its rate (measured, bench "10 receivers + 1 frozen": 0.75x).
 */
import { later } from "../call/timer.js";

/** The most one write to a caller takes at once: few writes for small messages, and a small copy in flight. */
export const SEND_CHUNK = 64 * 1024;

/** The most handed to a TLS caller's socket and not yet taken by its kernel (costs, as queued counts them). */
export const SEND_WINDOW = 256 * 1024;

/** A window that lets one write be in flight at a time, whatever its size: the default. */
export const ONE_WRITE = 1;

/**
 * What holding one queued chunk costs beyond its bytes: the Buffer object, its slot in
 * the queue (measured on Node 20: 160-185 bytes of RSS per 10-byte Buffer held, made as
 * the chat makes its lines), with room for the heap's slack.
 */
export const CHUNK_COST = 256;

export interface QueueLimits {
  /** Bytes queued that cut a caller at once. */
  hard: number;
  /** Bytes queued that may last `softMs`, and no longer; null for none. */
  soft: number | null;
  softMs: number;
}

/** "32 MiB": sizes in messages, exact when they are whole KiB or MiB. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** "60 s", "1.5 s", "250 ms". */
export function formatTime(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${ms / 1000} s`;
}

export class SendQueue {
  readonly #send: (chunk: Buffer) => Promise<void>;
  readonly #limits: QueueLimits;
  readonly #cut: (reason: string) => void;
  readonly #window: number;
  readonly #chunks: Buffer[] = [];
  /** What is queued costs (chunks' bytes plus CHUNK_COST each), what is in flight included. */
  #queued = 0;
  /** The part of #queued handed to the socket and not yet taken by its kernel. */
  #inFlight = 0;
  #closed = false;
  /** Stops the soft limit's timer; set while over the soft limit. */
  #softTimer: (() => void) | null = null;
  /** Called each time the queue goes from `mark` bytes or more to fewer (the broker's stdin pacing). */
  #belowMark: { mark: number; wake: () => void } | null = null;
  /** Settles when nothing is queued any more (or the queue is closed). */
  #idle: { promise: Promise<void>; resolve: () => void } | null = null;

  /** `window`: what may be in flight at once (ONE_WRITE; SEND_WINDOW for a TLS socket). */
  constructor(
    send: (chunk: Buffer) => Promise<void>,
    limits: QueueLimits,
    cut: (reason: string) => void,
    window = ONE_WRITE,
  ) {
    this.#send = send;
    this.#limits = limits;
    this.#cut = cut;
    this.#window = window;
  }

  /** What `chunk` counts for in a queue. */
  static cost(chunk: Uint8Array): number {
    return chunk.length + CHUNK_COST;
  }

  /** What is queued costs, in bytes (see CHUNK_COST), what is in flight included. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether the soft limit's clock is running (over the soft limit now). */
  get softClockRunning(): boolean {
    return this.#softTimer !== null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Calls `wake` whenever what is queued falls below `mark` bytes. */
  onBelow(mark: number, wake: () => void): void {
    this.#belowMark = { mark, wake };
  }

  /** Queues `chunk` (kept as it is: the caller must not reuse its memory). False once closed or cut. */
  push(chunk: Buffer): boolean {
    if (this.#closed) return false;
    if (chunk.length === 0) return true;
    this.#chunks.push(chunk);
    this.#queued += SendQueue.cost(chunk);
    if (this.#queued > this.#limits.hard) {
      this.#over(`${formatSize(this.#limits.hard)} queued (reader too slow)`);
      return false;
    }
    const soft = this.#limits.soft;
    if (soft !== null && this.#queued > soft && this.#softTimer === null) {
      this.#softTimer = later(this.#limits.softMs, () => {
        this.#softTimer = null;
        this.#over(`over ${formatSize(soft)} queued for ${formatTime(this.#limits.softMs)} (reader too slow)`);
      });
    }
    this.#pump();
    return true;
  }

  /** Resolves once everything queued is sent, or the queue is closed. */
  drained(): Promise<void> {
    if (this.#queued === 0 || this.#closed) return Promise.resolve();
    if (!this.#idle) {
      let resolve = (): void => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#idle = { promise, resolve };
    }
    return this.#idle.promise;
  }

  /** Drops what is queued and takes no more (the call is over). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks.length = 0;
    this.#softTimer?.();
    this.#softTimer = null;
    this.#settleIdle();
  }

  #over(reason: string): void {
    if (this.#closed) return;
    this.close();
    this.#cut(reason);
  }

  /** Hands queued chunks to the socket while less than the window is in flight. */
  readonly #pump = (): void => {
    while (!this.#closed && this.#chunks.length > 0 && this.#inFlight < this.#window) {
      const [chunk, cost] = this.#take();
      this.#inFlight += cost;
      this.#send(chunk).then(
        () => {
          this.#inFlight -= cost;
          this.#sent(cost);
          this.#pump();
        },
        // The call failed: its owner sees the failure on the call itself and ends it.
        () => this.close(),
      );
    }
  };

  /** The next write, and what it costs: the first chunk, or several small ones joined up to SEND_CHUNK. */
  #take(): [Buffer, number] {
    const first = this.#chunks.shift() as Buffer;
    if (first.length >= SEND_CHUNK || this.#chunks.length === 0) return [first, SendQueue.cost(first)];
    const parts = [first];
    let size = first.length;
    while (this.#chunks.length > 0) {
      const next = this.#chunks[0] as Buffer;
      if (size + next.length > SEND_CHUNK) break;
      parts.push(next);
      size += next.length;
      this.#chunks.shift();
    }
    const cost = size + parts.length * CHUNK_COST;
    return [parts.length === 1 ? first : Buffer.concat(parts, size), cost];
  }

  #sent(cost: number): void {
    const before = this.#queued;
    this.#queued -= cost;
    const soft = this.#limits.soft;
    if (soft !== null && this.#queued <= soft && this.#softTimer !== null) {
      this.#softTimer();
      this.#softTimer = null;
    }
    const below = this.#belowMark;
    if (below && before >= below.mark && this.#queued < below.mark) below.wake();
    if (this.#queued === 0) this.#settleIdle();
  }

  #settleIdle(): void {
    const idle = this.#idle;
    this.#idle = null;
    idle?.resolve();
  }
}
