/**
 * The socket object of Python's socket module, on Node.
 *
 * A Socket is a small state machine (fresh, bound, listening, connecting, connected,
 * closed) that hands each operation to the part that does it: StreamListener for
 * accept, StreamConn for recv/send on a stream, DatagramSocket for UDP. This file holds
 * argument checking, state and options; the parts hold the I/O.
 */
import { isIP, type NetConnectOpts, type Socket as NetSocket, connect as netConnect } from "node:net";
import {
  type Address,
  type AddressInput,
  checkInet,
  checkUnixPath,
  familyName,
  formatAddress,
  toAddress,
} from "../address.js";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV6_V6ONLY,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_BROADCAST,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  SOMAXCONN,
  TCP_KEEPIDLE,
  TCP_NODELAY,
} from "../constants.js";
import { fromNodeError, gaierror, type OSError, oserror, TimeoutError } from "../errors.js";
import { DatagramSocket } from "./datagram.js";
import { checkTimeout, getdefaulttimeout } from "./defaults.js";
import { resolveHost } from "./resolve.js";
import { checkSendfileArgs, type SendfileOptions, type SendfileSource, sendFile } from "./sendfile.js";
import { SocketFile, type SocketFileOptions } from "./socket-file.js";
import { asResult, type Sink, StreamConn, type StreamTls } from "./stream-conn.js";
import { markNoDelay, StreamListener } from "./stream-listener.js";
import { autobindName, checkAbstractName } from "./unix-names.js";
import { Deadline, race, until } from "./wait.js";

/** A socket option value: an integer, or bytes as Python's struct-packed values. */
export type SocketOptionValue = number | boolean | Uint8Array;

/** Bytes-like data that send and sendall accept. */
export type Bytes = Uint8Array;

type State =
  | { kind: "fresh" }
  | { kind: "bound"; listener: StreamListener }
  | { kind: "listening"; listener: StreamListener }
  | { kind: "connecting"; ready: Promise<StreamConn>; conn: StreamConn }
  | { kind: "connected"; conn: StreamConn }
  | { kind: "datagram"; dgram: DatagramSocket }
  | { kind: "closed" };

interface Options {
  keepAlive: boolean;
  /** TCP_KEEPIDLE in seconds; null: the system's (Linux: 2 hours). */
  keepIdle: number | null;
  noDelay: boolean;
  broadcast: boolean;
  reuseAddr: boolean;
  v6only: boolean;
  rcvbuf: number | null;
  sndbuf: number | null;
  /** SO_LINGER as [l_onoff, l_linger]. */
  linger: [number, number];
  /** SO_REUSEPORT for a listener: createServer's `reusePort` (set through shareListeningPort). */
  reusePort: boolean;
}

/**
 * createServer(..., { reusePort: true }): the socket's listener will share its port. A
 * function, not a method, so the option stays createServer's (Python's create_server
 * `reuse_port`); set from the class's static block, which can reach its private fields.
 */
export let shareListeningPort: (sock: Socket) => void;

/**
 * hotline/ssl's seam: Python's wrap_socket moves the file descriptor into the SSLSocket.
 * `from`'s options, timeout and Unix names go to `to`, and so does its listener when it
 * is bound or listening; a connected `from` gives up its Node socket (returned) for `to`
 * to wrap, and `to` stays as it was until adoptStream(). `from` is left closed (Python's
 * detached socket), or fresh (an SSLSocket dialling through a plain one).
 */
export let moveSocket: (from: Socket, to: Socket, leave: "closed" | "fresh") => NetSocket | null;

/** hotline/ssl's seam: a fresh `sock` is now connected over `stream`; false if it was closed meanwhile. */
export let adoptStream: (sock: Socket, stream: NetSocket, tls: StreamTls) => boolean;

const RECV_FLAGS = MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL;

/** Linux's bound for TCP_KEEPIDLE (MAX_TCP_KEEPIDLE), in seconds. */
const MAX_KEEPIDLE = 32767;
/** What TCP_KEEPIDLE reads before it is set: Linux's default tcp_keepalive_time. */
const SYSTEM_KEEPIDLE = 7200;

/**
 * Node's keepalive delay for these options, in ms: TCP_KEEPIDLE's, or 0 to leave the
 * system's. Given a delay, libuv also sets TCP_KEEPINTVL to 1 s and TCP_KEEPCNT to 10, so
 * a peer that vanished is found about 10 s after the first probe.
 */
function keepAliveDelay(opts: Options): number {
  return (opts.keepIdle ?? 0) * 1000;
}

export class Socket {
  /** Address family: AF_INET, AF_INET6 or AF_UNIX. */
  readonly family: number;
  /** SOCK_STREAM or SOCK_DGRAM (without SOCK_NONBLOCK/SOCK_CLOEXEC). */
  readonly type: number;
  /** The protocol number given to socket(), 0 by default. */
  readonly proto: number;
  #timeout: number | null;
  #state: State = { kind: "fresh" };
  #closing: Promise<void> | null = null;
  /** AF_UNIX only: the path this socket is bound to, and the one it connected to. */
  #unixLocal = "";
  #unixPeer = "";
  /** The error of a connect that failed in the background, for SO_ERROR. */
  #pendingError: OSError | null = null;
  #opts: Options;

  constructor(family: number = AF_INET, type: number = SOCK_STREAM, proto = 0) {
    if (!Number.isInteger(family) || !Number.isInteger(type) || !Number.isInteger(proto)) {
      throw new TypeError("family, type and proto must be integers");
    }
    const base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) {
      throw oserror("EAFNOSUPPORT", `${familyName(family)}: hotline supports AF_INET, AF_INET6 and AF_UNIX`);
    }
    if (base !== SOCK_STREAM && base !== SOCK_DGRAM) {
      throw oserror("ESOCKTNOSUPPORT", `type ${base}: Node offers only SOCK_STREAM and SOCK_DGRAM`);
    }
    if (family === AF_UNIX && base === SOCK_DGRAM) {
      throw oserror("ESOCKTNOSUPPORT", "AF_UNIX with SOCK_DGRAM: Node has no Unix datagram sockets");
    }
    const native = base === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    if (proto !== 0 && (family === AF_UNIX || proto !== native)) {
      throw oserror("EPROTONOSUPPORT", `protocol ${proto} with ${familyName(family)} and type ${base}`);
    }
    this.family = family;
    this.type = base;
    this.proto = proto;
    this.#timeout = type & SOCK_NONBLOCK && SOCK_NONBLOCK !== 0 ? 0 : getdefaulttimeout();
    this.#opts = {
      keepAlive: false,
      keepIdle: null,
      noDelay: false,
      broadcast: false,
      reuseAddr: base === SOCK_STREAM,
      v6only: true,
      rcvbuf: null,
      sndbuf: null,
      linger: [0, 0],
      reusePort: false,
    };
  }

  static {
    shareListeningPort = (sock) => {
      sock.#opts.reusePort = true;
    };
    moveSocket = (from, to, leave) => {
      const state = from.#open();
      if (state.kind === "connecting") throw oserror("EALREADY", "the socket is still connecting");
      if (state.kind === "datagram") throw oserror("EOPNOTSUPP", "only stream sockets can be wrapped");
      Object.assign(to.#opts, from.#opts);
      to.#timeout = from.#timeout;
      to.#unixLocal = from.#unixLocal;
      to.#unixPeer = from.#unixPeer;
      from.#state = { kind: leave };
      if (leave === "closed") from.#closing = Promise.resolve();
      if (state.kind === "connected") {
        // Bytes read ahead (a TLS hello after STARTTLS) go back into the Node socket, where TLS finds them.
        const raw = state.conn.sock;
        for (const chunk of state.conn.release().reverse()) raw.unshift(chunk);
        return raw;
      }
      to.#state = state;
      return null;
    };
    adoptStream = (sock, stream, tls) => {
      if (sock.#state.kind !== "fresh") return false;
      sock.#adopt(new StreamConn(stream, tls));
      return true;
    };
  }

  // ---- server side: bind, listen, accept ------------------------------------------------

  /** Binds to a local address; port 0 picks a free port, readable from getsockname(). */
  async bind(address: AddressInput): Promise<void> {
    this.#open();
    if (this.#state.kind !== "fresh") throw oserror("EINVAL", "the socket is already bound or connected");
    if (this.type === SOCK_DGRAM) {
      const target = await this.#resolve(address, Deadline.never);
      const dgram = this.#datagram();
      await dgram.bind(target.host, target.port);
      return;
    }
    let listener: StreamListener;
    if (this.family === AF_UNIX) {
      const path = checkUnixPath(address);
      checkAbstractName(path);
      [listener, this.#unixLocal] = path === "" ? await autobind() : [await StreamListener.open({ path }), path];
    } else {
      const target = await this.#resolve(address, Deadline.never);
      listener = await StreamListener.open(
        {
          host: target.host,
          port: target.port,
          ipv6Only: this.family === AF_INET6 && this.#opts.v6only,
        },
        this.#opts.noDelay,
        this.#opts.reusePort,
      );
    }
    if (this.#state.kind !== "fresh") {
      await listener.close(); // closed (or bound) while we were binding
      throw oserror("EBADF");
    }
    this.#state = { kind: "bound", listener };
  }

  /**
   * Starts accepting; at most `backlog` connections wait for accept() (the default is
   * min(SOMAXCONN, 128), as in Python). An unbound socket binds a free port first.
   */
  async listen(backlog?: number): Promise<void> {
    this.#open();
    if (backlog !== undefined && !Number.isInteger(backlog)) throw new TypeError("backlog must be an integer");
    if (this.type !== SOCK_STREAM) throw oserror("EOPNOTSUPP", "listen() needs a SOCK_STREAM socket");
    if (this.#state.kind === "fresh") {
      if (this.family === AF_UNIX) throw oserror("EINVAL", "bind an AF_UNIX socket to a path before listen()");
      await this.bind(this.family === AF_INET6 ? ["::", 0] : ["0.0.0.0", 0]);
    }
    const state = this.#state;
    if (state.kind !== "bound" && state.kind !== "listening") throw oserror("EINVAL", "the socket is connected");
    state.listener.setBacklog(Math.max(0, backlog ?? Math.min(SOMAXCONN, 128)));
    this.#state = { kind: "listening", listener: state.listener };
  }

  /** Waits for a caller: `[conn, address]`; the new socket takes getdefaulttimeout(). */
  async accept(): Promise<[Socket, Address]> {
    const state = this.#open();
    if (state.kind !== "listening") throw oserror("EINVAL", "accept() needs a listening socket");
    const conn = await state.listener.accept(this.#deadline());
    const sock = new Socket(this.family, this.type, this.proto);
    sock.#opts = { ...this.#opts }; // a copy of the same shape: cheaper than Object.assign into the fresh one
    sock.#unixLocal = this.#unixLocal;
    // TCP_NODELAY set before bind() is on the listening socket, so this one has it from
    // the kernel; told so, Node sets it again only if the option was turned off since.
    if (state.listener.noDelay) markNoDelay(conn.sock);
    sock.#adopt(conn);
    if (this.family === AF_UNIX) return [sock, sock.#unixPeer];
    // One getpeername(2), not two: when it fails (the caller reset before accept), Node
    // asks the kernel again for remotePort, and the answer cannot change.
    const host = conn.sock.remoteAddress;
    return [sock, toAddress(this.family, host, host === undefined ? undefined : conn.sock.remotePort)];
  }

  // ---- client side: connect ------------------------------------------------------------

  /** Dials `address`. The timeout bounds the name lookup and the handshake together. */
  async connect(address: AddressInput): Promise<void> {
    const state = this.#open();
    const deadline = this.#deadline();
    if (this.type === SOCK_DGRAM) {
      const target = await this.#resolve(address, deadline);
      const dgram = this.#datagram();
      await dgram.connect(target.host, target.port);
      return;
    }
    if (state.kind === "connected") throw oserror("EISCONN");
    if (state.kind === "connecting") throw oserror("EALREADY");
    if (state.kind === "listening") throw oserror("EINVAL", "the socket is listening");
    const options = await this.#dialOptions(address, state, deadline);
    this.#state = { kind: "fresh" }; // a bound listener, if any, is closed by now
    const sock = netConnect(options);
    const conn = new StreamConn(sock);
    const ready = until<StreamConn>(Deadline.never, (done, fail) => {
      const connected = (): void => done(conn);
      const failed = (err: Error): void => fail(fromNodeError(err, this.#describe(address)));
      sock.once("connect", connected);
      sock.once("error", failed);
      return () => {
        sock.off("connect", connected);
        sock.off("error", failed);
      };
    });
    this.#state = { kind: "connecting", ready, conn };
    ready.then(
      () => {
        if (this.#state.kind === "connecting" && this.#state.ready === ready) this.#adopt(conn);
      },
      (err: OSError) => {
        if (this.#state.kind === "connecting" && this.#state.ready === ready) {
          this.#state = { kind: "fresh" };
          this.#pendingError = err;
        }
      },
    );
    try {
      await race(deadline, ready, "EINPROGRESS");
      this.#pendingError = null;
    } catch (err) {
      if (err instanceof TimeoutError) {
        sock.destroy();
        this.#state = { kind: "fresh" };
      }
      // A non-blocking connect goes on; any other failure was reported here, not in SO_ERROR.
      if (!(deadline.nonBlocking && (err as OSError).code === "EINPROGRESS")) this.#pendingError = null;
      throw err;
    }
  }

  /** connect() that returns 0 or an errno instead of raising (name errors still raise). */
  async connectEx(address: AddressInput): Promise<number> {
    try {
      await this.connect(address);
      return 0;
    } catch (err) {
      if (err instanceof gaierror || !(err instanceof Error) || !("errno" in err)) throw err;
      if (err instanceof TimeoutError) return oserror("EAGAIN").errno;
      return (err as OSError).errno;
    }
  }

  // ---- data ----------------------------------------------------------------------------

  /**
   * Up to `bufsize` bytes, as soon as at least one is there; null at end of stream (so
   * `if (!data) break` works). Flags: MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL.
   */
  recv(bufsize: number, flags = 0): Promise<Buffer | null> {
    // The hot path (a connected stream, no flags) goes straight to the connection.
    const state = this.#state;
    if (state.kind === "connected" && flags === 0 && Number.isInteger(bufsize) && bufsize > 0) {
      return state.conn.recv(bufsize, this.#deadline());
    }
    return this.#receive("recv", bufsize, flags).then(([data]) => data);
  }

  /** Reads into `buffer` (at most `nbytes`, 0 = its length); returns the count, 0 at EOF. */
  async recvInto(buffer: Uint8Array, nbytes = 0, flags = 0): Promise<number> {
    if (!(buffer instanceof Uint8Array)) throw new TypeError("recvInto() needs a Uint8Array or Buffer");
    checkSize("recvInto", nbytes);
    if (nbytes > buffer.length) throw new RangeError("nbytes is greater than the length of the buffer");
    const data = await this.recv(nbytes || buffer.length, flags);
    if (!data) return 0;
    buffer.set(data);
    return data.length;
  }

  /** `[data, address]`: for UDP the sender of the datagram; for streams address is null. */
  async recvfrom(bufsize: number, flags = 0): Promise<[Buffer | null, Address | null]> {
    return this.#receive("recvfrom", bufsize, flags);
  }

  /**
   * Sends `data` and returns its length. Unlike C, never a part of it: Node has no
   * partial writes, so send waits until the kernel took every byte, like sendall.
   */
  async send(data: Bytes, flags = 0): Promise<number> {
    await this.#transmit("send", data, flags, null);
    return data.length;
  }

  /** Sends every byte; resolves once the kernel took the last one (that is backpressure). */
  sendall(data: Bytes, flags = 0): Promise<void> {
    const state = this.#state;
    if (state.kind === "connected" && flags === 0 && data instanceof Uint8Array) {
      return state.conn.sendall(data, this.#deadline()); // the hot path, as in recv
    }
    return this.#transmit("sendall", data, flags, null);
  }

  /**
   * Python's sendfile(): sends the file's bytes from `offset` until end of file or `count`
   * bytes, and resolves to the number sent (0 when `offset` is at or past the end). `file`
   * is a path (opened and closed here), a node:fs/promises FileHandle or a descriptor
   * (both left open; their position is neither used nor moved). Bytes go through the
   * same write path as sendall, so an SSLSocket encrypts them. The timeout bounds each
   * block's write, as Python's bounds each wait: a slow reader that keeps taking bytes
   * never trips it, a stalled one does (TimeoutError). Stream sockets only, and not
   * non-blocking (RangeError, Python's ValueError). `onChunk` sees each block before it
   * is written (see SendfileOptions).
   */
  async sendfile(
    file: SendfileSource,
    offset = 0,
    count: number | null = null,
    options?: SendfileOptions,
  ): Promise<number> {
    checkSendfileArgs(file, offset, count, options);
    if (this.type !== SOCK_STREAM) throw new RangeError("only SOCK_STREAM type sockets are supported");
    if (this.#timeout === 0) throw new RangeError("non-blocking sockets are not supported");
    const state = this.#open();
    if (state.kind !== "connected" && state.kind !== "connecting") throw this.#notConnected();
    await this.#conn(this.#deadline());
    return sendFile(file, offset, count, (chunk) => this.#writeBlock(chunk), options);
  }

  /** sendfile's write of one block: the connection as it is now (EBADF once closed), with a fresh deadline. */
  #writeBlock(chunk: Buffer): Promise<void> {
    const state = this.#open();
    if (state.kind !== "connected") return Promise.reject(this.#notConnected());
    return state.conn.sendall(chunk, this.#deadline());
  }

  /**
   * Sends a datagram to `address`: sendto(data, address) or sendto(data, flags, address).
   * Which form is meant goes by the number of arguments, as in Python, so a null or
   * missing address is a TypeError in both forms and never mistaken for the other one.
   * On a stream socket it does what Linux does: TCP ignores the address once connected
   * (EPIPE before); a Unix stream is EISCONN connected, EOPNOTSUPP otherwise.
   */
  sendto(data: Bytes, address: AddressInput): Promise<number>;
  sendto(data: Bytes, flags: number, address: AddressInput): Promise<number>;
  async sendto(data: Bytes, ...rest: unknown[]): Promise<number> {
    if (rest.length !== 1 && rest.length !== 2) {
      throw new TypeError(`sendto() takes 2 or 3 arguments (${rest.length + 1} given)`);
    }
    const [flags, address] = rest.length === 1 ? [0, rest[0]] : [rest[0], rest[1]];
    if (address === null || address === undefined) {
      throw new TypeError(`sendto(): ${familyName(this.family)} address must be given, not ${String(address)}`);
    }
    await this.#transmit("sendto", data, flags, address as AddressInput);
    return data.length;
  }

  /** SHUT_RD: reads see end of stream; SHUT_WR: send FIN, keep reading; SHUT_RDWR: both. */
  shutdown(how: number): void {
    const state = this.#open();
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) throw oserror("EINVAL", `shutdown how=${how}`);
    if (state.kind !== "connected") throw oserror("ENOTCONN");
    if (how !== SHUT_WR) state.conn.shutdownRead();
    if (how !== SHUT_RD) state.conn.shutdownWrite();
  }

  /**
   * Closes the socket. As in Python it does not wait for the peer: data already sent
   * still goes out, then FIN. SO_LINGER (1, 0) resets at once instead; (1, n) waits up to
   * n seconds for the flush. Idempotent, never rejects; every later call fails with EBADF.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    const state = this.#state;
    this.#state = { kind: "closed" };
    const [onoff, seconds] = this.#opts.linger;
    const linger = onoff ? seconds : null;
    if (state.kind === "connected") {
      // Every accepted socket ends here: StreamConn.close never rejects, so no wrapper.
      this.#closing = state.conn.close(linger);
      return this.#closing;
    }
    const closing = (async (): Promise<void> => {
      switch (state.kind) {
        case "bound":
        case "listening":
          return state.listener.close();
        case "connecting":
          // Closing a socket that is still dialling abandons the dial; whatever waits for
          // the connection fails with EBADF instead of waiting forever.
          state.conn.sock.destroy(oserror("EBADF"));
          return;
        case "datagram":
          return state.dgram.close();
        default:
          return;
      }
    })().catch(() => {});
    this.#closing = closing;
    return closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- async iteration -----------------------------------------------------------------

  /**
   * Chunks of at most `size` bytes until end of stream. Breaking out keeps the socket
   * open. A plain iterator over recv() rather than an async generator: one promise per
   * chunk instead of three, on the path every echo server and pipe takes.
   *
   * With `reuse: true` a chunk is valid only until the next one is asked for: the socket
   * reads into a few buffers it reuses instead of fresh memory for every read, which
   * saves CPU in loops that pass bytes on (a proxy, a pipe). Finish with each chunk
   * (send it, write it, hash it) before the loop goes on, or copy it.
   */
  chunks(size = 65536, { reuse = false }: { reuse?: boolean } = {}): AsyncIterableIterator<Buffer> {
    const sizeOk = Number.isInteger(size) && size > 0; // else recv() says what is wrong
    const iterator: AsyncIterableIterator<Buffer> = {
      next: () => {
        const state = this.#state; // the hot path, as in recv: straight to the connection
        if (sizeOk && state.kind === "connected") {
          return state.conn.next(size, this.#deadline(), reuse);
        }
        return this.recv(size).then(asResult);
      },
      return: () => Promise.resolve(asResult(null)),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Sends everything this socket receives to `dest` until end of stream, then shuts down
   * dest's sending side (`SHUT_WR`) unless `end` is false; resolves to the number of bytes
   * forwarded. `dest` may be this socket itself (an echo), or a function: it gets each
   * chunk, which is valid until it returns, or until the promise it returns settles, and
   * reading pauses meanwhile. Each chunk goes to dest from Node's read callback as it
   * arrives, with no promise per chunk, and reads go into reused buffers: the fastest way
   * to relay. While dest cannot take more, reading pauses (backpressure). Rejects with the
   * first error of either socket or the function; other reads of this socket fail with
   * EBUSY while it runs. Timeouts do not apply.
   */
  forward(dest: Socket | Sink, { end = true }: { end?: boolean } = {}): Promise<number> {
    const from = this.#state;
    let to: StreamConn | Sink;
    if (typeof dest === "function") to = dest;
    else if (dest instanceof Socket) {
      const state = dest.#state;
      if (state.kind === "closed") return Promise.reject(oserror("EBADF"));
      if (state.kind !== "connected") return Promise.reject(oserror("ENOTCONN"));
      to = state.conn;
    } else return Promise.reject(new TypeError("forward() needs a hotline Socket or a function"));
    if (from.kind === "closed") return Promise.reject(oserror("EBADF"));
    if (from.kind !== "connected") return Promise.reject(oserror("ENOTCONN"));
    return from.conn.forward(to, end);
  }

  /**
   * Accepted connections as `[conn, address]`, until the listening socket is closed. A
   * plain iterator over accept() rather than an async generator: one promise per caller
   * instead of three, on every server's accept path. After it ended (closed, failed or
   * left by `break`) it stays done.
   */
  connections(): AsyncIterableIterator<[Socket, Address]> {
    let done = false;
    const end: IteratorResult<[Socket, Address]> = { value: undefined, done: true };
    const iterator: AsyncIterableIterator<[Socket, Address]> = {
      next: () => {
        if (done) return Promise.resolve(end);
        return this.accept().then(
          (pair) => ({ value: pair, done: false }),
          (err: unknown) => {
            done = true;
            if (this.#state.kind === "closed") return end;
            throw err;
          },
        );
      },
      return: () => {
        done = true;
        return Promise.resolve(end);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Datagrams as `[data, address]`, until the socket is closed. */
  async *datagrams(size = 65536): AsyncGenerator<[Buffer, Address], void, undefined> {
    for (;;) {
      try {
        const [data, address] = await this.recvfrom(size);
        yield [data ?? Buffer.alloc(0), address ?? ["", 0]];
      } catch (err) {
        if (this.#state.kind === "closed") return;
        throw err;
      }
    }
  }

  /** A file-like reader/writer over this socket, as Python's makefile(). */
  makefile(mode = "r", options: SocketFileOptions = {}): SocketFile {
    this.#open();
    return new SocketFile(this, mode, options);
  }

  // ---- addresses -----------------------------------------------------------------------

  /** The address of the other end. */
  getpeername(): Address {
    const state = this.#open();
    if (state.kind === "connected") {
      if (this.family === AF_UNIX) return this.#unixPeer;
      const sock = state.conn.sock;
      return toAddress(this.family, sock.remoteAddress, sock.remotePort);
    }
    if (state.kind === "datagram") {
      try {
        const peer = state.dgram.sock.remoteAddress();
        return toAddress(this.family, peer.address, peer.port);
      } catch (err) {
        throw fromNodeError(err).code === "EDESTADDRREQ" ? oserror("ENOTCONN") : fromNodeError(err);
      }
    }
    throw oserror("ENOTCONN");
  }

  /** This end's address; after binding port 0, the port really bound. */
  getsockname(): Address {
    const state = this.#open();
    if (this.family === AF_UNIX) return this.#unixLocal;
    switch (state.kind) {
      case "bound":
      case "listening": {
        const local = state.listener.server.address();
        return local && typeof local === "object" ? toAddress(this.family, local.address, local.port) : this.#unbound();
      }
      case "connected":
        return toAddress(this.family, state.conn.sock.localAddress, state.conn.sock.localPort);
      case "datagram":
        if (!state.dgram.bound) return this.#unbound();
        return toAddress(this.family, state.dgram.sock.address().address, state.dgram.sock.address().port);
      default:
        return this.#unbound();
    }
  }

  // ---- timeouts ------------------------------------------------------------------------

  /** Seconds each operation may wait; null blocks, 0 makes the socket non-blocking. */
  settimeout(timeout: number | null): void {
    this.#timeout = checkTimeout(timeout);
  }

  gettimeout(): number | null {
    return this.#timeout;
  }

  /** setblocking(true) is settimeout(null); setblocking(false) is settimeout(0). */
  setblocking(flag: boolean): void {
    this.#timeout = flag ? null : 0;
  }

  getblocking(): boolean {
    return this.#timeout !== 0;
  }

  // ---- options -------------------------------------------------------------------------

  /** Sets one of the options hotline supports; any other fails with ENOPROTOOPT. */
  setsockopt(level: number, optname: number, value: SocketOptionValue): void {
    const state = this.#open();
    const opts = this.#opts;
    const int = typeof value === "boolean" ? Number(value) : typeof value === "number" ? value : null;
    const needInt = (): number => {
      if (int === null || !Number.isInteger(int)) throw new TypeError("this option takes an integer value");
      return int;
    };
    const stream = this.type === SOCK_STREAM;
    const conn = state.kind === "connected" ? state.conn.sock : null;
    const dgram = state.kind === "datagram" ? state.dgram : null;
    if (level === SOL_SOCKET && optname === SO_REUSEADDR) {
      const on = needInt() !== 0;
      if (stream && !on) throw unsupported("turning SO_REUSEADDR off: Node's TCP listeners always reuse addresses");
      opts.reuseAddr = on;
    } else if (level === SOL_SOCKET && optname === SO_KEEPALIVE) {
      opts.keepAlive = needInt() !== 0;
      conn?.setKeepAlive(opts.keepAlive, keepAliveDelay(opts));
    } else if (level === SOL_SOCKET && optname === SO_BROADCAST) {
      opts.broadcast = needInt() !== 0;
      if (dgram?.bound) dgram.sock.setBroadcast(opts.broadcast);
    } else if (level === SOL_SOCKET && (optname === SO_RCVBUF || optname === SO_SNDBUF)) {
      if (stream) throw unsupported("SO_RCVBUF and SO_SNDBUF on stream sockets: Node has no API for them");
      const size = needInt();
      if (size <= 0) throw oserror("EINVAL", "buffer size must be positive");
      if (optname === SO_RCVBUF) {
        opts.rcvbuf = size;
        if (dgram) dgram.queueLimit = size;
      } else {
        opts.sndbuf = size;
        if (dgram?.bound) dgram.sock.setSendBufferSize(size);
      }
    } else if (level === SOL_SOCKET && optname === SO_LINGER) {
      opts.linger = parseLinger(value);
    } else if (level === IPPROTO_TCP && optname === TCP_NODELAY) {
      if (!stream || this.family === AF_UNIX) throw oserror("EOPNOTSUPP", "TCP_NODELAY needs a TCP socket");
      opts.noDelay = needInt() !== 0;
      conn?.setNoDelay(opts.noDelay);
    } else if (level === IPPROTO_TCP && optname === TCP_KEEPIDLE) {
      if (!stream || this.family === AF_UNIX) throw oserror("EOPNOTSUPP", "TCP_KEEPIDLE needs a TCP socket");
      const seconds = needInt();
      if (seconds < 1 || seconds > MAX_KEEPIDLE)
        throw oserror("EINVAL", `TCP_KEEPIDLE must be 1 to ${MAX_KEEPIDLE} seconds`);
      opts.keepIdle = seconds;
      if (opts.keepAlive) conn?.setKeepAlive(true, keepAliveDelay(opts));
    } else if (level === IPPROTO_IPV6 && optname === IPV6_V6ONLY) {
      if (this.family !== AF_INET6) throw oserror("ENOPROTOOPT", "IPV6_V6ONLY needs an AF_INET6 socket");
      if (state.kind !== "fresh") throw oserror("EINVAL", "set IPV6_V6ONLY before bind()");
      opts.v6only = needInt() !== 0;
    } else {
      throw unsupported(`option ${optname} at level ${level}`);
    }
  }

  /** Reads an option; SO_LINGER gives 8 packed bytes when `buflen` is given. */
  getsockopt(level: number, optname: number, buflen?: number): number | Buffer {
    const state = this.#open();
    const opts = this.#opts;
    if (level === SOL_SOCKET) {
      switch (optname) {
        case SO_TYPE:
          return this.type;
        case SO_ERROR: {
          const errno = this.#pendingError?.errno ?? 0;
          this.#pendingError = null;
          return errno;
        }
        case SO_REUSEADDR:
          return Number(opts.reuseAddr);
        case SO_KEEPALIVE:
          return Number(opts.keepAlive);
        case SO_BROADCAST:
          return Number(opts.broadcast);
        case SO_RCVBUF:
          if (this.type === SOCK_STREAM) break;
          return opts.rcvbuf ?? (state.kind === "datagram" ? state.dgram.queueLimit : 0);
        case SO_SNDBUF:
          if (this.type === SOCK_STREAM) break;
          if (state.kind === "datagram" && state.dgram.bound) return state.dgram.sock.getSendBufferSize();
          return opts.sndbuf ?? 0;
        case SO_LINGER: {
          if (buflen === undefined) return opts.linger[0];
          const packed = Buffer.alloc(8);
          packed.writeInt32LE(opts.linger[0], 0);
          packed.writeInt32LE(opts.linger[1], 4);
          return packed;
        }
      }
    } else if (level === IPPROTO_TCP && optname === TCP_NODELAY && this.type === SOCK_STREAM) {
      return Number(opts.noDelay);
    } else if (level === IPPROTO_TCP && optname === TCP_KEEPIDLE && this.type === SOCK_STREAM) {
      return opts.keepIdle ?? SYSTEM_KEEPIDLE;
    } else if (level === IPPROTO_IPV6 && optname === IPV6_V6ONLY && this.family === AF_INET6) {
      return Number(opts.v6only);
    }
    throw unsupported(`option ${optname} at level ${level}`);
  }

  /** Datagrams dropped because they arrived while the receive queue was full (UDP only). */
  get droppedDatagrams(): number {
    return this.#state.kind === "datagram" ? this.#state.dgram.dropped : 0;
  }

  toString(): string {
    const parts = [
      `family=${familyName(this.family)}`,
      `type=${this.type === SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM"}`,
    ];
    if (this.#state.kind === "closed") parts.unshift("[closed]");
    else {
      parts.push(`laddr=${formatAddress(this.getsockname())}`);
      if (this.#state.kind === "connected") parts.push(`raddr=${formatAddress(this.getpeername())}`);
    }
    return `<hotline.socket ${parts.join(", ")}>`;
  }

  // ---- internals -----------------------------------------------------------------------

  /** The current state; EBADF once closed. */
  #open(): State {
    if (this.#state.kind === "closed") throw oserror("EBADF");
    return this.#state;
  }

  #deadline(): Deadline {
    return Deadline.after(this.#timeout);
  }

  #adopt(conn: StreamConn): void {
    this.#state = { kind: "connected", conn };
    if (this.family !== AF_UNIX) {
      conn.sock.setNoDelay(this.#opts.noDelay);
      if (this.#opts.keepAlive) conn.sock.setKeepAlive(true, keepAliveDelay(this.#opts));
    }
  }

  /**
   * What net.connect needs for `address`: a path, or a resolved host and port (the name
   * lookup counts against the deadline; a non-blocking connect still waits for it, as
   * Python's does). After bind(), the bound port is freed and dialled from.
   */
  async #dialOptions(address: AddressInput, state: State, deadline: Deadline): Promise<NetConnectOpts> {
    if (this.family === AF_UNIX) {
      const path = checkUnixPath(address);
      if (path === "") throw oserror("EINVAL", "connect() needs an AF_UNIX path or abstract name, not an empty one");
      checkAbstractName(path);
      if (state.kind === "bound") throw oserror("EOPNOTSUPP", "Node cannot connect from a bound AF_UNIX socket");
      this.#unixPeer = path;
      return { path, allowHalfOpen: true };
    }
    const target = await this.#resolve(address, deadline.nonBlocking ? Deadline.never : deadline);
    const options: NetConnectOpts = {
      host: target.scopeId ? `${target.host}%${target.scopeId}` : target.host,
      port: target.port,
      family: this.family === AF_INET6 ? 6 : 4,
      noDelay: this.#opts.noDelay,
      keepAlive: this.#opts.keepAlive,
      keepAliveInitialDelay: keepAliveDelay(this.#opts),
      allowHalfOpen: true,
    };
    if (state.kind === "bound") {
      // Node cannot connect from a listening handle: free the port and dial from it.
      const local = state.listener.server.address();
      await state.listener.close();
      if (local && typeof local === "object")
        Object.assign(options, { localAddress: local.address, localPort: local.port });
    }
    return options;
  }

  /** The stream connection, waiting out a connect still in progress. */
  async #conn(deadline: Deadline): Promise<StreamConn> {
    const state = this.#open();
    if (state.kind === "connected") return state.conn;
    if (state.kind === "connecting") {
      return race(deadline, state.ready).catch((err: unknown) => {
        if (err === this.#pendingError) this.#pendingError = null; // reported here, as Linux does
        throw err;
      });
    }
    throw oserror("ENOTCONN");
  }

  /** The UDP socket, made on first use so options set before bind apply to it. */
  #datagram(): DatagramSocket {
    const state = this.#open();
    if (state.kind === "datagram") return state.dgram;
    const dgram = new DatagramSocket({
      type: this.family === AF_INET6 ? "udp6" : "udp4",
      reuseAddr: this.#opts.reuseAddr,
      ipv6Only: this.family === AF_INET6 && this.#opts.v6only,
      ...(this.#opts.sndbuf ? { sendBufferSize: this.#opts.sndbuf } : {}),
    });
    if (this.#opts.rcvbuf) dgram.queueLimit = this.#opts.rcvbuf;
    if (this.#opts.broadcast) dgram.sock.once("listening", () => dgram.sock.setBroadcast(true));
    this.#state = { kind: "datagram", dgram };
    return dgram;
  }

  async #resolve(address: AddressInput, deadline: Deadline): Promise<{ host: string; port: number; scopeId: number }> {
    const target = checkInet(this.family, address);
    const host = await resolveHost(this.family, target.host, deadline);
    return { ...target, host };
  }

  async #receive(op: string, bufsize: number, flags: unknown): Promise<[Buffer | null, Address | null]> {
    checkSize(op, bufsize);
    checkFlags(op, flags);
    if ((flags & ~RECV_FLAGS) !== 0) throw unsupported(`${op} flags 0x${flags.toString(16)}`);
    const deadline = flags & MSG_DONTWAIT ? Deadline.after(0) : this.#deadline();
    const peek = (flags & MSG_PEEK) !== 0;
    if (this.type === SOCK_DGRAM) {
      const got = await this.#datagram().recvfrom(bufsize, deadline, peek);
      return [got.data, toAddress(this.family, got.host, got.port)];
    }
    const conn = await this.#conn(deadline);
    if (bufsize === 0) return [Buffer.alloc(0), null];
    if (!(flags & MSG_WAITALL) || peek) return [await conn.recv(bufsize, deadline, peek), null];
    const parts: Buffer[] = [];
    let have = 0;
    while (have < bufsize) {
      const part = await conn.recv(bufsize - have, deadline);
      if (!part) break;
      parts.push(part);
      have += part.length;
    }
    return [have === 0 ? null : Buffer.concat(parts, have), null];
  }

  async #transmit(op: string, data: Bytes, flags: unknown, address: AddressInput | null): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`${op}() needs bytes (a Buffer or Uint8Array), not ${typeof data}`);
    }
    checkFlags(op, flags);
    if (flags !== 0 && flags !== MSG_DONTWAIT) throw unsupported(`${op} flags 0x${flags.toString(16)}`);
    const deadline = flags & MSG_DONTWAIT ? Deadline.after(0) : this.#deadline();
    if (this.type === SOCK_DGRAM) {
      const dgram = this.#datagram();
      if (address === null && !this.#isConnectedDatagram(dgram)) throw oserror("EDESTADDRREQ");
      const to = address === null ? null : await this.#resolve(address, deadline);
      await dgram.send(data, to, deadline);
      return;
    }
    if (address !== null) {
      const lookup = this.#streamDestination(address, deadline);
      if (lookup) await lookup; // only a name waits; a literal is checked here and now
    }
    // No await before the write when connected: a close() called right after send() must
    // find the data already queued.
    const state = this.#open();
    if (state.kind === "connected") return state.conn.sendall(data, deadline);
    if (state.kind !== "connecting") throw this.#notConnected();
    const conn = await this.#conn(deadline);
    await conn.sendall(data, deadline);
  }

  /**
   * Sending on a stream that is not connected (fresh, bound, listening): what Linux says,
   * so what Python raises. TCP says EPIPE (BrokenPipeError), as for a connection whose
   * sending side is gone; a Unix stream says ENOTCONN.
   */
  #notConnected(): OSError {
    return this.family === AF_UNIX ? oserror("ENOTCONN") : oserror("EPIPE", "the socket is not connected");
  }

  /**
   * sendto's address on a stream socket, checked as Linux and Python check it. A Unix
   * stream refuses any address (EISCONN when connected, EOPNOTSUPP otherwise). TCP
   * ignores it once the address is valid, so sendto then sends to the peer like send. A
   * literal is checked synchronously (undefined: nothing to wait for), so a sendto and the
   * sends made after it without awaiting keep their order; only a name is looked up.
   */
  #streamDestination(address: AddressInput, deadline: Deadline): Promise<unknown> | undefined {
    if (this.family === AF_UNIX) {
      checkUnixPath(address);
      throw oserror(this.#open().kind === "connected" ? "EISCONN" : "EOPNOTSUPP");
    }
    const target = checkInet(this.family, address);
    const literal = isIP(target.host);
    if (literal === 0) return this.#resolve(address, deadline);
    if ((literal === 6) !== (this.family === AF_INET6)) throw new gaierror("EAI_ADDRFAMILY", target.host);
    return undefined;
  }

  #isConnectedDatagram(dgram: DatagramSocket): boolean {
    try {
      dgram.sock.remoteAddress();
      return true;
    } catch {
      return false;
    }
  }

  #unbound(): Address {
    return this.family === AF_INET6 ? ["::", 0, 0, 0] : ["0.0.0.0", 0];
  }

  #describe(address: AddressInput): string {
    if (typeof address === "string") return formatAddress(address);
    return formatAddress([address[0], address[1]]);
  }
}

/** Python's socket(): `socket(AF_INET, SOCK_STREAM)`. */
export function socket(family: number = AF_INET, type: number = SOCK_STREAM, proto = 0): Socket {
  return new Socket(family, type, proto);
}

/**
 * Python's bind("") on AF_UNIX (Linux autobind): an abstract name of the kernel's form,
 * tried until one is free, as the kernel does.
 */
async function autobind(): Promise<[StreamListener, string]> {
  for (let attempt = 1; ; attempt++) {
    const name = autobindName();
    try {
      return [await StreamListener.open({ path: name }), name];
    } catch (err) {
      if ((err as OSError).code !== "EADDRINUSE" || attempt === 64) throw err;
    }
  }
}

/** Flags are an integer, as Python's (a string or a fraction is a TypeError naming them). */
function checkFlags(op: string, flags: unknown): asserts flags is number {
  if (typeof flags !== "number" || !Number.isInteger(flags)) {
    const shown =
      typeof flags === "string" ? `string ${JSON.stringify(flags)}` : flags === null ? "null" : typeof flags;
    throw new TypeError(`${op}() flags must be an integer, not ${typeof flags === "number" ? flags : shown}`);
  }
}

function checkSize(op: string, n: unknown): void {
  if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError(`${op}() size must be an integer`);
  if (n < 0) throw new RangeError(`negative buffersize in ${op}`);
}

function unsupported(what: string): OSError {
  return oserror("ENOPROTOOPT", `${what} is not supported by hotline`);
}

/** SO_LINGER from 8 packed bytes (struct linger) or an integer (l_onoff, l_linger 0). */
function parseLinger(value: SocketOptionValue): [number, number] {
  if (value instanceof Uint8Array) {
    if (value.length !== 8) throw new TypeError("SO_LINGER takes 8 bytes: struct.pack('ii', onoff, seconds)");
    const view = Buffer.from(value.buffer, value.byteOffset, 8);
    const onoff = view.readInt32LE(0);
    const seconds = view.readInt32LE(4);
    if (seconds < 0) throw oserror("EINVAL", "SO_LINGER time must not be negative");
    return [onoff ? 1 : 0, seconds];
  }
  return [Number(value) ? 1 : 0, 0];
}
