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
/**
 * A filesystem path, as Python's AF_UNIX addresses; on Linux, a string that starts with
 * "\0" is an abstract name (Python's `b"\0name"`).
 */
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
 * The longest Linux abstract AF_UNIX name in bytes, its leading NUL included: all of
 * sun_path, since an abstract name needs no terminating NUL (Python's limit too).
 */
export const UNIX_ABSTRACT_MAX = 108;

/** True for a Linux abstract AF_UNIX name ("\0" and then any bytes, NULs included). */
export function isAbstractName(path: string): boolean {
  return path.startsWith("\0");
}

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

/**
 * An AF_UNIX path that fits the platform's sun_path, or a Linux abstract name ("\0name",
 * at most 108 bytes, NULs allowed anywhere); fails before Node can truncate it. Only
 * Linux has abstract names: elsewhere one is EOPNOTSUPP.
 */
export function checkUnixPath(path: unknown): string {
  if (typeof path !== "string") {
    throw new TypeError(`AF_UNIX address must be a path string, not ${describe(path)}`);
  }
  const bytes = Buffer.byteLength(path);
  if (isAbstractName(path)) {
    if (platform() !== "linux") {
      throw oserror("EOPNOTSUPP", `abstract AF_UNIX names ("\\0name") exist on Linux only, not on ${platform()}`);
    }
    if (bytes > UNIX_ABSTRACT_MAX) {
      throw oserror("ENAMETOOLONG", `AF_UNIX abstract name too long (${bytes} bytes, at most ${UNIX_ABSTRACT_MAX})`);
    }
    return path;
  }
  if (bytes > UNIX_PATH_MAX) {
    throw oserror("ENAMETOOLONG", `AF_UNIX path too long (${bytes} bytes, at most ${UNIX_PATH_MAX})`);
  }
  // The kernel would silently use the part before the NUL: a different path from the one meant.
  if (path.includes("\0")) throw new TypeError("AF_UNIX path must not contain NUL bytes (only an abstract name may)");
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

/**
 * "127.0.0.1:80", "[::1]:80" or the path: how addresses appear in messages. An abstract
 * name is written as `ss` and /proc/net/unix write it, each NUL as "@" ("@name").
 */
export function formatAddress(address: Address | null): string {
  if (address === null) return "(none)";
  if (typeof address === "string") {
    if (address === "") return "(unnamed)";
    return isAbstractName(address) ? address.replaceAll("\0", "@") : address;
  }
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

/**
 * The eight 16-bit groups of an IPv6 literal (no "%scope"), or null when `text` is not
 * one by inet_pton's rules: hex groups of one to four digits, at most one "::" standing
 * for one or more zero groups, and optionally a dotted IPv4 address (no leading zeros)
 * as the last 32 bits.
 */
export function parseIpv6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] === "" ? [] : (halves[0] ?? "").split(":");
  const tail = halves.length === 1 || halves[1] === "" ? [] : (halves[1] ?? "").split(":");
  const last = halves.length === 1 ? head : tail;
  const groups: number[] = [];
  const words = (parts: string[], isLast: boolean): number[] | null => {
    const out: number[] = [];
    for (const [i, part] of parts.entries()) {
      if (isLast && i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4Strict(part);
        if (v4 === null) return null;
        const [a = 0, b = 0, c = 0, d = 0] = v4;
        out.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(Number.parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const front = words(head, last === head);
  const back = words(tail, last === tail);
  if (front === null || back === null) return null;
  if (halves.length === 1) return front.length === 8 ? front : null;
  const zeros = 8 - front.length - back.length;
  if (zeros < 1) return null;
  groups.push(...front, ...new Array<number>(zeros).fill(0), ...back);
  return groups;
}

/** Four octets of a dotted-quad IPv4 address, as inet_pton reads it (no leading zeros), or null. */
function parseIpv4Strict(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const octets = parts.map((part) => (/^(0|[1-9][0-9]{0,2})$/.test(part) ? Number(part) : 256));
  return octets.every((octet) => octet <= 255) ? octets : null;
}

/**
 * An IPv6 address written as glibc's inet_ntop writes it, which is what Python returns:
 * lower case, no leading zeros, the first longest run of two or more zero groups as "::",
 * and the last 32 bits dotted after "::" or "::ffff:" (IPv4-compatible and -mapped).
 */
export function formatIpv6(groups: readonly number[]): string {
  let best = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      best = i;
      bestLength = end - i;
    }
    i = end;
  }
  if (bestLength < 2) best = -1;
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((group) => group.toString(16))
      .join(":");
  if (best === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
    const v4 = [(groups[6] ?? 0) >> 8, (groups[6] ?? 0) & 0xff, (groups[7] ?? 0) >> 8, (groups[7] ?? 0) & 0xff];
    return `::${bestLength === 5 ? "ffff:" : ""}${v4.join(".")}`;
  }
  if (best < 0) return hex(0, 8);
  return `${hex(0, best)}::${hex(best + bestLength, 8)}`;
}

/** `text` in inet_ntop's form if it is an IPv6 literal (no "%scope"); otherwise unchanged. */
export function normalizeIpv6(text: string): string {
  const groups = parseIpv6(text);
  return groups === null ? text : formatIpv6(groups);
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
