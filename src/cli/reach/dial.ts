/**
 * Finding the other end: resolving, dialling each address in turn within -w, and binding
 * a listener, with every failure turned into one line and an exit code. Dialling gives a
 * Line (line.ts).
 */
import { lstat, unlink } from "node:fs/promises";
import {
  type AddrInfo,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AF_UNSPEC,
  AI_PASSIVE,
  formatAddress,
  gaierror,
  getaddrinfo,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  OSError,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
} from "../../index.js";
import { later } from "../call/timer.js";
import { Failure } from "../io.js";
import { BACKLOG, NCAT_PORT, type Options, SEED_HOST, SEED_PORT } from "../options/options.js";
import { debug, type Reporter, reason } from "../report.js";
import { datagramLine, type Line, streamLine } from "./line.js";
import { tunnel } from "./proxy/index.js";
import { clientContext, HANDSHAKE_MS, secureDialled } from "./tls.js";

/** "tcp", "udp" or "unix", as messages name the transport. */
export function transport(o: Options): string {
  return o.unix !== null ? "unix" : o.udp ? "udp" : "tcp";
}

/** Waits for `promise` at most `ms` (null: no limit); null when time ran out. */
async function bounded<T>(promise: Promise<T>, ms: number | null): Promise<T | null> {
  if (ms === null) return promise;
  let cancel = (): void => {};
  const expired = new Promise<null>((resolve) => {
    cancel = later(Math.max(0, ms), () => resolve(null));
  });
  promise.catch(() => {});
  try {
    return await Promise.race([promise, expired]);
  } finally {
    cancel();
  }
}

/** Dials the target of `o`: each address the name gives, in turn, until one answers. */
export async function dial(o: Options, report: Reporter): Promise<Line> {
  const started = performance.now();
  // Certificates and trust files are read before dialling: a bad one is exit 2 at once.
  const tls = o.tls ? clientContext(o.tls) : null;
  // Through a proxy, the tunnel's far end is the target: TLS checks the target's name.
  const { sock, peer, host } =
    o.proxy !== null
      ? await tunnel(o, report, (h, p) => reach(o, report, { host: h, port: p })).then((t) => ({
          ...t,
          host: t.targetHost,
        }))
      : await reach(o, report).then((r) => ({ ...r, host: o.unix !== null ? null : (o.host ?? SEED_HOST) }));
  debug("connected to %s (%s)", peer, transport(o));
  if (tls && o.tls) {
    const ms = o.wait === null ? HANDSHAKE_MS : Math.max(1, o.wait - (performance.now() - started));
    return streamLine(await secureDialled(sock, tls, o.tls, host, peer, ms, report), peer, true);
  }
  return o.udp ? datagramLine(sock, peer) : streamLine(sock, peer, true);
}

/** Dials the target of `o`, or `to` instead (a proxy). */
async function reach(
  o: Options,
  report: Reporter,
  to: { host: string; port: number } | null = null,
): Promise<{ sock: Socket; peer: string }> {
  const started = performance.now();
  const left = (): number | null => (o.wait === null ? null : o.wait - (performance.now() - started));
  const type = o.udp ? SOCK_DGRAM : SOCK_STREAM;
  if (o.unix !== null) {
    const sock = socket(AF_UNIX, SOCK_STREAM);
    try {
      if (o.wait !== null) sock.settimeout(o.wait / 1000);
      await sock.connect(o.unix);
      return { sock, peer: o.unix };
    } catch (err) {
      await sock.close();
      throw new Failure(`connect unix ${o.unix}: ${reason(err)}`, exitCodeOf(err));
    }
  }
  const host = to?.host ?? o.host ?? SEED_HOST;
  const port = to?.port ?? o.port ?? (o.grammar === "seed" ? SEED_PORT : NCAT_PORT);
  const where = formatAddress(host.includes(":") ? [host, port, 0, 0] : [host, port]);
  const family = o.family === 4 ? AF_INET : o.family === 6 ? AF_INET6 : AF_UNSPEC;
  let infos: AddrInfo[] | null;
  try {
    infos = await bounded(getaddrinfo(host, port, family, type), left());
  } catch (err) {
    if (to === null && o.didYouMean !== null && err instanceof gaierror) {
      throw new Failure(`unknown command '${host}' (did you mean ${o.didYouMean}?)`, 2);
    }
    throw new Failure(`resolve ${host}: ${reason(err)}`, exitCodeOf(err));
  }
  if (infos === null) throw new Failure(`resolve ${host}: timed out after ${o.wait} ms (-w)`);
  let last: unknown = null;
  for (const [fam, t, , , sockaddr] of infos) {
    const sock = socket(fam, t);
    const target = formatAddress(sockaddr);
    try {
      const ms = left();
      if (ms !== null) {
        if (ms <= 0) throw new Failure(`connect ${transport(o)} ${where}: timed out (-w)`);
        sock.settimeout(ms / 1000);
      }
      if (o.source !== null || o.sourcePort !== null) {
        await sock.bind([o.source ?? (fam === AF_INET6 ? "::" : "0.0.0.0"), o.sourcePort ?? 0]);
      }
      report.info(`connecting to ${target} (${transport(o)})`, 2);
      debug("connecting to %s (%s)", target, transport(o));
      await sock.connect(sockaddr);
      return { sock, peer: target };
    } catch (err) {
      await sock.close();
      if (err instanceof Failure) throw err;
      report.info(`connect ${transport(o)} ${target}: ${reason(err)}`);
      debug("connect %s %s failed: %s", transport(o), target, reason(err));
      last = err;
    }
  }
  throw new Failure(`connect ${transport(o)} ${where}: ${reason(last)}`, exitCodeOf(last));
}

/** Binds and, for streams, listens; prints nothing (the caller prints the readiness line). */
export async function bindListener(o: Options, report: Reporter): Promise<{ sock: Socket; where: string }> {
  const type = o.udp ? SOCK_DGRAM : SOCK_STREAM;
  if (o.unix !== null) return bindUnix(o.unix, report);
  const port = o.port ?? (o.grammar === "seed" ? SEED_PORT : NCAT_PORT);
  let family: number;
  let host: string;
  let dual = false;
  if (o.host === null && o.grammar === "ncat") {
    // ncat listens on every address of both families when no host is given.
    family = o.family === 4 ? AF_INET : AF_INET6;
    host = o.family === 4 ? "0.0.0.0" : "::";
    dual = o.family === 0;
  } else {
    const wanted = o.host ?? SEED_HOST;
    const fam = o.family === 4 ? AF_INET : o.family === 6 ? AF_INET6 : AF_UNSPEC;
    let infos: AddrInfo[];
    try {
      infos = await getaddrinfo(wanted, port, fam, type, 0, AI_PASSIVE);
    } catch (err) {
      throw new Failure(`resolve ${wanted}: ${reason(err)}`, exitCodeOf(err));
    }
    const first = infos[0];
    if (!first) throw new Failure(`resolve ${wanted}: no address`);
    family = first[0];
    host = first[4][0];
  }
  const sock = socket(family, type);
  const shown = formatAddress(family === AF_INET6 ? [host, port, 0, 0] : [host, port]);
  try {
    if (dual) sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 0);
    await sock.bind(family === AF_INET6 ? [host, port, 0, 0] : [host, port]);
    if (type === SOCK_STREAM) await sock.listen(BACKLOG);
  } catch (err) {
    await sock.close();
    throw new Failure(`listen ${o.udp ? "udp" : "tcp"} ${shown}: ${reason(err)}`, exitCodeOf(err));
  }
  const bound = formatAddress(sock.getsockname());
  report.info(`bound ${bound}`, 2);
  return { sock, where: `${bound} (${o.udp ? "udp" : "tcp"}${dual ? ", IPv4 and IPv6" : ""})` };
}

/**
 * A Unix listener. A path that is not a socket is never removed; a socket file nobody
 * answers on (left by a crash) is replaced; a live one is "address in use".
 */
async function bindUnix(path: string, report: Reporter): Promise<{ sock: Socket; where: string }> {
  const existing = await lstat(path).catch(() => null);
  if (existing && !existing.isSocket()) {
    throw new Failure(`listen unix ${path}: the path exists and is not a socket; not removing it`, 2);
  }
  if (existing) {
    const probe = socket(AF_UNIX, SOCK_STREAM);
    probe.settimeout(2);
    const live = await probe.connectEx(path).catch(() => -1);
    await probe.close();
    if (live === 0) throw new Failure(`listen unix ${path}: address already in use (another program answers there)`);
    report.info(`removing stale socket file ${path}`);
    await unlink(path).catch(() => {});
  }
  const sock = socket(AF_UNIX, SOCK_STREAM);
  try {
    await sock.bind(path);
    await sock.listen(BACKLOG);
  } catch (err) {
    await sock.close();
    throw new Failure(`listen unix ${path}: ${reason(err)}`, exitCodeOf(err));
  }
  return { sock, where: `${path} (unix)` };
}

/** 2 for what the user can fix in the command line (a path too long), 1 for the rest. */
function exitCodeOf(err: unknown): number {
  return err instanceof OSError && err.code === "ENAMETOOLONG" ? 2 : 1;
}
