/**
 * The values options and words take, checked before Node sees them: ports, hosts, times,
 * counts, file names. Each returns the value or throws a UsageError naming what is wrong.
 * Pure.
 */
import { isIP } from "node:net";
import { parsePort } from "../../index.js";

export class UsageError extends Error {
  override name = "UsageError";
}

/** The longest time an option takes: a year. Longer is surely a typo; chained timers hold it. */
export const LONGEST_TIME_MS = 365 * 24 * 3_600_000;

/** A port from the command line; 0 only where an ephemeral port is meant (listening). */
export function port(text: string, what: string, zeroOk: boolean): number {
  const p = parsePort(text);
  if (p === undefined || (p === 0 && !zeroOk)) {
    throw new UsageError(`invalid ${what} '${text}': a port is a decimal number from ${zeroOk ? 0 : 1} to 65535`);
  }
  return p;
}

/** A host: an address (IPv6 may be in brackets) or a name that could exist. */
export function host(text: string, what: string): string {
  if (text === "") throw new UsageError(`${what} is empty`);
  let h = text;
  if (h.startsWith("[") || h.endsWith("]")) {
    if (!(h.startsWith("[") && h.endsWith("]")))
      throw new UsageError(`malformed address '${text}': unbalanced brackets`);
    h = h.slice(1, -1);
    if (isIP(h) !== 6) throw new UsageError(`malformed IPv6 address '${text}'`);
    return h;
  }
  if (isIP(h) !== 0) return h;
  if (h.includes(":")) throw new UsageError(`malformed IPv6 address '${text}'`);
  if (h.length > 253) throw new UsageError(`${what} is ${h.length} characters long; a host name has at most 253`);
  const name = h.endsWith(".") ? h.slice(0, -1) : h;
  if (!/^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*$/.test(name)) {
    throw new UsageError(`invalid ${what} '${text.length > 60 ? `${text.slice(0, 60)}...` : text}'`);
  }
  return h;
}

/**
 * A file or socket path. Node decodes argv as UTF-8 and puts U+FFFD where a byte is not
 * valid, so the file opened would not be the one named: such a path is refused.
 */
export function path(text: string, what: string): string {
  if (text === "") throw new UsageError(`${what} needs a file name`);
  if (text.includes("\uFFFD")) {
    throw new UsageError(`${what} '${text}' is not valid UTF-8 (or holds U+FFFD): hotline cannot name that file`);
  }
  return text;
}

/** A count: a positive decimal integer. */
export function count(text: string, what: string): number {
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) === 0)
    throw new UsageError(`invalid ${what} '${text}': a whole number from 1`);
  return Number(text);
}

/**
 * ncat's times: seconds by default, or with ms, s, m, h. Returns milliseconds, at least 1
 * and at most a year: 0 could never work (ncat refuses it too), and times past Node's
 * 24.8-day timers are held by chaining (call/timer.ts).
 */
export function time(text: string, what = "time"): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(text);
  if (!match) throw new UsageError(`invalid ${what} '${text}': use a number of seconds, or 500ms, 2s, 1m, 1h`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"] ?? 1000;
  const ms = Math.round(Number(match[1]) * scale);
  if (ms < 1) throw new UsageError(`invalid ${what} '${text}': a time must be at least 1 ms`);
  if (ms > LONGEST_TIME_MS) throw new UsageError(`invalid ${what} '${text}': at most a year (8760h)`);
  return ms;
}

/** "20-25,80,8000-8100" to a list of ports, at most 65535 of them, in order, once each. */
export function portList(spec: string): number[] {
  const ports = new Set<number>();
  for (const part of spec.split(",")) {
    const range = /^([0-9]+)(?:-([0-9]+))?$/.exec(part);
    if (!range) throw new UsageError(`invalid PORTS '${spec}': use a list like 20-25,80,8000-8100`);
    const from = port(range[1] as string, "port", false);
    const to = range[2] === undefined ? from : port(range[2], "port", false);
    if (to < from) throw new UsageError(`invalid port range '${part}': ${from} is above ${to}`);
    for (let p = from; p <= to; p++) ports.add(p);
  }
  return [...ports];
}

export function conflict(a: string, b: string): never {
  throw new UsageError(`${a} and ${b} cannot be combined`);
}

/**
 * --ssl-pin's value: "sha256:" and the 64 hex digits of the certificate's SHA-256, colons
 * allowed (as openssl and Node print them), any case. Returns the lowercase hex.
 */
export function pin(text: string, what: string): string {
  const match = /^sha256:([0-9A-Fa-f:]+)$/.exec(text);
  const hex = match ? (match[1] as string).replaceAll(":", "").toLowerCase() : "";
  if (hex.length !== 64) {
    throw new UsageError(`invalid ${what} '${text}': use sha256: and the certificate's 64 hex digits`);
  }
  return hex;
}

/** --ssl-alpn's value: protocol names separated by commas, each 1 to 255 printable bytes. */
export function alpnList(text: string, what: string): string[] {
  const names = text.split(",");
  for (const name of names) {
    if (!/^[\x21-\x7e]{1,255}$/.test(name)) {
      throw new UsageError(`invalid ${what} '${text}': a comma-separated list of protocol names (h2,http/1.1)`);
    }
  }
  return names;
}

/**
 * --proxy HOST[:PORT]: an IPv6 address in brackets takes a port ([::1]:3128); a bare one
 * (::1) is all host, as in ncat, since its colons cannot be told from a port's.
 */
export function proxyAddress(text: string): { host: string; port: number | null } {
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new UsageError(`malformed --proxy '${text}': unbalanced brackets`);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw new UsageError(`malformed --proxy '${text}'`);
    return {
      host: host(text.slice(0, close + 1), "--proxy host"),
      port: rest === "" ? null : port(rest.slice(1), "--proxy port", false),
    };
  }
  const colon = text.indexOf(":");
  if (colon >= 0 && text.indexOf(":", colon + 1) < 0) {
    return {
      host: host(text.slice(0, colon), "--proxy host"),
      port: port(text.slice(colon + 1), "--proxy port", false),
    };
  }
  return { host: host(text, "--proxy host"), port: null };
}

/** --proxy-type: ncat's names, and its short "4" and "5". */
export function proxyType(text: string): "http" | "socks4" | "socks5" {
  const known = { http: "http", socks4: "socks4", "4": "socks4", socks5: "socks5", "5": "socks5" } as const;
  const t = known[text.toLowerCase() as keyof typeof known];
  if (t === undefined) throw new UsageError(`invalid --proxy-type '${text}': use http, socks4 or socks5`);
  return t;
}

/** --proxy-dns: where the target's name is looked up. */
export function proxyDns(text: string): "local" | "remote" | "both" | "none" {
  if (text === "local" || text === "remote" || text === "both" || text === "none") return text;
  throw new UsageError(`invalid --proxy-dns '${text}': use local, remote, both or none`);
}

/** The largest size an option takes: 16 GiB. More is surely a typo. */
export const LARGEST_SIZE = 16 * 1024 ** 3;

/**
 * A size in bytes: a number with an optional K, M or G (powers of 1024; KiB, MiB, GiB and
 * KB, MB, GB mean the same here, as in Redis's limits), at least 1 byte and at most 16 GiB.
 */
export function size(text: string, what: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)\s*(?:([kKmMgG])(?:i?[bB])?|[bB])?$/.exec(text);
  if (!match) throw new UsageError(`invalid ${what} '${text}': use a number of bytes, or 512K, 32M, 1G`);
  const scale = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? "").toLowerCase()] ?? 1;
  const bytes = Math.round(Number(match[1]) * scale);
  if (bytes < 1) throw new UsageError(`invalid ${what} '${text}': at least 1 byte`);
  if (bytes > LARGEST_SIZE) throw new UsageError(`invalid ${what} '${text}': at most 16G`);
  return bytes;
}
