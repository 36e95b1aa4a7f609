/**
 * A listening stream socket (TCP or Unix) with Python's accept() on top of a Node server.
 *
 * Node has no bind-only step and accepts eagerly, so the listen backlog is enforced here:
 * accepted sockets wait paused (nothing is read) in a queue of at most `backlog`; one
 * more is reset at once, so the caller sees an explicit refusal instead of a silent hang.
 */
import { stat } from "node:fs/promises";
import { createServer, type ListenOptions, Socket as NetSocket, type Server } from "node:net";
import { dirname } from "node:path";
import { debuglog } from "node:util";
import { formatAddress, isAbstractName } from "../address.js";
import { SOMAXCONN } from "../constants.js";
import { fromNodeError, type OSError, oserror } from "../errors.js";
import { StreamConn } from "./stream-conn.js";
import { Deadline, until } from "./wait.js";

const debug = debuglog("hotline");

/** Backlog until listen() says otherwise (connections may arrive between bind and listen). */
const BACKLOG_BEFORE_LISTEN = 128;

export class StreamListener {
  readonly #server: Server;
  readonly #queue: StreamConn[] = [];
  readonly #waiters = new Set<() => void>();
  /** accept() calls without a deadline, oldest first: an arriving connection goes straight to the first. */
  readonly #takers: Taker[] = [];
  #backlog = BACKLOG_BEFORE_LISTEN;
  #error: OSError | null = null;
  #closed = false;
  /** TCP_NODELAY is on for the listening socket itself, so every connection it accepts has it. */
  #noDelay = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  /**
   * Binds and starts listening; fails with Python's errors (EADDRINUSE, EACCES, ...).
   * With `noDelay`, TCP_NODELAY is set on the listening socket, where Linux lets
   * accepted connections inherit it (see `noDelay`). With `reusePort`, SO_REUSEPORT: other
   * listeners may bind the same port, and the kernel spreads connections among them.
   */
  static async open(options: ListenOptions, noDelay = false, reusePort = false): Promise<StreamListener> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const listener = new StreamListener(server);
    await until<void>(Deadline.never, (done, fail) => {
      const failed = (err: Error): void => fail(fromNodeError(err, describeListen(options)));
      server.once("error", failed);
      // The kernel's queue as deep as allowed: hotline enforces listen(n) itself, and a
      // shallow kernel queue slows connection setup under bursts (measured: 10x fewer
      // connections per second with 511 than with 4096, `npm run bench -- rate`).
      // reusePort (Node 22.12+, 23.1+; older Nodes ignore it, so createServer refuses it there).
      server.listen({ ...options, backlog: SOMAXCONN, ...(reusePort ? { reusePort } : {}) }, done);
      return () => server.off("error", failed);
    }).catch(async (err: OSError) => {
      throw options.path === undefined ? err : await unixBindError(err, options.path);
    });
    server.on("error", (err) => {
      listener.#error ??= fromNodeError(err);
      listener.#failTakers(listener.#error);
      listener.#wake();
    });
    server.on("connection", (sock) => listener.#arrive(sock));
    // A caller whose handshake completed between listen(2) and this setsockopt did not
    // inherit TCP_NODELAY. libuv takes every queued connection in the first poll after
    // now, and the check phase comes after that poll: from then on, all inherited it.
    if (noDelay && setListenerNoDelay(server)) {
      setImmediate(() => {
        listener.#noDelay = true;
      });
    }
    return listener;
  }

  /**
   * True when every connection accepted here has TCP_NODELAY from the kernel already:
   * Linux copies it from the listening socket, so no setsockopt per connection is needed.
   */
  get noDelay(): boolean {
    return this.#noDelay;
  }

  get server(): Server {
    return this.#server;
  }

  /** listen(n): at most n connections wait for accept(). */
  setBacklog(backlog: number): void {
    this.#backlog = Math.max(1, backlog);
  }

  /** The next waiting connection, paused; its data stays in the kernel until read. */
  accept(deadline: Deadline): Promise<StreamConn> {
    // Not an async function: a waiting connection is handed over with no extra turn, and
    // a blocking wait is one promise that #arrive resolves, with no timer and no cleanup.
    if (this.#closed) return Promise.reject(oserror("EBADF"));
    const conn = this.#queue.shift();
    if (conn) return Promise.resolve(conn);
    if (this.#error) return Promise.reject(this.#error);
    // A blocking accept is handed its connection by #arrive: one promise, no second look.
    if (deadline.unbounded) return new Promise<StreamConn>((resolve, reject) => this.#takers.push({ resolve, reject }));
    const next = (): Promise<StreamConn> => this.accept(deadline);
    return until<void>(deadline, (done) => {
      const waiter = (): void => done();
      this.#waiters.add(waiter);
      return () => this.#waiters.delete(waiter);
    }).then(next);
  }

  /**
   * Stops listening and resets connections nobody accepted. Accepted connections live
   * on. Node closes the listening descriptor at once (its 'close' event would wait for
   * every accepted connection), so the address is free when this returns.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const conn of this.#queue.splice(0)) conn.sock.destroy();
      this.#failTakers(oserror("EBADF"));
      this.#wake();
      this.#server.close();
    }
    return Promise.resolve();
  }

  #arrive(sock: NetSocket): void {
    const conn = new StreamConn(sock); // its error listener is attached before anything can fail
    const taker = this.#takers.shift();
    if (taker) {
      taker.resolve(conn); // accepted at once: it never waits in the queue
      return;
    }
    if (this.#queue.length >= this.#backlog) {
      debug("backlog of %d full: resetting a connection", this.#backlog);
      sock.resetAndDestroy();
      return;
    }
    this.#queue.push(conn);
    this.#wake();
  }

  #failTakers(err: OSError): void {
    for (const taker of this.#takers.splice(0)) taker.reject(err);
  }

  /** Wakes every waiting accept once; one that finds nothing waits again. */
  #wake(): void {
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter();
  }
}

interface Taker {
  resolve: (conn: StreamConn) => void;
  reject: (err: OSError) => void;
}

type NoDelayHandle = { setNoDelay?: (on: boolean) => number };

/**
 * TCP_NODELAY on a listening TCP socket, which Linux copies into every connection it
 * accepts: one setsockopt instead of one per connection (3-4 µs of the ~45 µs a
 * connection costs, `npm run bench -- rate`). Linux only, where that inheritance is the
 * kernel's behaviour; and only where Node's socket can be told the option is on
 * (markNoDelay), or a later setsockopt(TCP_NODELAY, 0) would be skipped as a no-op.
 */
function setListenerNoDelay(server: Server): boolean {
  if (process.platform !== "linux" || noDelayField() === null) return false;
  const handle = (server as unknown as { _handle?: NoDelayHandle | null })._handle;
  return typeof handle?.setNoDelay === "function" && handle.setNoDelay(true) === 0;
}

let noDelaySymbol: symbol | null | undefined;

/** Node's record of TCP_NODELAY on a socket (it skips a setNoDelay that changes nothing). */
function noDelayField(): symbol | null {
  if (noDelaySymbol !== undefined) return noDelaySymbol;
  const probe = new NetSocket();
  noDelaySymbol = Object.getOwnPropertySymbols(probe).find((s) => s.description === "kSetNoDelay") ?? null;
  probe.destroy();
  return noDelaySymbol;
}

/** Tells Node that `sock` has TCP_NODELAY, which it inherited from its listener. */
export function markNoDelay(sock: NetSocket): void {
  (sock as unknown as Record<symbol, boolean>)[noDelayField() as symbol] = true;
}

/**
 * Whether this Node passes `reusePort` on to the kernel: net.Server's listen() learned it
 * in 23.1.0 and 22.12.0. Older Nodes ignore the option, so the port would not be shared.
 */
export function reusePortSupported(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * libuv's pipe bind turns the kernel's ENOENT (a directory of the path is missing) into
 * EACCES, to match Windows. Python says FileNotFoundError there, so when bind reports
 * EACCES and the directory is not there, the error is ENOENT again. A directory that is
 * there but not writable stays PermissionError.
 */
async function unixBindError(err: OSError, path: string): Promise<OSError> {
  if (err.code !== "EACCES" || isAbstractName(path)) return err; // an abstract name has no directory
  const missing = await stat(dirname(path)).then(
    () => false,
    (statError: NodeJS.ErrnoException) => statError.code === "ENOENT",
  );
  return missing ? oserror("ENOENT", path, err.cause) : err;
}

function describeListen(options: ListenOptions): string {
  if (options.path !== undefined) return formatAddress(options.path); // "@name" for an abstract name, not a raw NUL
  const host = options.host ?? "";
  return host.includes(":") ? `[${host}]:${options.port}` : `${host}:${options.port}`;
}
