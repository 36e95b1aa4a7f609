/**
 * A UDP socket with Python's recvfrom/sendto semantics on top of a Node dgram socket.
 *
 * Node reads every datagram as it arrives and has no way to pause, so datagrams wait in a
 * queue bounded in bytes (SO_RCVBUF sets the bound). A datagram that does not fit is
 * dropped and counted in `dropped`, never lost silently. Errors Node reports later (ICMP
 * port unreachable on a connected socket) surface once, from the next recv.
 */
import { createSocket, type Socket as DgramSocket, type SocketOptions } from "node:dgram";
import { debuglog } from "node:util";
import { fromNodeError, type OSError, oserror } from "../errors.js";
import { Deadline, until } from "./wait.js";

const debug = debuglog("hotline");

/** Bytes the receive queue holds when SO_RCVBUF was not set. */
export const DEFAULT_QUEUE_BYTES = 1024 * 1024;
/** What one datagram costs in the queue beyond its payload, so empty ones count too. */
const DATAGRAM_OVERHEAD = 64;

export interface Received {
  data: Buffer;
  host: string;
  port: number;
}

export class DatagramSocket {
  readonly #sock: DgramSocket;
  readonly #queue: Received[] = [];
  readonly #waiters = new Set<() => void>();
  #queuedBytes = 0;
  #pendingError: OSError | null = null;
  #bound = false;
  #closed = false;
  /** Bound of the receive queue in bytes (payload plus a small overhead each). */
  queueLimit = DEFAULT_QUEUE_BYTES;
  /** Datagrams dropped because the queue was full. */
  dropped = 0;

  constructor(options: SocketOptions) {
    const sock = createSocket(options);
    this.#sock = sock;
    sock.on("error", (err) => {
      debug("datagram error %s", (err as { code?: string }).code);
      this.#pendingError = fromNodeError(err);
      this.#wake();
    });
    sock.on("listening", () => {
      this.#bound = true;
    });
    sock.on("message", (data, from) => this.#arrive(data, from.address, from.port));
    sock.on("close", () => this.#wake());
  }

  get sock(): DgramSocket {
    return this.#sock;
  }

  get bound(): boolean {
    return this.#bound;
  }

  async bind(host: string, port: number): Promise<void> {
    this.#checkOpen();
    await until<void>(Deadline.never, (done, fail) => {
      const failed = (err: Error): void => {
        this.#pendingError = null; // it belongs to bind(), not to a later recv
        fail(fromNodeError(err, `${host}:${port}`));
      };
      this.#sock.once("error", failed);
      this.#sock.bind({ address: host, port, exclusive: true }, () => done());
      return () => this.#sock.off("error", failed);
    });
  }

  async connect(host: string, port: number): Promise<void> {
    this.#checkOpen();
    await until<void>(Deadline.never, (done, fail) => {
      this.#sock.connect(port, host, (err?: Error) => (err ? fail(fromNodeError(err)) : done()));
      return () => {};
    });
  }

  /** Sends one datagram, to `to` or to the connected peer; resolves once it is sent. */
  async send(data: Uint8Array, to: { host: string; port: number } | null, deadline: Deadline): Promise<void> {
    this.#checkOpen();
    const payload = deadline.nonBlocking ? Buffer.from(data) : data;
    await until<void>(Deadline.never, (done, fail) => {
      const callback = (err: Error | null): void => (err ? fail(fromNodeError(err)) : done());
      try {
        if (to) this.#sock.send(payload, to.port, to.host, callback);
        else this.#sock.send(payload, callback);
      } catch (err) {
        fail(fromNodeError(err));
      }
      return () => {};
    });
  }

  /** The next datagram, cut to `n` bytes (the rest is discarded, as in Python). */
  async recvfrom(n: number, deadline: Deadline, peek = false): Promise<Received> {
    for (;;) {
      this.#checkOpen();
      const error = this.#pendingError;
      if (error) {
        this.#pendingError = null;
        throw error;
      }
      const first = this.#queue[0];
      if (first) {
        if (!peek) {
          this.#queue.shift();
          this.#queuedBytes -= first.data.length + DATAGRAM_OVERHEAD;
        }
        return { ...first, data: first.data.length > n ? first.data.subarray(0, n) : first.data };
      }
      await until<void>(deadline, (done) => {
        const waiter = (): void => done();
        this.#waiters.add(waiter);
        return () => this.#waiters.delete(waiter);
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake();
    await until<void>(Deadline.never, (done) => {
      try {
        this.#sock.close(() => done());
      } catch {
        done(); // never bound: nothing to close
      }
      return () => {};
    });
  }

  #arrive(data: Buffer, host: string, port: number): void {
    const cost = data.length + DATAGRAM_OVERHEAD;
    if (this.#queuedBytes + cost > this.queueLimit) {
      this.dropped += 1;
      debug("receive queue full: dropped a datagram of %d bytes", data.length);
      return;
    }
    this.#queuedBytes += cost;
    this.#queue.push({ data, host, port });
    this.#wake();
  }

  #checkOpen(): void {
    if (this.#closed) throw oserror("EBADF");
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }
}
