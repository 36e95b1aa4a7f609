/**
 * `hotline -l --proxy-type http`: an HTTP proxy, as ncat's. Every caller is served on its
 * own at once (no -k needed), each with bounded memory and time for its request head, so
 * a slow or hostile caller never stalls another:
 *
 * - CONNECT host:port: dial the target, answer 200, then relay both ways with half-close
 *   (bytes sent after the request, before the 200, go to the target first).
 * - GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS with an absolute http:// URI: the head
 *   goes on in origin form without hop-by-hop fields, the body (Content-Length or
 *   chunked) is relayed byte for byte and not one byte past it, and the origin's reply
 *   comes back as it is sent, until the origin closes (one request per connection).
 * - Anything else: a status (400, 403, 405, 407, 408, 413, 503, 504) and a close.
 *
 * The request is read without taking a byte past its head (MSG_PEEK, reach/proxy/wire.ts),
 * so what follows it stays in the socket for the relay. No HTTP library: node:http would
 * read ahead and rewrite fields, and the relay must be byte-exact.
 */
import { isIP } from "node:net";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  formatAddress,
  getaddrinfo,
  MSG_PEEK,
  MSG_WAITALL,
  SHUT_WR,
  SO_LINGER,
  SOCK_STREAM,
  SOL_SOCKET,
  type Socket,
  socket,
} from "../../index.js";
import { Failure, type Io } from "../io.js";
import type { Options } from "../options/options.js";
import type { AccessList } from "../reach/access-list.js";
import { bindListener } from "../reach/dial.js";
import { describe } from "../reach/line.js";
import { HandshakeError, HeadTooLong, readHead } from "../reach/proxy/wire.js";
import { debug, type Reporter, reason } from "../report.js";
import {
  basicMatches,
  bodyFraming,
  ChunkedEnd,
  type Framing,
  MAX_REQUEST_HEAD,
  METHODS,
  originHead,
  parseAbsoluteUri,
  parseAuthority,
  parseRequestHead,
  RequestError,
  statusReply,
} from "./http-request-head.js";
import { admitCaller, mayConnect } from "./proxy-access.js";

/** How long a caller has to send its whole request head. */
const HEAD_TIMEOUT_S = 30;
/** How long the proxy tries to reach a target. */
const CONNECT_TIMEOUT_S = 30;
/** After a refusal: how long, and how much, the caller's leftover request is read and dropped. */
const REFUSAL_DRAIN_S = 2;
const REFUSAL_DRAIN_BYTES = 1024 * 1024;

const RESET = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

function reset(sock: Socket): void {
  try {
    sock.setsockopt(SOL_SOCKET, SO_LINGER, RESET);
  } catch {
    // closed already
  }
  sock.close().catch(() => {});
}

export async function httpProxy(o: Options, io: Io, report: Reporter, access: AccessList | null): Promise<number> {
  const { sock: listener, where } = await bindListener(o, report);
  const [boundHost, boundPort] = listener.getsockname() as [string, number];
  const self = { host: boundHost, port: boundPort };
  report.say(`listening on ${where}: an HTTP proxy${o.proxyAuth === null ? "" : " (Basic authentication)"}`);
  if (o.proxyAuth === null && !/^(127\.|::1$)/.test(boundHost)) {
    report.say(
      "warning: no --proxy-auth, and not on loopback: anyone who can reach this port can use it to connect wherever this host can",
    );
  }
  const callers = new Set<Socket>();
  const serving = new Set<Promise<void>>();
  let closed = false;
  const stop = (): void => {
    closed = true;
    listener.close().catch(() => {});
  };
  io.interrupt.addEventListener("abort", stop, { once: true });
  if (io.interrupt.aborted) stop();
  try {
    while (!closed) {
      let conn: Socket;
      let peer: string;
      try {
        const [c, addr] = await listener.accept();
        conn = c;
        peer = describe(addr);
        if (!admitCaller(access, addr)) {
          debug("denied %s", peer);
          report.info(`denied ${peer}`);
          reset(conn);
          continue;
        }
      } catch (err) {
        if (closed) break;
        throw new Failure(`accept: ${reason(err)}`);
      }
      if (o.maxConns !== null && callers.size >= o.maxConns) {
        report.say(`refused ${peer}: --max-conns ${o.maxConns} reached`);
        void refuse(conn, statusReply(503));
        continue;
      }
      callers.add(conn);
      const task = serve(conn, peer, o, report, self)
        .catch((err: unknown) => {
          report.info(`${peer}: ${reason(err)}`);
          reset(conn);
        })
        .finally(() => {
          callers.delete(conn);
          serving.delete(task);
        });
      serving.add(task);
    }
  } finally {
    io.interrupt.removeEventListener("abort", stop);
    await listener.close();
  }
  for (const c of callers) reset(c);
  await Promise.allSettled(serving);
  return 130;
}

/** Answers with a status, then hangs up without losing the answer (see hangUp). */
async function refuse(conn: Socket, reply: Buffer): Promise<void> {
  try {
    conn.settimeout(REFUSAL_DRAIN_S);
    await conn.sendall(reply);
  } catch {
    // the caller left, or took too long: nothing more to say
  }
  await hangUp(conn);
}

/**
 * FIN, then the rest of what the caller sent read and dropped (bounded in time and
 * bytes), then close: closing with unread input would send RST, and a caller's system
 * may throw away an answer still unread when RST arrives.
 */
async function hangUp(conn: Socket): Promise<void> {
  try {
    conn.settimeout(REFUSAL_DRAIN_S);
    try {
      conn.shutdown(SHUT_WR);
    } catch {
      // already shut down (a relay passes the origin's end on)
    }
    for (let drained = 0; drained < REFUSAL_DRAIN_BYTES; ) {
      const data = await conn.recv(65536);
      if (!data) break;
      drained += data.length;
    }
  } catch {
    // the caller left, or took too long
  } finally {
    await conn.close().catch(() => {});
  }
}

async function serve(
  conn: Socket,
  peer: string,
  o: Options,
  report: Reporter,
  self: { host: string; port: number },
): Promise<void> {
  debug("proxy caller %s", peer);
  conn.settimeout(HEAD_TIMEOUT_S);
  let origin: Socket | null = null;
  try {
    let raw: Buffer;
    try {
      raw = await readHead(conn, MAX_REQUEST_HEAD);
    } catch (err) {
      if (err instanceof HeadTooLong) throw new RequestError(413, "request head too long");
      if (err instanceof HandshakeError) {
        report.info(`${peer}: left before the end of its request`, 2);
        await conn.close();
        return;
      }
      if ((err as { code?: string }).code === "ETIMEDOUT") throw new RequestError(408, "request head not sent in time");
      throw err;
    }
    const head = parseRequestHead(raw);
    if (!(METHODS as readonly string[]).includes(head.method)) {
      throw new RequestError(405, `method ${head.method} is not relayed`);
    }
    if (o.proxyAuth !== null && !basicMatches(head, o.proxyAuth)) {
      throw new RequestError(407, "no valid credentials");
    }
    conn.settimeout(null);
    report.info(`${peer}: ${head.method} ${head.target}`);
    if (head.method === "CONNECT") {
      const target = parseAuthority(head.target);
      if (target.port === null) throw new RequestError(400, "CONNECT without a port");
      origin = await dialTarget(o, target.host, target.port, self);
      await conn.sendall(statusReply(200));
      await relay(conn, origin);
      return;
    }
    const uri = parseAbsoluteUri(head.target);
    const framing = bodyFraming(head);
    const outHead = originHead(head, uri);
    origin = await dialTarget(o, uri.host, uri.port, self);
    await origin.sendall(outHead);
    await transact(conn, origin, framing);
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    report.info(`${peer}: ${err.status} (${err.message})`);
    const extra =
      err.status === 405
        ? [`Allow: ${METHODS.join(", ")}`]
        : err.status === 407
          ? ['Proxy-Authenticate: Basic realm="hotline"']
          : [];
    await refuse(conn, statusReply(err.status, extra));
  } finally {
    if (origin) await origin.close().catch(() => {});
  }
}

/** Resolves and dials a target within CONNECT_TIMEOUT_S; a refusal is a RequestError. */
async function dialTarget(
  o: Options,
  host: string,
  port: number,
  self: { host: string; port: number },
): Promise<Socket> {
  if (o.nodns && isIP(host) === 0) throw new RequestError(504, `-n: '${host}' is not an address`);
  const family = o.family === 4 ? AF_INET : o.family === 6 ? AF_INET6 : AF_UNSPEC;
  let infos: Awaited<ReturnType<typeof getaddrinfo>>;
  try {
    infos = await getaddrinfo(host, port, family, SOCK_STREAM);
  } catch (err) {
    throw new RequestError(504, `resolve ${host}: ${reason(err)}`);
  }
  let last: unknown = null;
  for (const [fam, type, , , sockaddr] of infos) {
    const why = mayConnect(o, sockaddr, self);
    if (why !== null) throw new RequestError(403, why);
    const sock = socket(fam, type);
    try {
      sock.settimeout(CONNECT_TIMEOUT_S);
      await sock.connect(sockaddr);
      sock.settimeout(null);
      return sock;
    } catch (err) {
      await sock.close();
      last = err;
      debug("proxy: connect %s failed: %s", formatAddress(sockaddr), reason(err));
    }
  }
  throw new RequestError(504, `connect ${host}:${port}: ${reason(last)}`);
}

/** CONNECT's tunnel: both ways, each direction's end passed on as a FIN. */
async function relay(conn: Socket, origin: Socket): Promise<void> {
  const broken = (): void => {
    reset(conn);
    reset(origin);
  };
  const up = conn.forward(origin);
  const down = origin.forward(conn);
  up.catch(broken);
  down.catch(broken);
  await Promise.allSettled([up, down]);
  await conn.close();
}

/** One request's body to the origin (exactly its length), and the origin's reply back. */
async function transact(conn: Socket, origin: Socket, framing: Framing): Promise<void> {
  let bodySent = false;
  const body = sendBody(conn, origin, framing).then(
    () => {
      bodySent = true;
    },
    (err: unknown) => {
      debug("proxy: request body: %s", reason(err));
      reset(origin);
    },
  );
  try {
    await origin.forward(conn);
  } finally {
    await origin.close().catch(() => {});
    // With the body relayed, whatever else the caller sent (a pipelined request) is
    // dropped without a RST; a body still coming ends at the close.
    if (bodySent) await hangUp(conn);
    else await conn.close().catch(() => {});
    await body;
  }
}

async function sendBody(conn: Socket, origin: Socket, framing: Framing): Promise<void> {
  if (framing.kind === "length") {
    for (let left = framing.length; left > 0; ) {
      const data = await conn.recv(Math.min(left, 65536));
      if (!data) return; // the caller sent less than it said: what came is relayed
      await origin.sendall(data);
      left -= data.length;
    }
  } else if (framing.kind === "chunked") {
    const end = new ChunkedEnd();
    while (!end.done) {
      const peeked = await conn.recv(65536, MSG_PEEK);
      if (!peeked) return;
      const take = end.scan(peeked);
      const data = await conn.recv(take, MSG_WAITALL);
      if (!data) return;
      await origin.sendall(data);
    }
  }
}
