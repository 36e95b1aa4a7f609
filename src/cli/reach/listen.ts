/**
 * Answering: a Listener binds where the options say, prints nothing (the topology prints
 * the readiness line), and hands out each caller as a Line. A stream listener accepts;
 * a UDP listener makes a Line of each new sender (udp-listener.ts).
 */
import type { Address, Socket } from "../../index.js";
import { Failure } from "../io.js";
import type { Options } from "../options/options.js";
import { debug, type Reporter, reason } from "../report.js";
import type { AccessList } from "./access-list.js";
import { bindListener } from "./dial.js";
import { describe, type Line, streamLine } from "./line.js";
import { serverContext } from "./tls.js";
import { TlsListener } from "./tls-listener.js";
import { UdpListener } from "./udp-listener.js";

export interface Listener {
  /** The address really bound, as the readiness line shows it: "127.0.0.1:41234 (tcp)". */
  readonly where: string;
  /** The next caller; null once the listener is closed. Fails with a Failure ("accept: ..."). */
  next(): Promise<Line | null>;
  /** Stops answering; a pending next() resolves null. Idempotent. */
  close(): Promise<void>;
}

/**
 * Binds and listens. With an access list (--allow, --deny), a caller it does not admit
 * never becomes a Line: it is reset the moment it is accepted, before any byte, TLS
 * handshake or child process, and next() waits for the following caller; a UDP sender it
 * does not admit has its datagrams dropped.
 */
export async function listen(o: Options, report: Reporter, access: AccessList | null = null): Promise<Listener> {
  // Certificates are read (or made) before binding: a bad file is exit 2 with nothing bound.
  const tls = o.tls ? serverContext(o.tls, o.host) : null;
  const { sock, where } = await bindListener(o, report);
  debug("listening on %s", where);
  const denied = (peer: string): void => report.info(`denied ${peer}`);
  if (tls) {
    if (tls.made) report.say(tls.made);
    return new TlsListener(sock, where, tls.ctx, report, gate(access, denied));
  }
  // Without -k a UDP listener hears only its first sender, as ncat does.
  return o.udp
    ? new UdpListener(sock, where, !o.keepOpen, access, denied)
    : streamListener(sock, where, gate(access, denied));
}

/** Whether an accepted caller may in: one the access list refuses is reset at once and logged. */
export type Gate = (conn: Socket, addr: Address, peer: string) => boolean;

function gate(access: AccessList | null, denied: (peer: string) => void): Gate {
  return (conn, addr, peer) => {
    if (access === null || access.admits(addr)) return true;
    debug("denied %s", peer);
    denied(peer);
    streamLine(conn, peer, false).reset();
    return false;
  };
}

function streamListener(sock: Socket, where: string, admit: Gate): Listener {
  let closed = false;
  return {
    where,
    next: async () => {
      for (;;) {
        if (closed) return null;
        let conn: Socket;
        let addr: Address;
        try {
          [conn, addr] = await sock.accept();
        } catch (err) {
          if (closed) return null;
          throw new Failure(`accept: ${reason(err)}`);
        }
        const peer = describe(addr);
        if (!admit(conn, addr, peer)) continue;
        debug("accepted %s", peer);
        return streamLine(conn, peer, false);
      }
    },
    close: () => {
      closed = true;
      return sock.close();
    },
  };
}
