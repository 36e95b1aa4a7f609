/**
 * A UDP listener: one bound socket, and a Line for each sender it hears from. Datagrams
 * are handed to their sender's Line in arrival order; replies go back with sendto. UDP
 * has no end of stream, so a sender's Line ends only when the call closes it (-i, -q,
 * an interrupt) and a later datagram from it makes a new caller.
 */
import type { Address, Socket } from "../../index.js";
import { deferred } from "../deferred.js";
import { debug } from "../report.js";
import type { AccessList } from "./access-list.js";
import { describe, type Line, MAX_DATAGRAM, type Sink } from "./line.js";
import type { Listener } from "./listen.js";

/** Denied senders remembered so that each is logged once (then the memory starts over). */
const DENIED_REMEMBERED = 1024;

/** Datagrams kept for a sender whose call has not started receiving yet. */
const EARLY_LIMIT = 64;

export class UdpListener implements Listener {
  readonly where: string;
  readonly #sock: Socket;
  readonly #onlyFirst: boolean;
  readonly #senders = new Map<string, Sender>();
  readonly #arrivals: Sender[] = [];
  #wake: (() => void) | null = null;
  #heard = false;
  #closed = false;
  readonly #access: AccessList | null;
  readonly #onDenied: (peer: string) => void;
  /** Senders denied lately, so a flood of datagrams is one "denied" line, not one each. */
  readonly #denied = new Set<string>();

  constructor(
    sock: Socket,
    where: string,
    onlyFirst: boolean,
    access: AccessList | null = null,
    onDenied: (peer: string) => void = () => {},
  ) {
    this.#sock = sock;
    this.where = where;
    this.#onlyFirst = onlyFirst;
    this.#access = access;
    this.#onDenied = onDenied;
    this.#read().catch(() => this.close());
  }

  async next(): Promise<Line | null> {
    for (;;) {
      const sender = this.#arrivals.shift();
      if (sender) return sender;
      if (this.#closed) return null;
      const { promise, resolve } = deferred<void>();
      this.#wake = resolve;
      await promise;
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const sender of this.#senders.values()) sender.end();
    this.#signal();
    return this.#sock.close();
  }

  /** A denied sender's datagram is dropped; the first from each (of the last DENIED_REMEMBERED) is logged. */
  #deny(key: string): void {
    if (this.#denied.has(key)) return;
    if (this.#denied.size >= DENIED_REMEMBERED) this.#denied.clear();
    this.#denied.add(key);
    debug("denied %s", key);
    this.#onDenied(key);
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #read(): Promise<void> {
    while (!this.#closed) {
      const [data, from] = await this.#sock.recvfrom(65536);
      if (!data || from === null) continue;
      const key = describe(from);
      let sender = this.#senders.get(key);
      if (!sender) {
        if (this.#access !== null && !this.#access.admits(from)) {
          this.#deny(key);
          continue;
        }
        if (this.#onlyFirst && this.#heard) continue; // without -k only the first sender is heard
        this.#heard = true;
        sender = new Sender(this.#sock, from, key, () => this.#senders.delete(key));
        this.#senders.set(key, sender);
        this.#arrivals.push(sender);
        debug("datagram from a new sender, %s", key);
        this.#signal();
      }
      try {
        await sender.deliver(data);
      } catch (err) {
        sender.fail(err); // the sender's call fails (a log or stdout error), not the listener
      }
    }
  }
}

/** One sender of a UDP listener, as a Line. */
class Sender implements Line {
  readonly peer: string;
  readonly datagram = true;
  readonly dialled = false;
  readonly #sock: Socket;
  readonly #to: Address;
  readonly #forget: () => void;
  readonly #early: Buffer[] = [];
  #sink: Sink | null = null;
  #ended = deferred<void>();
  #failure: unknown = null;
  #done = false;
  /** Datagrams that came before the call started receiving, past EARLY_LIMIT. */
  #lostEarly = 0;

  constructor(sock: Socket, to: Address, peer: string, forget: () => void) {
    this.#sock = sock;
    this.#to = to;
    this.peer = peer;
    this.#forget = forget;
  }

  /** A datagram from this sender; the promise holds the listener's reading back. */
  deliver(data: Buffer): PromiseLike<void> | undefined {
    if (this.#done) return undefined;
    if (this.#sink) return this.#sink(data);
    if (this.#early.length < EARLY_LIMIT) this.#early.push(data);
    else this.#lostEarly += 1;
    return undefined;
  }

  async receive(sink: Sink): Promise<void> {
    // What came first goes first: datagrams arriving meanwhile join the early queue.
    for (let data = this.#early.shift(); data; data = this.#early.shift()) await sink(data);
    this.#sink = sink;
    await this.#ended.promise;
    if (this.#failure !== null) throw this.#failure;
  }

  async send(chunk: Uint8Array): Promise<void> {
    for (let at = 0; at < chunk.length; at += MAX_DATAGRAM) {
      await this.#sock.sendto(chunk.subarray(at, at + MAX_DATAGRAM), this.#to);
    }
  }

  dropped(): number {
    return this.#sock.droppedDatagrams + this.#lostEarly;
  }

  ends(): { local: Address; remote: Address } | null {
    try {
      return { local: this.#sock.getsockname(), remote: this.#to };
    } catch {
      return null;
    }
  }

  shutdown(): void {}

  reset(): void {
    this.end();
  }

  close(): Promise<void> {
    this.end();
    return Promise.resolve();
  }

  /** Its call failed taking a datagram: receive() rejects with `err`. */
  fail(err: unknown): void {
    if (this.#done) return;
    this.#failure = err;
    this.end();
  }

  /** No more datagrams for this call: its receive() resolves, and the listener forgets it. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#forget();
    this.#ended.resolve();
  }
}
