/**
 * The options × modes matrix's rig: hotline (the built binary) in one of its modes, with
 * the test's own peers at the other end of each call, written on node:net and node:dgram
 * so that nothing of hotline's own code is on the far side. A Rig starts hotline, connects
 * its peer(s), and gives the test hotline's raw stdout and each peer's bytes to wait on.
 */
import { createSocket, type Socket as DatagramSocket, type RemoteInfo } from "node:dgram";
import { once } from "node:events";
import { createConnection, createServer, type Server, type Socket as StreamSocket } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer, connect as tlsConnect } from "node:tls";
import { testPki } from "./certs.js";
import type { Child, Finished } from "./child.js";
import { hotline, listening } from "./hotline.js";
import { tempDir } from "./transports.js";
import { within } from "./within.js";

/** How long one wait in a matrix test may take before it fails the test. */
export const WAIT_MS = 8000;

/** Rechecks a condition whenever something it depends on changed; each wait has a deadline. */
export class Watch {
  readonly #waiters = new Set<() => void>();

  changed(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolves with check()'s first value other than undefined; `what` says what it waited for. */
  until<T>(check: () => T | undefined, what: () => string, ms = WAIT_MS): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out after ${ms} ms waiting for ${what()}`));
      }, ms);
      const waiter = (): void => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(value);
      };
      this.#waiters.add(waiter);
    });
  }
}

/** Every byte a stream gave, kept raw (Child keeps stdout as text for its line()). */
export class Collected {
  readonly #chunks: Buffer[] = [];
  readonly #watch = new Watch();
  #ended = false;

  constructor(stream: NodeJS.ReadableStream | null) {
    stream?.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#watch.changed();
    });
    stream?.on("end", () => {
      this.#ended = true;
      this.#watch.changed();
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  /** Whether the writer closed its end (hotline closes stdout at the peer's end of stream). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Waits until `expected` appears in what was collected. */
  has(expected: Buffer | string, what = "stdout"): Promise<true> {
    const needle = Buffer.from(expected);
    return this.#watch.until(
      () => (this.bytes.includes(needle) ? true : undefined),
      () => `${what} to hold ${show(needle)}; it has ${show(this.bytes)}`,
    );
  }

  /** Waits until the stream ends. */
  end(what = "stdout to end"): Promise<true> {
    return this.#watch.until(
      () => (this.#ended ? true : undefined),
      () => what,
    );
  }
}

/** How a stream peer's reading ended, and when (performance.now()). */
export interface End {
  how: "eof" | "reset" | "closed";
  at: number;
}

/** The test's end of one call. */
export interface Peer {
  /** Its own address as hotline names it in messages: "127.0.0.1:PORT". */
  readonly name: string;
  /** When the test saw its connection made (performance.now()). */
  readonly connectedAt: number;
  /** Everything it received so far. */
  readonly got: Buffer;
  /** Waits until it received at least `n` bytes; returns all it got. */
  waitBytes(n: number): Promise<Buffer>;
  send(data: Buffer | string): Promise<void>;
  /** Says it has no more to send: FIN for a stream, nothing for UDP. */
  finish(): void;
  /** How and when its reading ended (a stream's EOF or reset); never for UDP. */
  ended(ms?: number): Promise<End>;
  /** The end is here already (not waited for). */
  readonly end: End | null;
  destroy(): void;
}

/** A TCP or Unix connection, half-open allowed, reading everything as it comes. */
class StreamPeer implements Peer {
  readonly name: string;
  readonly connectedAt = performance.now();
  readonly #sock: StreamSocket;
  readonly #chunks: Buffer[] = [];
  readonly #watch = new Watch();
  #end: End | null = null;

  constructor(sock: StreamSocket) {
    this.#sock = sock;
    this.name = sock.localPort === undefined ? "a local caller" : `127.0.0.1:${sock.localPort}`;
    const ended = (how: End["how"]): void => {
      this.#end ??= { how, at: performance.now() };
      this.#watch.changed();
    };
    sock.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#watch.changed();
    });
    sock.on("end", () => ended("eof"));
    sock.on("error", (err: NodeJS.ErrnoException) => ended(err.code === "ECONNRESET" ? "reset" : "closed"));
    sock.on("close", () => ended("closed"));
  }

  get got(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  get end(): End | null {
    return this.#end;
  }

  waitBytes(n: number): Promise<Buffer> {
    return this.#watch.until(
      () => (this.got.length >= n ? this.got : undefined),
      () => `${n} bytes at ${this.name}; it has ${show(this.got)}`,
    );
  }

  send(data: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => this.#sock.write(data, (err) => (err ? reject(err) : resolve())));
  }

  finish(): void {
    this.#sock.end();
  }

  ended(ms = WAIT_MS): Promise<End> {
    return this.#watch.until(
      () => this.#end ?? undefined,
      () => `the end of the connection at ${this.name}`,
      ms,
    );
  }

  destroy(): void {
    this.#sock.destroy();
  }
}

/** A UDP socket on 127.0.0.1; it answers whoever spoke to it first, unless told whom. */
class DatagramPeer implements Peer {
  readonly name: string;
  readonly connectedAt = performance.now();
  readonly #sock: DatagramSocket;
  readonly #datagrams: Buffer[] = [];
  readonly #watch = new Watch();
  #remote: { address: string; port: number } | null;

  constructor(sock: DatagramSocket, remote: { address: string; port: number } | null) {
    this.#sock = sock;
    this.#remote = remote;
    this.name = `127.0.0.1:${sock.address().port}`;
    sock.on("message", (data: Buffer, from: RemoteInfo) => {
      this.#remote ??= { address: from.address, port: from.port };
      this.#datagrams.push(data);
      this.#watch.changed();
    });
  }

  get got(): Buffer {
    return Buffer.concat(this.#datagrams);
  }

  get end(): End | null {
    return null;
  }

  waitBytes(n: number): Promise<Buffer> {
    return this.#watch.until(
      () => (this.got.length >= n ? this.got : undefined),
      () => `${n} bytes at ${this.name}; it has ${show(this.got)}`,
    );
  }

  send(data: Buffer | string): Promise<void> {
    const to = this.#remote;
    if (to === null) throw new Error("the UDP peer does not know hotline's address yet");
    return new Promise((resolve, reject) =>
      this.#sock.send(Buffer.from(data), to.port, to.address, (err) => (err ? reject(err) : resolve())),
    );
  }

  finish(): void {}

  ended(): Promise<End> {
    throw new Error("UDP has no end of a connection to wait for");
  }

  destroy(): void {
    try {
      this.#sock.close();
    } catch {
      // closed already
    }
  }
}

/** hotline in one mode, with its peers. */
export interface Rig {
  readonly mode: Mode;
  readonly hl: Child;
  /** hotline's stdout, raw. */
  readonly out: Collected;
  /** The test's end of each call: one, or two for listen -k. */
  readonly peers: Peer[];
  /** Writes to hotline's stdin. */
  write(data: Buffer | string): void;
  /** Ends hotline's stdin. */
  endInput(): void;
  /** A new caller (listen modes); with -k it returns once hotline has it on the line. */
  dial(): Promise<Peer>;
  /** Ends what is left: peers, the test's server, and hotline if it still runs. */
  cleanup(): void;
}

/** How a Rig starts hotline: the real binary by default; a test may wrap it (bash). */
export type Spawn = (args: readonly string[]) => Child;

export const spawnHotline: Spawn = (args) => hotline(args, { lifetimeMs: 20_000 });

export interface Mode {
  /** As test names show it: "connect", "listen -k", "-u listen", "-U connect". */
  readonly name: string;
  readonly transport: "tcp" | "udp" | "unix";
  readonly listen: boolean;
  readonly keep: boolean;
  /**
   * Starts hotline with `options` in this mode and connects its peer(s). A UDP listener's
   * peer introduces itself with an empty datagram (it carries no bytes) so hotline has a
   * caller to send to; a UDP dialler's peer learns hotline's address from its first
   * datagram, unless `source` is hotline's -p (then it can speak first).
   */
  open(options: readonly string[], spawn?: Spawn, source?: number): Promise<Rig>;
  /** A command line in this mode with nobody at the other end: for usage errors. */
  usage(options: readonly string[]): string[];
}

function stdinOf(hl: Child): NodeJS.WritableStream {
  const stdin = hl.proc.stdin;
  if (!stdin) throw new Error("hotline has no stdin pipe");
  return stdin;
}

function makeRig(mode: Mode, hl: Child, peers: Peer[], dial: () => Promise<Peer>, server?: Server): Rig {
  const out = new Collected(hl.proc.stdout);
  return {
    mode,
    hl,
    out,
    peers,
    write: (data) => {
      stdinOf(hl).write(data);
    },
    endInput: () => {
      stdinOf(hl).end();
    },
    dial,
    cleanup: () => {
      for (const peer of peers) peer.destroy();
      server?.close();
      if (hl.proc.exitCode === null && hl.proc.signalCode === null) hl.kill();
    },
  };
}

async function dialStream(to: { port: number } | { path: string }, secure: boolean): Promise<StreamPeer> {
  const where = { ...to, ...("port" in to ? { host: "127.0.0.1" } : {}), allowHalfOpen: true };
  if (secure) {
    // The test's TLS peer verifies hotline's certificate against the test CA, as a user would.
    const sock = tlsConnect({ ...where, ca: testPki().ca.cert, servername: "localhost" });
    await within(once(sock, "secureConnect"), WAIT_MS, "a TLS connection to hotline");
    return new StreamPeer(sock);
  }
  const sock = createConnection(where);
  await within(once(sock, "connect"), WAIT_MS, "a connection to hotline");
  return new StreamPeer(sock);
}

/** hotline's TLS options in a TLS mode: the test PKI's server certificate, or its CA. */
function tlsArgs(secure: boolean, listen: boolean): string[] {
  if (!secure) return [];
  const pki = testPki();
  return listen
    ? ["--ssl-cert", pki.server.certPath, "--ssl-key", pki.server.keyPath]
    : ["--ssl-trustfile", pki.ca.certPath];
}

/** A stream server of the test's for hotline to dial; resolves each connection as a Peer. */
async function streamServer(
  at: { port: 0 } | { path: string },
  secure: boolean,
): Promise<{ server: Server; next: () => Promise<Peer> }> {
  const server = secure
    ? createTlsServer({ allowHalfOpen: true, cert: testPki().server.cert, key: testPki().server.key })
    : createServer({ allowHalfOpen: true });
  const arrived: StreamSocket[] = [];
  server.on(secure ? "secureConnection" : "connection", (sock: StreamSocket) => {
    arrived.push(sock);
    server.emit("arrived");
  });
  server.listen("port" in at ? { port: 0, host: "127.0.0.1" } : { path: at.path });
  await once(server, "listening");
  const next = async (): Promise<Peer> => {
    if (arrived.length === 0) await within(once(server, "arrived"), WAIT_MS, "hotline to dial in");
    return new StreamPeer(arrived.shift() as StreamSocket);
  };
  return { server, next };
}

function streamMode(name: string, transport: "tcp" | "unix", listen: boolean, keep: boolean, secure = false): Mode {
  const mode: Mode = {
    name,
    transport,
    listen,
    keep,
    usage: (options) => {
      const where = transport === "unix" ? [join(tempDir(), "s.sock")] : ["127.0.0.1", listen ? "0" : "9"];
      const head = keep ? ["-lk"] : listen ? [transport === "unix" ? "-lU" : "-l"] : transport === "unix" ? ["-U"] : [];
      return [...head, ...tlsArgs(secure, listen), ...options, ...where];
    },
    open: async (options, spawn = spawnHotline) => {
      const path = transport === "unix" ? join(tempDir(), "s.sock") : null;
      if (!listen) {
        const { server, next } = await streamServer(path === null ? { port: 0 } : { path }, secure);
        const port = (server.address() as { port: number } | null)?.port;
        const where = path === null ? ["127.0.0.1", String(port)] : ["-U", path];
        const hl = spawn([...tlsArgs(secure, false), ...options, ...where]);
        try {
          const peer = await next();
          server.close(); // one call: nothing else will dial
          return makeRig(mode, hl, [peer], () => Promise.reject(new Error("a dialler takes no callers")), server);
        } catch (err) {
          hl.kill();
          server.close();
          throw err;
        }
      }
      // -v says when each caller is on the line, so stdin is written only once all are.
      const verbose = keep && !options.some((o) => /^-v+$/.test(o)) ? ["-v"] : [];
      const head = keep ? ["-lk", ...verbose] : path === null ? ["-l"] : ["-lU"];
      const where = path === null ? ["127.0.0.1", "0"] : [path];
      const hl = spawn([...head, ...tlsArgs(secure, true), ...options, ...where]);
      const peers: Peer[] = [];
      let port = "";
      const dial = async (): Promise<Peer> => {
        const peer = await dialStream(path === null ? { port: Number(port) } : { path }, secure);
        peers.push(peer);
        if (keep) await hl.line(new RegExp(`call from ${peer.name.replace(/\./g, "\\.")}\\b`), WAIT_MS);
        return peer;
      };
      try {
        port = await listening(hl);
        await dial();
        if (keep) await dial();
      } catch (err) {
        hl.kill();
        for (const peer of peers) peer.destroy();
        throw err;
      }
      return makeRig(mode, hl, peers, dial);
    },
  };
  return mode;
}

async function udpSocket(): Promise<DatagramSocket> {
  const sock = createSocket("udp4");
  sock.bind(0, "127.0.0.1");
  await once(sock, "listening");
  return sock;
}

/** A UDP port on 127.0.0.1 that is free now (bound, read back, released): for hotline's -p. */
export async function freeUdpPort(): Promise<number> {
  const sock = await udpSocket();
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

function udpMode(name: string, listen: boolean): Mode {
  const mode: Mode = {
    name,
    transport: "udp",
    listen,
    keep: false,
    usage: (options) => [listen ? "-ul" : "-u", ...options, "127.0.0.1", listen ? "0" : "9"],
    open: async (options, spawn = spawnHotline, source) => {
      const sock = await udpSocket();
      if (!listen) {
        const remote = source === undefined ? null : { address: "127.0.0.1", port: source };
        const peer = new DatagramPeer(sock, remote);
        const hl = spawn(["-u", ...options, "127.0.0.1", String(sock.address().port)]);
        return makeRig(mode, hl, [peer], () => Promise.reject(new Error("a dialler takes no callers")));
      }
      const hl = spawn(["-ul", ...options, "127.0.0.1", "0"]);
      let port: string;
      try {
        port = await listening(hl);
      } catch (err) {
        hl.kill();
        sock.close();
        throw err;
      }
      const peer = new DatagramPeer(sock, { address: "127.0.0.1", port: Number(port) });
      await peer.send(Buffer.alloc(0));
      return makeRig(mode, hl, [peer], () => Promise.reject(new Error("one UDP sender per test")));
    },
  };
  return mode;
}

export const MODES: readonly Mode[] = [
  streamMode("connect", "tcp", false, false),
  streamMode("listen", "tcp", true, false),
  streamMode("listen -k", "tcp", true, true),
  udpMode("-u connect", false),
  udpMode("-u listen", true),
  streamMode("-U connect", "unix", false, false),
  streamMode("-U listen", "unix", true, false),
  streamMode("--ssl connect", "tcp", false, false, true),
  streamMode("--ssl listen -k", "tcp", true, true, true),
];

/** Waits for hotline to exit and checks the code; the result for more checks. */
export async function exits(hl: Child, code: number, ms = WAIT_MS): Promise<Finished> {
  const done = await hl.done(ms);
  if (done.code !== code) {
    throw new Error(`hotline exited ${done.code ?? done.signal}, expected ${code}; stderr: ${done.stderr}`);
  }
  return done;
}

/**
 * The usual end of a call in this mode, once the test has seen every byte it wanted: the
 * peers say they are done and stdin ends. One call ends by itself (exit 0); a -k listener
 * and a UDP listener keep answering, so they are interrupted (exit 130) once the calls
 * are over.
 */
export async function finish(rig: Rig): Promise<Finished> {
  for (const peer of rig.peers) peer.finish();
  rig.endInput();
  const { mode } = rig;
  if (mode.keep || (mode.transport === "udp" && mode.listen)) {
    if (mode.transport !== "udp") await Promise.all(rig.peers.map((peer) => peer.ended()));
    rig.hl.proc.kill("SIGINT");
    return exits(rig.hl, 130);
  }
  return exits(rig.hl, 0);
}

/** A short, readable form of bytes for messages. */
export function show(data: Buffer): string {
  const text = JSON.stringify(data.subarray(0, 40).toString("latin1"));
  return data.length > 40 ? `${text}... (${data.length} bytes)` : text;
}
