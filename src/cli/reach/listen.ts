/**
 * Answering: a Listener binds where the options say, prints nothing (the topology prints
 * the readiness line), and hands out each caller as a Line. A stream listener accepts;
 * a UDP listener makes a Line of each new sender (udp-listener.ts).
 */
import type { Socket } from "../../index.js";
import { Failure } from "../io.js";
import type { Options } from "../options/options.js";
import { debug, type Reporter, reason } from "../report.js";
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

export async function listen(o: Options, report: Reporter): Promise<Listener> {
  // Certificates are read (or made) before binding: a bad file is exit 2 with nothing bound.
  const tls = o.tls ? serverContext(o.tls, o.host) : null;
  const { sock, where } = await bindListener(o, report);
  debug("listening on %s", where);
  if (tls) {
    if (tls.made) report.say(tls.made);
    return new TlsListener(sock, where, tls.ctx, report);
  }
  // Without -k a UDP listener hears only its first sender, as ncat does.
  return o.udp ? new UdpListener(sock, where, !o.keepOpen) : streamListener(sock, where);
}

function streamListener(sock: Socket, where: string): Listener {
  let closed = false;
  return {
    where,
    next: async () => {
      if (closed) return null;
      try {
        const [conn, addr] = await sock.accept();
        const peer = describe(addr);
        debug("accepted %s", peer);
        return streamLine(conn, peer, false);
      } catch (err) {
        if (closed) return null;
        throw new Failure(`accept: ${reason(err)}`);
      }
    },
    close: () => {
      closed = true;
      return sock.close();
    },
  };
}
