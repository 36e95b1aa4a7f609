/**
 * Python's convenience functions: create_connection, create_server and socketpair.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInput } from "../address.js";
import { AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC, IPPROTO_IPV6, IPV6_V6ONLY, SOCK_STREAM } from "../constants.js";
import { oserror } from "../errors.js";
import { checkTimeout, getdefaulttimeout } from "./defaults.js";
import { getaddrinfo } from "./resolve.js";
import { Socket, shareListeningPort } from "./socket.js";
import { reusePortSupported } from "./stream-listener.js";

export interface CreateConnectionOptions {
  /** Seconds for each attempt and for the new socket; getdefaulttimeout() when left out. */
  timeout?: number | null;
  /** Local [host, port] to dial from. */
  sourceAddress?: readonly [string, number];
}

/**
 * Dials `[host, port]`, trying each address the name resolves to in turn, and returns the
 * first socket that connects. Fails with the last attempt's error.
 */
export async function createConnection(
  address: readonly [host: string, port: number],
  options: CreateConnectionOptions = {},
): Promise<Socket> {
  const [host, port] = address;
  // Checked before any lookup, so a bad timeout is the caller's RangeError, not an attempt's failure.
  const timeout = options.timeout === undefined ? getdefaulttimeout() : checkTimeout(options.timeout);
  const candidates = await getaddrinfo(host, port, AF_UNSPEC, SOCK_STREAM);
  let last: unknown = oserror("EADDRNOTAVAIL", `no address for ${host}`);
  for (const [family, type, proto, , sockaddr] of candidates) {
    const sock = new Socket(family, type, proto);
    try {
      sock.settimeout(timeout);
      if (options.sourceAddress) await sock.bind(options.sourceAddress);
      await sock.connect(sockaddr);
      return sock;
    } catch (err) {
      last = err;
      await sock.close();
    }
  }
  throw last;
}

export interface CreateServerOptions {
  /** AF_INET (default) or AF_INET6. */
  family?: number;
  /** listen() backlog; Python's default when left out. */
  backlog?: number;
  /** With AF_INET6, accept IPv4 callers too (as ::ffff:a.b.c.d). */
  dualstackIpv6?: boolean;
  /**
   * SO_REUSEPORT: other listeners (in this process or others) may bind the same port, and
   * the kernel spreads new connections among them, so one server can use every core.
   * Needs Node 22.12 or 23.1 and later; older Nodes refuse it with ENOPROTOOPT.
   */
  reusePort?: boolean;
}

/** Binds and listens in one call, as Python's create_server. */
export async function createServer(address: AddressInput, options: CreateServerOptions = {}): Promise<Socket> {
  const family = options.family ?? AF_INET;
  if (options.dualstackIpv6 && family !== AF_INET6) {
    throw new RangeError("dualstackIpv6 requires family AF_INET6");
  }
  if (options.reusePort !== undefined && typeof options.reusePort !== "boolean") {
    throw new TypeError("reusePort must be a boolean");
  }
  if (options.reusePort && !reusePortSupported()) {
    // Node 20 and 22 before 22.12 drop the option silently: the port would not be shared.
    throw oserror(
      "ENOPROTOOPT",
      `reusePort needs Node 22.12 or 23.1 and later (this is Node ${process.versions.node}); on this Node, share one listening socket among processes with the cluster module`,
    );
  }
  const sock = new Socket(family, SOCK_STREAM);
  try {
    if (options.reusePort) shareListeningPort(sock);
    if (options.dualstackIpv6) sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 0);
    await sock.bind(address);
    await sock.listen(options.backlog);
    return sock;
  } catch (err) {
    await sock.close();
    throw err;
  }
}

/**
 * Two connected sockets, as Python's socketpair(). AF_UNIX (the default) goes through a
 * private socket file that is removed at once; AF_INET and AF_INET6 use loopback.
 */
export async function socketpair(family = AF_UNIX, type = SOCK_STREAM, proto = 0): Promise<[Socket, Socket]> {
  if (type !== SOCK_STREAM) throw oserror("EOPNOTSUPP", "socketpair() makes SOCK_STREAM pairs only");
  const listener = new Socket(family, type, proto);
  const dialer = new Socket(family, type, proto);
  let dir: string | null = null;
  try {
    let address: AddressInput;
    if (family === AF_UNIX) {
      dir = await mkdtemp(join(tmpdir(), "hotline-pair-"));
      address = join(dir, "s");
    } else {
      address = family === AF_INET6 ? ["::1", 0] : ["127.0.0.1", 0];
    }
    await listener.bind(address);
    await listener.listen(1);
    const [, [accepted]] = await Promise.all([dialer.connect(listener.getsockname()), listener.accept()]);
    return [dialer, accepted];
  } catch (err) {
    await dialer.close();
    throw err;
  } finally {
    await listener.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
