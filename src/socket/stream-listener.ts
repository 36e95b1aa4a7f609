/**
 * A listening stream socket (TCP or Unix) with Python's accept() on top of a Node server.
 *
 * Node has no bind-only step and accepts eagerly, so the listen backlog is enforced here:
 * accepted sockets wait paused (nothing is read) in a queue of at most `backlog`; one
 * more is reset at once, so the caller sees an explicit refusal instead of a silent hang.
 */
import { stat } from "node:fs/promises";
import { createServer, type ListenOptions, type Socket as NetSocket, type Server } from "node:net";
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
  #backlog = BACKLOG_BEFORE_LISTEN;
  #error: OSError | null = null;
  #closed = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Binds and starts listening; fails with Python's errors (EADDRINUSE, EACCES, ...). */
  static async open(options: ListenOptions): Promise<StreamListener> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const listener = new StreamListener(server);
    await until<void>(Deadline.never, (done, fail) => {
      const failed = (err: Error): void => fail(fromNodeError(err, describeListen(options)));
      server.once("error", failed);
      // The kernel's queue as deep as allowed: hotline enforces listen(n) itself, and a
      // shallow kernel queue slows connection setup under bursts (measured: 10x fewer
      // connections per second with 511 than with 4096, `npm run bench -- rate`).
      server.listen({ ...options, backlog: SOMAXCONN }, done);
      return () => server.off("error", failed);
    }).catch(async (err: OSError) => {
      throw options.path === undefined ? err : await unixBindError(err, options.path);
    });
    server.on("error", (err) => {
      listener.#error ??= fromNodeError(err);
      listener.#wake();
    });
    server.on("connection", (sock) => listener.#arrive(sock));
    return listener;
  }

  get server(): Server {
    return this.#server;
  }

  /** listen(n): at most n connections wait for accept(). */
  setBacklog(backlog: number): void {
    this.#backlog = Math.max(1, backlog);
  }

  /** The next waiting connection, paused; its data stays in the kernel until read. */
  async accept(deadline: Deadline): Promise<StreamConn> {
    for (;;) {
      if (this.#closed) throw oserror("EBADF");
      const conn = this.#queue.shift();
      if (conn) return conn;
      if (this.#error) throw this.#error;
      await until<void>(deadline, (done) => {
        const waiter = (): void => done();
        this.#waiters.add(waiter);
        return () => this.#waiters.delete(waiter);
      });
    }
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
      this.#wake();
      this.#server.close();
    }
    return Promise.resolve();
  }

  #arrive(sock: NetSocket): void {
    const conn = new StreamConn(sock); // its error listener is attached before anything can fail
    if (this.#queue.length >= this.#backlog) {
      debug("backlog of %d full: resetting a connection", this.#backlog);
      sock.resetAndDestroy();
      return;
    }
    this.#queue.push(conn);
    this.#wake();
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }
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
