/**
 * Reading a socket into a few buffers that are used again and again, instead of the
 * fresh 64 KiB Node allocates for every read. On a fast pipe that fresh memory costs more
 * than the reads: page faults and garbage collection (docs/benchmarks.md).
 *
 * Node has this built in, as net.Socket's `onread` option, but only for sockets it
 * constructs itself, never for accepted ones. What the option does is set three fields
 * on the socket and call useUserBuffer() on its handle; useReadPool() does the same on a
 * live socket. These are Node internals, the same in Node 20, 22 and 24; when one is
 * missing, useReadPool() returns false and the socket reads as before, with fresh
 * buffers. test/integration/stream-contract.test.ts fails if the pool stops being used.
 */
import { Socket as NetSocket } from "node:net";

/** Buffers in a pool: the one Node reads into, one lent out, and room to read ahead. */
const POOL_BUFFERS = 4;
/** As large as Node's own read buffers. */
const POOL_BUFFER_SIZE = 64 * 1024;

/**
 * The pool's bookkeeping. A buffer is in exactly one place: with Node (being read into),
 * queued (bytes not taken yet), lent (the chunk a reader has now), or free. Only free
 * buffers are handed to Node, so a byte is never overwritten before it was taken and
 * the borrower asked for the next chunk. Buffers are made when first needed, so a
 * connection that only trickles uses one or two.
 *
 * Chunks are known by their owner, the pool buffer they lie in (null for bytes read
 * before the pool started), which the reader keeps beside each chunk: cheaper than
 * asking a view for its ArrayBuffer, which V8 does in C++.
 */
export class ReadPool {
  readonly #free: Buffer[] = [];
  #made = 0;
  #lent: Buffer | null = null;
  readonly #count: number;
  readonly #size: number;

  constructor(count = POOL_BUFFERS, size = POOL_BUFFER_SIZE) {
    this.#count = count;
    this.#size = size;
  }

  /** Free buffers, counting those not made yet: reading pauses before the last goes to Node. */
  get free(): number {
    return this.#free.length + Math.max(0, this.#count - this.#made);
  }

  /** The next buffer for Node to read into. Never one in use: past its count the pool grows. */
  take(): Buffer {
    const free = this.#free.pop();
    if (free) return free;
    this.#made++;
    return Buffer.allocUnsafeSlow(this.#size);
  }

  /** The chunk in `owner` goes to a reader who may use it until it asks for the next. */
  lend(owner: Buffer): void {
    this.#lent = owner;
  }

  /**
   * The reader asked for the next chunk, so it is done with the one it was lent. That
   * buffer is free unless bytes of it are still queued (`head`: the owner of the queue's
   * first chunk).
   */
  endLoan(head: Buffer | null | undefined): void {
    const lent = this.#lent;
    if (lent === null) return;
    this.#lent = null;
    if (head !== lent) this.#free.push(lent);
  }

  /** The last bytes in `owner` left the queue: it is free unless they were just lent. */
  dequeued(owner: Buffer | null | undefined): void {
    if (owner && owner !== this.#lent) this.#free.push(owner);
  }
}

interface OnReadFields {
  buffer: symbol;
  callback: symbol;
  generate: symbol;
}

let fields: OnReadFields | null | undefined;

/** The socket fields behind `onread`, found by name on a socket made to look at. */
function onReadFields(): OnReadFields | null {
  if (fields !== undefined) return fields;
  const probe = new NetSocket();
  const named = (name: string): symbol | undefined =>
    Object.getOwnPropertySymbols(probe).find((s) => s.description === name);
  const [buffer, callback, generate] = [named("kBuffer"), named("kBufferCb"), named("kBufferGen")];
  fields = buffer && callback && generate ? { buffer, callback, generate } : null;
  probe.destroy();
  return fields;
}

type Handle = { useUserBuffer?: (buffer: Uint8Array) => void };

/**
 * From now on `sock` reads into buffers from `pool`, and every read goes to `arrived` as a
 * view of one of them, with that buffer (its owner). Reading pauses when the pool is down
 * to its last free buffer; the caller resumes it when buffers come back. Returns false
 * (and changes nothing) when Node lacks the internals this needs.
 */
export function useReadPool(sock: NetSocket, pool: ReadPool, arrived: (chunk: Buffer, owner: Buffer) => void): boolean {
  const f = onReadFields();
  const target = sock as unknown as Record<symbol, unknown> & { _handle?: Handle | null };
  const handle = target._handle;
  if (!f || typeof handle?.useUserBuffer !== "function" || target[f.buffer]) return false;
  const first = pool.take();
  target[f.buffer] = first;
  // Node calls this after every read with the buffer it filled, then asks generate()
  // for the buffer of the next read.
  target[f.callback] = (n: number, buffer: Buffer): boolean => {
    arrived(buffer.subarray(0, n), buffer);
    if (pool.free < 2) sock.pause(); // generate() is about to take the last free one
    return true;
  };
  target[f.generate] = () => pool.take();
  handle.useUserBuffer(first);
  return true;
}
