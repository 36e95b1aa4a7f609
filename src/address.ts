/**
 * Addresses and ports: parse, validate and format, with no I/O.
 *
 * Node is lenient where it should not be (port "0x50" binds 80, "abc" becomes a Unix
 * socket, long Unix paths are cut short silently), so everything is checked here first.
 */
import { platform } from "node:os";
import { AF_INET, AF_INET6, AF_UNIX } from "./constants.js";
import { oserror } from "./errors.js";

/** `[host, port]`, as Python's AF_INET addresses. */
export type Inet4Address = [host: string, port: number];
/** `[host, port, flowinfo, scopeId]`, as Python's AF_INET6 addresses. */
export type Inet6Address = [host: string, port: number, flowinfo: number, scopeId: number];
/** A filesystem path, as Python's AF_UNIX addresses. */
export type UnixAddress = string;
export type Address = Inet4Address | Inet6Address | UnixAddress;
/** What callers may pass: IPv6 tuples may leave out flowinfo and scopeId, as in Python. */
export type AddressInput =
  | UnixAddress
  | readonly [host: string, port: number]
  | readonly [host: string, port: number, flowinfo: number]
  | readonly [host: string, port: number, flowinfo: number, scopeId: number];

/** An internet address after validation. */
export interface InetTarget {
  host: string;
  port: number;
  scopeId: number;
}

/** The longest AF_UNIX path in bytes: sun_path less its terminating NUL. */
export const UNIX_PATH_MAX = platform() === "darwin" ? 103 : 107;

/**
 * A port written as text: decimal digits only, 0 to 65535. Anything else (hex, spaces,
 * exponents, signs, empty) gives undefined, so callers can say what was wrong.
 */
export function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** A port given as a number: an integer from 0 to 65535, as Python's getsockaddrarg. */
export function checkPort(port: unknown, what = "port"): number {
  if (typeof port !== "number" || !Number.isInteger(port)) {
    throw new TypeError(`${what} must be an integer, not ${describe(port)}`);
  }
  if (port < 0 || port > 65535) throw new RangeError(`${what} must be 0-65535, not ${port}`);
  return port;
}

/** An AF_UNIX path that fits the platform's sun_path; fails before Node can truncate it. */
export function checkUnixPath(path: unknown): string {
  if (typeof path !== "string") {
    throw new TypeError(`AF_UNIX address must be a path string, not ${describe(path)}`);
  }
  const bytes = Buffer.byteLength(path);
  if (bytes > UNIX_PATH_MAX) {
    throw oserror("ENAMETOOLONG", `AF_UNIX path too long (${bytes} bytes, at most ${UNIX_PATH_MAX})`);
  }
  if (path.includes("\0")) throw new TypeError("AF_UNIX path must not contain NUL bytes");
  return path;
}

/** Validates an AF_INET or AF_INET6 tuple; `%scope` in an IPv6 host moves to scopeId. */
export function checkInet(family: number, address: unknown): InetTarget {
  const want = family === AF_INET6 ? "(host, port[, flowinfo[, scopeId]])" : "(host, port)";
  if (!Array.isArray(address)) {
    throw new TypeError(`${familyName(family)} address must be a tuple ${want}, not ${describe(address)}`);
  }
  const max = family === AF_INET6 ? 4 : 2;
  if (address.length < 2 || address.length > max) {
    throw new TypeError(`${familyName(family)} address must be a tuple ${want}, got ${address.length} items`);
  }
  const [host, port, flowinfo = 0, scope = 0] = address as unknown[];
  if (typeof host !== "string") throw new TypeError(`host must be a string, not ${describe(host)}`);
  checkPort(port);
  if (typeof flowinfo !== "number" || !Number.isInteger(flowinfo) || flowinfo < 0 || flowinfo > 0xfffff) {
    throw new RangeError("flowinfo must be 0-1048575");
  }
  if (typeof scope !== "number" || !Number.isInteger(scope) || scope < 0 || scope > 0xffffffff) {
    throw new RangeError("scopeId must be an unsigned 32-bit integer");
  }
  const cut = host.indexOf("%");
  if (cut >= 0 && family === AF_INET6) {
    const named = Number(host.slice(cut + 1));
    return { host: host.slice(0, cut), port: port as number, scopeId: Number.isInteger(named) ? named : scope };
  }
  return { host, port: port as number, scopeId: scope };
}

/** "127.0.0.1:80", "[::1]:80" or the path: how addresses appear in messages. */
export function formatAddress(address: Address | null): string {
  if (address === null) return "(none)";
  if (typeof address === "string") return address === "" ? "(unnamed)" : address;
  const [host, port] = address;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Builds the tuple Python would return for `family` from Node's address fields. */
export function toAddress(family: number, host: string | undefined, port: number | undefined): Address {
  if (family === AF_UNIX) return host ?? "";
  const h = host ?? (family === AF_INET6 ? "::" : "0.0.0.0");
  const p = port ?? 0;
  if (family !== AF_INET6) return [h, p];
  const cut = h.indexOf("%");
  if (cut < 0) return [h, p, 0, 0];
  const scope = Number(h.slice(cut + 1));
  return [h.slice(0, cut), p, 0, Number.isInteger(scope) ? scope : 0];
}

export function familyName(family: number): string {
  if (family === AF_INET) return "AF_INET";
  if (family === AF_INET6) return "AF_INET6";
  if (family === AF_UNIX) return "AF_UNIX";
  return `family ${family}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `string ${JSON.stringify(value)}` : typeof value;
}
