/**
 * One connected stream (TCP or Unix) with Python's recv/send semantics on top of a Node
 * socket.
 *
 * Reading: nothing is read from the kernel until the first recv(). After that, chunks
 * arrive through Node's 'data' events into a queue; past QUEUE_LIMIT queued bytes the
 * socket is paused, so an idle reader pushes back on the sender. recv(n) takes at most n
 * queued bytes, so it returns as soon as one byte is there. A reader that promises to be
 * done with each chunk before it asks for the next (`next(n, d, true)`, behind
 * `chunks({ reuse: true })`) makes the socket read into a few reused buffers instead
 * (read-pool.ts); everyone else gets copies of those, never the pool's memory.
 * forward() hands every chunk to another connection straight from Node's read callback.
 * Writing: every send waits until the kernel took the bytes, which is the backpressure,
 * and lets the caller reuse its buffer as soon as send resolves (see #write for how).
 */
import type { Socket as NetSocket } from "node:net";
import { debuglog } from "node:util";
import { BlockingIOError, fromNodeError, type OSError, oserror } from "../errors.js";
import { ReadPool, useReadPool } from "./read-pool.js";
import { Deadline, race, until } from "./wait.js";

const debug = debuglog("hotline");

/** Bytes received but not yet taken by recv() before reading from the kernel pauses. */
const QUEUE_LIMIT = 64 * 1024;

interface Reader {
  n: number;
  /** What the promise resolves to: an iterator result (next) or the bytes themselves (recv). */
  iterate: boolean;
  /** May take bytes in the read pool's memory as they are, until it asks again. */
  borrow: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Where a forward's bytes go: called with each chunk as it arrives; returns nothing once
 * done with it, or a promise while it still needs the chunk (reading pauses until then).
 */
export type Sink = (chunk: Buffer) => PromiseLike<void> | undefined;

/** A running forward(): where the bytes go, and how the call ends. */
interface Relay {
  sink: Sink;
  /** The connection behind `sink`, if it is one: its failure ends the forward, and `end` shuts it down. */
  dest: StreamConn | null;
  end: boolean;
  bytes: number;
  /** Chunks the sink still needs. */
  pending: number;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
}

/** What a StreamConn over TLS does differently (hotline/ssl sets it; see the fields). */
export interface StreamTls {
  drainOnCloseMs: number;
  mapError: (err: unknown) => OSError | null;
}

const END: IteratorResult<Buffer> = { value: undefined, done: true };

/** recv()'s answer as an async iterator's result: bytes, or done at end of stream. */
export function asResult(data: Buffer | null): IteratorResult<Buffer> {
  return data ? { value: data, done: false } : END;
}

/** Settles a waiting recv (bytes) or next (an iterator result). */
function answer(reader: Reader, data: Buffer | null): void {
  reader.resolve(reader.iterate ? asResult(data) : data);
}

/** What a send the kernel took at once returns. */
const DONE = Promise.resolve();
const EMPTY = Buffer.alloc(0);

export class StreamConn {
  readonly #sock: NetSocket;
  #error: OSError | null = null;
  #eof = false;
  #reading = false;
  #readShut = false;
  #writeShut = false;
  #closing: Promise<void> | null = null;
  /** Received, not yet taken by recv(); at most about QUEUE_LIMIT bytes. */
  readonly #queue: Buffer[] = [];
  /** Beside each queued chunk, the read pool's buffer it lies in, or null. */
  readonly #owners: (Buffer | null)[] = [];
  #queued = 0;
  /**
   * Who waits for the next change (#change, a forward's watch on its destination). Made,
   * with the 'drain' listener only they need, when the first one comes: most connections
   * never have one (a blocking recv and forward are answered from the callbacks).
   */
  #waiters: Set<() => void> | null = null;
  /** Wakes every waiter once; a waiter that still has to wait registers again. */
  readonly #wake = (): void => {
    if (this.#reader) this.#serveReader(this.#reader);
    if (this.#relay) this.#relayCheck(this.#relay);
    if (this.#waiters === null || this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter();
  };
  /** A blocking recv() waiting for data, answered straight from the 'data' handler. */
  #reader: Reader | null = null;
  /** The reused buffers reads go into, once a borrowing reader asked (null: fresh ones). */
  #pool: ReadPool | null = null;
  /** A borrowing reader asked; the pool starts when bytes first arrive, so idle connections have none. */
  #poolWanted = false;
  #poolTried = false;
  /** Set while forward() runs: every chunk goes to another connection as it arrives. */
  #relay: Relay | null = null;

  /**
   * TLS (hotline/ssl): after close() sent close_notify and FIN, keep reading (and dropping)
   * until the peer closes too or this many ms pass. A TLS 1.3 server sends its session
   * tickets after the handshake; landing on a closed socket they make the kernel answer
   * with RST, and the peer loses whatever it had not read yet. 0: close at once.
   */
  readonly #drainMs: number;
  /** hotline/ssl: turns the stream's failures into its own errors (SSLError for TLS alerts). */
  readonly #mapError: ((err: unknown) => OSError | null) | null;

  constructor(sock: NetSocket, tls: StreamTls | null = null) {
    this.#sock = sock;
    this.#drainMs = tls?.drainOnCloseMs ?? 0;
    this.#mapError = tls?.mapError ?? null;
    sock.on("error", (err) => {
      debug("stream error %s", (err as { code?: string }).code);
      this.#error ??= this.#mapError?.(err) ?? streamError(err);
      this.#wake();
    });
    sock.on("end", () => {
      this.#eof = true;
      this.#wake();
    });
    sock.on("close", this.#wake);
  }

  /** Wakes `waiter` at the next change (data, end, error, close, drain). */
  #addWaiter(waiter: () => void): void {
    if (this.#waiters === null) {
      this.#waiters = new Set();
      this.#sock.on("drain", this.#wake);
    }
    this.#waiters.add(waiter);
  }

  /** The Node socket, for addresses and options. Never read from or write to it directly. */
  get sock(): NetSocket {
    return this.#sock;
  }

  /** Up to `n` bytes as soon as any are there; null at end of stream. */
  recv(n: number, deadline: Deadline, peek = false): Promise<Buffer | null> {
    return this.#receive(n, deadline, peek, false, false);
  }

  /**
   * recv() for async iteration: resolves straight to the iterator's result, which saves
   * the extra promise and microtask turn of `recv().then(asResult)` on every chunk. With
   * `borrow`, the chunk may lie in memory that is reused once next() is called again.
   */
  next(n: number, deadline: Deadline, borrow = false): Promise<IteratorResult<Buffer>> {
    return this.#receive(n, deadline, false, true, borrow);
  }

  #receive(n: number, deadline: Deadline, peek: boolean, iterate: false, borrow: false): Promise<Buffer | null>;
  #receive(
    n: number,
    deadline: Deadline,
    peek: boolean,
    iterate: true,
    borrow: boolean,
  ): Promise<IteratorResult<Buffer>>;
  #receive(n: number, deadline: Deadline, peek: boolean, iterate: boolean, borrow: boolean): Promise<unknown> {
    if (this.#relay !== null) return Promise.reject(oserror("EBUSY", "forward() is reading this socket"));
    if (!this.#reading) this.#startReading();
    if (this.#pool !== null) this.#endLoan();
    else if (borrow && !this.#poolTried) this.#poolWanted = true;
    try {
      const now = this.#ready(n, peek, borrow);
      if (now !== undefined) return Promise.resolve(iterate ? asResult(now) : now);
    } catch (err) {
      return Promise.reject(err);
    }
    if (deadline.unbounded && !peek && this.#reader === null) {
      // The hot path: the 'data' handler hands the bytes over itself, one turn later.
      return new Promise((resolve, reject) => {
        this.#reader = { n, iterate, borrow, resolve, reject };
      });
    }
    const later = this.#recvWithin(n, deadline, peek, borrow);
    return iterate ? later.then(asResult) : later;
  }

  async #recvWithin(n: number, deadline: Deadline, peek: boolean, borrow: boolean): Promise<Buffer | null> {
    for (;;) {
      await this.#change(deadline);
      const now = this.#ready(n, peek, borrow);
      if (now !== undefined) return now;
    }
  }

  /** What recv returns now: bytes, null (end of stream), a throw; undefined means wait. */
  #ready(n: number, peek: boolean, borrow: boolean): Buffer | null | undefined {
    if (this.#readShut) return null;
    if (this.#error) throw this.#error;
    if (this.#queued > 0) return this.#take(n, peek, borrow);
    if (this.#eof || this.#sock.destroyed) return null;
    return undefined;
  }

  #serveReader(reader: Reader): void {
    try {
      const now = this.#ready(reader.n, false, reader.borrow);
      if (now === undefined) return;
      this.#reader = null;
      answer(reader, now);
    } catch (err) {
      this.#reader = null;
      reader.reject(err);
    }
  }

  /**
   * Reads through Node's 'data' events (its shortest path from the kernel to us) into a
   * queue; past QUEUE_LIMIT queued bytes the socket is paused, so the kernel stops
   * reading and the sender feels it.
   */
  #startReading(): void {
    this.#reading = true;
    this.#sock.on("data", this.#arrived);
    this.#sock.resume(); // an accepted socket starts paused (pauseOnConnect)
  }

  /** Reads from now on go into reused buffers, if this Node allows it (read-pool.ts). */
  #startPool(): void {
    this.#poolWanted = false;
    this.#poolTried = true;
    const pool = new ReadPool();
    if (useReadPool(this.#sock, pool, this.#arrived)) this.#pool = pool;
  }

  /** Bytes from the kernel (`owner`: the pool buffer they lie in): to a waiting reader, else into the queue. */
  readonly #arrived = (chunk: Buffer, owner: Buffer | null = null): void => {
    if (this.#poolWanted) this.#startPool(); // for the reads after this one
    const relay = this.#relay;
    if (relay !== null) {
      // A chunk that comes while dest still holds one waits its turn in the queue.
      if (relay.pending > 0 || this.#queued > 0) this.#enqueue(chunk, owner);
      else this.#relayChunk(relay, chunk, owner);
      return;
    }
    const reader = this.#reader;
    if (reader !== null && this.#queued === 0 && chunk.length <= reader.n) {
      // The hot path: a waiting recv() takes the whole chunk; nothing to queue.
      this.#reader = null;
      answer(reader, this.#handOut(chunk, owner, reader.borrow));
      if (owner !== null) this.#pool?.dequeued(owner);
      if (this.#waiters !== null && this.#waiters.size > 0) this.#wake();
      return;
    }
    this.#enqueue(chunk, owner);
    this.#wake();
  };

  #enqueue(chunk: Buffer, owner: Buffer | null): void {
    this.#queue.push(chunk);
    this.#owners.push(owner);
    this.#queued += chunk.length;
    if (this.#queued >= QUEUE_LIMIT) this.#sock.pause();
  }

  /**
   * `view` as a reader gets it: as it is, unless it lies in the read pool (`owner`), whose
   * memory only a borrowing reader may have (lent until it asks again); others get a copy.
   */
  #handOut(view: Buffer, owner: Buffer | null, borrow: boolean): Buffer {
    if (owner === null) return view;
    if (!borrow) return Buffer.from(view);
    this.#pool?.lend(owner);
    return view;
  }

  /** A borrowing reader asks again, so it is done with its chunk: that buffer may be reused. */
  #endLoan(): void {
    this.#pool?.endLoan(this.#owners[0]);
    this.#resumeIfRoom();
  }

  /** Reading goes on once the queue has room, a forward's writes are out and, with a pool, a buffer is free. */
  #resumeIfRoom(): void {
    if (!this.#sock.isPaused() || this.#readShut || this.#queued >= QUEUE_LIMIT) return;
    if (this.#relay !== null && this.#relay.pending > 0) return;
    if (this.#pool === null || this.#pool.free > 0) this.#sock.resume();
  }

  /**
   * Sends everything received to `dest`, a connection or a sink function, until end of
   * stream; then shuts down dest's writing side if it is a connection and `end` is set.
   * Resolves to the byte count (Socket.forward). Each chunk goes to dest from the read
   * callback itself, with no promise per chunk. While dest still needs a chunk (a write
   * the kernel did not take at once, a sink's promise), reading pauses (backpressure) and
   * the chunk's pool buffer is held.
   */
  forward(dest: StreamConn | Sink, end: boolean): Promise<number> {
    if (this.#relay !== null || this.#reader !== null) {
      return Promise.reject(oserror("EBUSY", "this socket is already being read"));
    }
    const conn = dest instanceof StreamConn ? dest : null;
    try {
      if (conn) conn.#checkWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    const sink = conn ? (chunk: Buffer) => conn.#relayWrite(chunk) : (dest as Sink);
    return new Promise<number>((resolve, reject) => {
      const relay: Relay = { sink, dest: conn, end, bytes: 0, pending: 0, resolve, reject };
      this.#relay = relay;
      if (!this.#poolTried) this.#poolWanted = true;
      this.#relayQueued(relay); // what was received before goes first
      if (conn && conn !== this) {
        // dest failing ends the call even while nothing arrives here. (An echo's dest is
        // this connection, whose failure #relayCheck sees already.)
        const watch = (): void => {
          if (this.#relay !== relay) return;
          if (conn.#error) this.#relayEnd(relay, conn.#error);
          else conn.#addWaiter(watch);
        };
        conn.#addWaiter(watch);
      }
      if (!this.#reading) this.#startReading();
      else this.#resumeIfRoom();
      this.#relayCheck(relay);
    });
  }

  /**
   * Relays queued chunks in order while dest holds none (a sink is never handed a chunk
   * before it is done with the last). After shutdown(SHUT_RD) queued bytes are gone.
   */
  #relayQueued(relay: Relay): void {
    while (this.#relay === relay && relay.pending === 0 && !this.#readShut && this.#queue.length > 0) {
      const chunk = this.#queue.shift() as Buffer;
      this.#queued -= chunk.length;
      this.#relayChunk(relay, chunk, this.#owners.shift() ?? null);
    }
  }

  /** A forward's write into this connection: nothing once the kernel took the bytes, else a promise. */
  #relayWrite(chunk: Buffer): Promise<void> | undefined {
    this.#checkWritable();
    const written = this.#write(chunk);
    return written === DONE ? undefined : written;
  }

  #relayChunk(relay: Relay, chunk: Buffer, owner: Buffer | null): void {
    let wait: PromiseLike<void> | undefined;
    try {
      wait = relay.sink(chunk);
    } catch (err) {
      this.#pool?.dequeued(owner);
      this.#relayEnd(relay, err);
      return;
    }
    relay.bytes += chunk.length;
    if (typeof wait?.then !== "function") {
      this.#pool?.dequeued(owner); // dest is done with it: the buffer is free again
      return;
    }
    relay.pending++;
    this.#sock.pause();
    (wait as PromiseLike<void>).then(
      () => {
        relay.pending--;
        this.#pool?.dequeued(owner);
        this.#relayQueued(relay);
        this.#resumeIfRoom();
        this.#relayCheck(relay);
      },
      (err: unknown) => {
        relay.pending--;
        this.#pool?.dequeued(owner);
        this.#relayEnd(relay, err);
      },
    );
  }

  /** Ends the forward once this side's stream has ended and dest has every byte, or either side failed. */
  #relayCheck(relay: Relay): void {
    if (this.#relay !== relay) return;
    const failure = this.#error ?? (relay.dest ? relay.dest.#error : null);
    if (failure) {
      this.#relayEnd(relay, failure);
      return;
    }
    if (!(this.#readShut || this.#eof || this.#sock.destroyed) || relay.pending > 0) return;
    if (this.#queue.length > 0 && !this.#readShut) return; // still to relay
    this.#relay = null;
    if (relay.end) relay.dest?.shutdownWrite();
    relay.resolve(relay.bytes);
  }

  #relayEnd(relay: Relay, err: unknown): void {
    if (this.#relay !== relay) return;
    this.#relay = null;
    relay.reject(err);
  }

  /** Up to `n` queued bytes (chunks joined when several fit); resumes reading when there is room. */
  #take(n: number, peek: boolean, borrow: boolean): Buffer {
    const head = this.#queue[0] as Buffer;
    // The common case: one chunk queued, and it fits.
    const whole = head.length <= n && this.#queue.length === 1;
    const size = whole ? head.length : Math.min(n, this.#queued);
    const inHead = whole || head.length >= size;
    const taken = whole ? head : inHead ? head.subarray(0, size) : Buffer.concat(this.#queue, size);
    const out = this.#handOut(taken, inHead ? (this.#owners[0] ?? null) : null, borrow && !peek);
    if (peek) return out;
    if (whole) {
      this.#queue.pop(); // not `length = 0`, which frees the array's storage
      this.#pool?.dequeued(this.#owners.pop());
    } else this.#drop(size);
    this.#queued -= size;
    this.#resumeIfRoom();
    return out;
  }

  /** Removes `size` bytes from the front of the queue. */
  #drop(size: number): void {
    for (let left = size; left > 0; ) {
      const first = this.#queue[0] as Buffer;
      if (first.length > left) {
        this.#queue[0] = first.subarray(left);
        return;
      }
      this.#queue.shift();
      this.#pool?.dequeued(this.#owners.shift());
      left -= first.length;
    }
  }

  /**
   * Hands all of `data` to the kernel; resolves when it took the last byte. A blocking
   * send queues at once, so sends made without awaiting keep their order and survive a
   * close() right after them. With a timeout, send first waits for room (a send that
   * times out there has sent nothing); non-blocking, it fails at once when there is none.
   */
  sendall(data: Uint8Array, deadline: Deadline): Promise<void> {
    // Not an async function: returning the write's own promise saves the two extra
    // microtask turns an async function spends adopting it, on every send.
    try {
      this.#checkWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    if (deadline.unbounded) return this.#write(data); // the hot path: no timer, no listeners
    return this.#sendallWithin(data, deadline);
  }

  async #sendallWithin(data: Uint8Array, deadline: Deadline): Promise<void> {
    const sock = this.#sock;
    if (deadline.nonBlocking) {
      if (sock.writableNeedDrain) throw new BlockingIOError("EAGAIN");
      sock.write(Buffer.from(data)); // nothing may wait: copy, as the kernel would
      return;
    }
    while (sock.writableNeedDrain) {
      await this.#change(deadline);
      this.#checkWritable();
    }
    await race(deadline, this.#write(data));
  }

  /**
   * Writes and resolves when the kernel took the bytes. Most writes on a socket with room
   * are taken inside write() itself (libuv tries the syscall at once): then Node holds
   * nothing and recorded no error, and the send is done now: no callback, no promise of
   * its own (measured: 3-4% more echo messages per second than a callback per write).
   * Otherwise an empty write queued behind it calls back once everything before it is
   * out, since Node writes in order (and fails it with the real error if a write fails).
   */
  #write(data: Uint8Array): Promise<void> {
    const sock = this.#sock;
    sock.write(data);
    if (sock.errored) return Promise.reject(this.#error ?? fromNodeError(sock.errored));
    if (sock.writableLength === 0) return DONE;
    return new Promise<void>((resolve, reject) => {
      sock.write(EMPTY, (err) => (err ? reject(this.#error ?? fromNodeError(err)) : resolve()));
    });
  }

  /**
   * hotline/ssl (STARTTLS): stops reading and returns what was received but not taken yet
   * (copies), so the Node socket can be handed on, wrapped in TLS, with nothing lost.
   */
  release(): Buffer[] {
    this.#sock.off("data", this.#arrived);
    this.#sock.pause();
    const queued = this.#queue.splice(0).map((chunk) => Buffer.from(chunk));
    this.#owners.length = 0;
    this.#queued = 0;
    return queued;
  }

  /** shutdown(SHUT_RD): every later recv reads end of stream. */
  shutdownRead(): void {
    this.#readShut = true;
    this.#wake();
  }

  /** shutdown(SHUT_WR): sends FIN once queued data is out; reading goes on. */
  shutdownWrite(): void {
    if (this.#writeShut) return;
    this.#writeShut = true;
    if (!this.#sock.destroyed) this.#sock.end();
  }

  /**
   * Closes as Python does: queued data still goes out, then FIN, while the caller moves
   * on (the flush keeps the process alive until it is done, as the kernel would). With a
   * linger time, close waits up to that long for the flush and then drops the rest with
   * RST; linger 0 resets at once. Never rejects.
   */
  close(lingerSeconds: number | null): Promise<void> {
    if (this.#closing) return this.#closing;
    const sock = this.#sock;
    this.#readShut = true;
    this.#writeShut = true;
    this.#wake();
    if (lingerSeconds === 0) {
      // Node 20-24 cannot reset while its FIN is still queued (libuv refuses, and the
      // handle is then never closed: the process spins at exit). Closing discards what
      // is queued all the same; the kernel sends RST if unread data is left.
      if (sock.writableEnded && !sock.writableFinished) sock.destroy();
      else reset(sock);
    } else if (!sock.destroyed) {
      sock.end();
      if (sock.writableFinished) this.#finish();
      else sock.once("finish", () => this.#finish());
    }
    this.#closing =
      lingerSeconds === null
        ? Promise.resolve()
        : until<void>(Deadline.after(lingerSeconds), (done) => {
            if (sock.closed) done();
            sock.once("close", done);
            return () => sock.off("close", done);
          }).catch(() => {
            reset(sock);
          });
    return this.#closing;
  }

  /** Everything is out: destroy now, or (TLS) once the peer closes or #drainMs passed. */
  #finish(): void {
    const sock = this.#sock;
    if (this.#drainMs === 0 || sock.destroyed || this.#eof) {
      sock.destroy();
      return;
    }
    sock.off("data", this.#arrived);
    sock.on("data", () => {});
    sock.resume();
    const timer = setTimeout(() => sock.destroy(), this.#drainMs);
    sock.once("end", () => sock.destroy());
    sock.once("close", () => clearTimeout(timer));
  }

  #checkWritable(): void {
    if (this.#error) throw this.#error;
    if (this.#writeShut || this.#sock.destroyed || !this.#sock.writable) throw oserror("EPIPE");
  }

  /** Resolves at the next event that may change what recv or send can do. */
  #change(deadline: Deadline): Promise<void> {
    if (deadline.unbounded) return new Promise<void>((resolve) => this.#addWaiter(resolve)); // the hot path
    return until<void>(deadline, (done) => {
      const waiter = (): void => done();
      this.#addWaiter(waiter);
      return () => this.#waiters?.delete(waiter);
    });
  }
}

/**
 * A connection's failure as Python's error, with no stack frames: it is made in Node's
 * event callback, whose frames are Node's internals and none of the caller's, and
 * capturing them was most of its cost (6.8 against 0.7 µs on the bench machine), paid
 * once by every connection a peer resets. Node's own error stays as its cause.
 */
function streamError(err: unknown): OSError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fromNodeError(err);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * RST for TCP. A Unix stream has no reset: Node throws for it (and the socket stayed
 * open), so it is destroyed, which drops what is queued all the same.
 */
function reset(sock: NetSocket): void {
  try {
    sock.resetAndDestroy();
  } catch {
    sock.destroy();
  }
}
