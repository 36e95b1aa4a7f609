/**
 * A TLS listener: accepts as the plain one does, and hands out each caller only once its
 * handshake is done. Handshakes run side by side, each bounded (tls.ts), so a caller that
 * connects and never speaks holds up nobody; a caller whose handshake fails is refused
 * with a line on stderr and the listener goes on. There is never a plaintext fallback.
 *
 * Accepting pauses while BACKLOG callers are handshaking or waiting to be taken by
 * next(), as the kernel's backlog would hold them for a plain listener (--serial takes
 * one call at a time; the one-call listener closes after its first).
 */
import type { Socket } from "../../index.js";
import type { SSLContext, SSLSocket } from "../../ssl/index.js";
import { deferred } from "../deferred.js";
import { Failure } from "../io.js";
import { BACKLOG } from "../options/options.js";
import { debug, type Reporter, reason } from "../report.js";
import { describe, type Line, streamLine } from "./line.js";
import type { Gate, Listener } from "./listen.js";
import { secureAccepted } from "./tls.js";

export class TlsListener implements Listener {
  readonly where: string;
  readonly #sock: Socket;
  readonly #ctx: SSLContext;
  readonly #report: Reporter;
  /** Handshaken callers not yet taken by next(). */
  readonly #ready: Line[] = [];
  /** Accepted callers still handshaking (the plain socket until it is wrapped). */
  readonly #handshaking = new Set<Socket>();
  #failure: Failure | null = null;
  #closed = false;
  #accepting = false;
  /** Wakes next() (a caller is ready, or the listener closed or failed). */
  #wakeNext: (() => void) | null = null;
  /** Wakes the accept loop when there is room again. */
  #wakeLoop: (() => void) | null = null;

  /** The access check, before any handshake. */
  readonly #admit: Gate;

  constructor(sock: Socket, where: string, ctx: SSLContext, report: Reporter, admit: Gate) {
    this.#sock = sock;
    this.#admit = admit;
    this.where = where;
    this.#ctx = ctx;
    this.#report = report;
  }

  async next(): Promise<Line | null> {
    if (!this.#accepting) {
      this.#accepting = true;
      this.#accept();
    }
    for (;;) {
      const line = this.#ready.shift();
      if (line) {
        this.#wakeLoop?.();
        return line;
      }
      if (this.#closed) return null;
      if (this.#failure) throw this.#failure;
      const { promise, resolve } = deferred<void>();
      this.#wakeNext = resolve;
      await promise;
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const conn of this.#handshaking) conn.close();
      for (const line of this.#ready.splice(0)) line.reset();
      this.#wakeNext?.();
      this.#wakeLoop?.();
    }
    return this.#sock.close();
  }

  async #accept(): Promise<void> {
    while (!this.#closed) {
      if (this.#ready.length + this.#handshaking.size >= BACKLOG) {
        const { promise, resolve } = deferred<void>();
        this.#wakeLoop = resolve;
        await promise;
        continue;
      }
      let conn: Socket;
      let peer: string;
      try {
        const [c, addr] = await this.#sock.accept();
        conn = c;
        peer = describe(addr);
        if (!this.#admit(conn, addr, peer)) continue;
      } catch (err) {
        if (!this.#closed) this.#failure = new Failure(`accept: ${reason(err)}`);
        this.#wakeNext?.();
        return;
      }
      debug("accepted %s, handshaking", peer);
      this.#handshake(conn, peer);
    }
  }

  async #handshake(conn: Socket, peer: string): Promise<void> {
    let held: Socket = conn;
    this.#handshaking.add(held);
    const started = (wrapped: SSLSocket): void => {
      // The plain socket is detached now: closing the wrapped one ends the handshake.
      this.#handshaking.delete(held);
      held = wrapped;
      this.#handshaking.add(held);
      if (this.#closed) wrapped.close();
    };
    let ssock: SSLSocket;
    try {
      ssock = await secureAccepted(conn, this.#ctx, peer, this.#report, started);
    } catch (err) {
      if (!this.#closed) this.#report.say(`TLS handshake with ${peer} failed: ${reason(err)}`);
      return;
    } finally {
      this.#handshaking.delete(held);
      this.#wakeLoop?.();
    }
    const line = streamLine(ssock, peer, false);
    if (this.#closed) {
      line.reset();
      return;
    }
    this.#ready.push(line);
    this.#wakeNext?.();
  }
}
