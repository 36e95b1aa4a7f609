/**
 * Names to addresses, as Python's getaddrinfo, gethostbyname, gethostname and getfqdn,
 * on the libc resolver (dns.lookup) so /etc/hosts and nsswitch apply as they do for C.
 */
import { lookup, lookupService } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import { checkPort, formatIpv6, type Inet4Address, type Inet6Address, parseIpv6 } from "../address.js";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_NUMERICSERV,
  AI_PASSIVE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
} from "../constants.js";
import { fromNodeError, gaierror } from "../errors.js";
import { Deadline, race } from "./wait.js";

/** Python's 5-tuple: (family, type, proto, canonname, sockaddr). */
export type AddrInfo = [
  family: number,
  type: number,
  proto: number,
  canonname: string,
  sockaddr: Inet4Address | Inet6Address,
];

const TYPES: readonly (readonly [type: number, proto: number])[] = [
  [SOCK_STREAM, IPPROTO_TCP],
  [SOCK_DGRAM, IPPROTO_UDP],
  [SOCK_RAW, 0],
];

/**
 * Resolves a host and a port or service name into Python's 5-tuples. `family` and
 * `type` filter the result (0 = any); a literal address of the other family fails with
 * gaierror EAI_ADDRFAMILY, as in Python on Linux.
 */
export async function getaddrinfo(
  host: string | null,
  port: string | number | null,
  family = AF_UNSPEC,
  type = 0,
  proto = 0,
  flags = 0,
): Promise<AddrInfo[]> {
  checkArguments(host, port, [family, type, proto, flags]);
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) throw new gaierror("EAI_FAMILY");
  const types = TYPES.filter(([t, p]) => (type === 0 || t === type) && (proto === 0 || p === proto));
  if (types.length === 0) throw new gaierror("EAI_SOCKTYPE");
  const ports = await portsFor(port, flags, types);
  const addresses = await hostAddresses(host, family, flags);
  const result: AddrInfo[] = [];
  for (const { ip, family: fam, scopeId } of addresses) {
    for (const [t, p] of types) {
      const number = ports.get(t);
      if (number === undefined) continue;
      const canon = result.length === 0 && flags & AI_CANONNAME ? (host ?? "") : "";
      const sockaddr: Inet4Address | Inet6Address = fam === AF_INET6 ? [ip, number, 0, scopeId] : [ip, number];
      result.push([fam, t, p, canon, sockaddr]);
    }
  }
  return result;
}

/**
 * getaddrinfo's arguments, checked as CPython checks them, so a mistake is a TypeError
 * that names the argument rather than an engine error from deep inside ("host.split is
 * not a function"). Python raises OSError for a port of the wrong type; here it is a
 * TypeError, as every argument mistake in hotline is (docs/api.md).
 */
function checkArguments(host: unknown, port: unknown, numbers: readonly unknown[]): void {
  if (host !== null && typeof host !== "string") {
    throw new TypeError(`getaddrinfo() argument 1 must be string or null, not ${describe(host)}`);
  }
  const integer = typeof port === "number" && Number.isInteger(port);
  if (port !== null && typeof port !== "string" && !integer) {
    throw new TypeError(`getaddrinfo() argument 2: Int or String expected, not ${describe(port)}`);
  }
  numbers.forEach((value, i) => {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      const name = ["family", "type", "proto", "flags"][i];
      throw new TypeError(`getaddrinfo() argument ${i + 3} (${name}) must be an integer, not ${describe(value)}`);
    }
  });
}

/** A value as an argument error names it: its type, and the number itself if it is one. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number") return `number ${value}`;
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  return Array.isArray(value) ? "an array" : typeof value;
}

/** The first IPv4 address of a name, as Python's gethostbyname. */
export async function gethostbyname(name: string): Promise<string> {
  if (typeof name !== "string") {
    throw new TypeError(`gethostbyname() argument 1 must be string, not ${describe(name)}`);
  }
  return resolveHost(AF_INET, name, Deadline.never);
}

/** This machine's host name. */
export function gethostname(): string {
  return hostname();
}

/**
 * A fully qualified name for `name` (this host when empty), by Python's rule: the reverse
 * lookup's name if it has a dot, else that name; the input itself if lookups fail.
 */
export async function getfqdn(name = ""): Promise<string> {
  if (typeof name !== "string") throw new TypeError(`getfqdn() argument 1 must be string, not ${describe(name)}`);
  let query = name.trim();
  if (query === "" || query === "0.0.0.0" || query === "::") query = hostname();
  try {
    const { address } = await lookup(query);
    const { hostname: found } = await lookupService(address, 0);
    return found;
  } catch {
    return query;
  }
}

/**
 * One address of `family` for bind/connect/sendto. "" is the wildcard, "<broadcast>" the
 * IPv4 broadcast address, literals are checked against the family, names are looked up
 * within the deadline.
 */
export async function resolveHost(family: number, host: string, deadline: Deadline): Promise<string> {
  const v6 = family === AF_INET6;
  if (host === "") return v6 ? "::" : "0.0.0.0";
  if (host === "<broadcast>" && !v6) return "255.255.255.255";
  const literal = isIP(host);
  if (literal !== 0) {
    if ((literal === 6) !== v6) throw new gaierror("EAI_ADDRFAMILY", host);
    return host;
  }
  checkHostname(host);
  const found = await race(deadline, lookup(host, { family: v6 ? 6 : 4 })).catch((err: unknown) => {
    throw fromNodeError(err, host);
  });
  return found.address;
}

/**
 * A name the resolver could never find (over 253 characters, an empty label or one over
 * 63) fails here, as it would in the resolver, but without asking a name server.
 */
function checkHostname(host: string): void {
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  const labels = name.split(".");
  if (name.length > 253 || labels.some((label) => label.length === 0 || label.length > 63)) {
    throw new gaierror("EAI_NONAME", host.length > 40 ? `${host.slice(0, 40)}... (${host.length} characters)` : host);
  }
}

/** One address getaddrinfo returns: IPv6 in inet_ntop's form, with its scope id apart. */
interface Found {
  ip: string;
  family: number;
  scopeId: number;
}

/** Node hands literals back as typed ("0::1", "...:8D"); Python gives inet_ntop's form ("::1", "...:8d"). */
function found(ip: string, family: number, scopeId = 0): Found {
  const groups = family === AF_INET6 ? parseIpv6(ip) : null;
  return { ip: groups ? formatIpv6(groups) : ip, family, scopeId };
}

async function hostAddresses(host: string | null, family: number, flags: number): Promise<Found[]> {
  const want = (fam: number): boolean => family === AF_UNSPEC || family === fam;
  if (host === null) {
    // glibc's order: wildcards IPv4 first, loopbacks IPv6 first.
    const all =
      flags & AI_PASSIVE
        ? [found("0.0.0.0", AF_INET), found("::", AF_INET6)]
        : [found("::1", AF_INET6), found("127.0.0.1", AF_INET)];
    return all.filter((f) => want(f.family));
  }
  const cut = host.indexOf("%");
  const bare = cut < 0 ? host : host.slice(0, cut);
  const literal = isIP(bare);
  if (literal !== 0) {
    const fam = literal === 6 ? AF_INET6 : AF_INET;
    if (!want(fam)) throw new gaierror("EAI_ADDRFAMILY", host);
    if (cut < 0) return [found(host, fam)];
    // glibc takes a scope on IPv6 literals only, and refuses one it cannot read.
    const scopeId = fam === AF_INET6 ? await scopeIdOf(bare, host.slice(cut + 1)) : null;
    if (scopeId === null) throw new gaierror("EAI_NONAME", host);
    return [found(bare, fam, scopeId)];
  }
  if (host === "" || flags & AI_NUMERICHOST) throw new gaierror("EAI_NONAME", host);
  checkHostname(host);
  const addresses = await lookup(host, {
    all: true,
    family: family === AF_INET6 ? 6 : family === AF_INET ? 4 : 0,
  }).catch((err: unknown) => {
    throw fromNodeError(err, host);
  });
  return addresses.map(({ address, family: f }) => found(address, f === 6 ? AF_INET6 : AF_INET));
}

/**
 * The scope id of "addr%scope", by glibc's rule (inet6_scopeid_pton): an interface name
 * on link-local and link- or node-local multicast addresses, else a decimal number up to
 * 2^32-1 on any address; null when it is neither (getaddrinfo then says EAI_NONAME).
 */
async function scopeIdOf(ip: string, scope: string): Promise<number | null> {
  const groups = parseIpv6(ip);
  if (groups === null || scope === "") return null;
  const first = groups[0] ?? 0;
  const local = (first & 0xffc0) === 0xfe80 || (first & 0xff0f) === 0xff01 || (first & 0xff0f) === 0xff02;
  if (local) {
    const index = await interfaceIndex(scope);
    if (index !== null) return index;
  }
  if (!/^[0-9]+$/.test(scope)) return null;
  const number = Number(scope);
  return number <= 0xffffffff ? number : null;
}

/**
 * if_nametoindex(), which Node lacks: Linux lists every interface's index in sysfs.
 * Elsewhere, the scope id of the interface's link-local address is its index.
 */
async function interfaceIndex(name: string): Promise<number | null> {
  if (name.length > 15 || name.includes("/") || name === "." || name === "..") return null;
  const text = await readFile(`/sys/class/net/${name}/ifindex`, "utf8").catch(() => null);
  if (text !== null && /^[0-9]+\s*$/.test(text)) return Number(text);
  for (const entry of networkInterfaces()[name] ?? []) {
    if (entry.family === "IPv6" && entry.scopeid) return entry.scopeid;
  }
  return null;
}

/** The port for each wanted socket type; a service name may exist for tcp, udp or both. */
async function portsFor(
  port: string | number | null,
  flags: number,
  types: readonly (readonly [number, number])[],
): Promise<Map<number, number>> {
  let byProto: { tcp?: number; udp?: number; any?: number };
  if (port === null) byProto = { any: 0 };
  else if (typeof port === "number") byProto = { any: checkPort(port) };
  else if (/^[0-9]+$/.test(port)) byProto = { any: checkPort(Number(port)) };
  else if (flags & AI_NUMERICSERV) throw new gaierror("EAI_NONAME", port);
  else byProto = (await services()).get(port) ?? {};
  const ports = new Map<number, number>();
  for (const [t] of types) {
    const number = byProto.any ?? (t === SOCK_STREAM ? byProto.tcp : t === SOCK_DGRAM ? byProto.udp : undefined);
    if (number !== undefined) ports.set(t, number);
  }
  if (ports.size === 0) throw new gaierror("EAI_SERVICE", String(port));
  return ports;
}

let serviceTable: Promise<Map<string, { tcp?: number; udp?: number }>> | undefined;

/** /etc/services, read once; a few well-known names where the file is missing. */
function services(): Promise<Map<string, { tcp?: number; udp?: number }>> {
  serviceTable ??= readFile("/etc/services", "utf8")
    .catch(() => FALLBACK_SERVICES)
    .then(parseServices);
  return serviceTable;
}

const FALLBACK_SERVICES = `echo 7/tcp
echo 7/udp
discard 9/tcp
daytime 13/tcp
ftp 21/tcp
ssh 22/tcp
telnet 23/tcp
smtp 25/tcp
domain 53/tcp
domain 53/udp
http 80/tcp www
pop3 110/tcp
ntp 123/udp
imap 143/tcp
https 443/tcp
https 443/udp
`;

/** Parses services(5): "name port/proto aliases... # comment". */
export function parseServices(text: string): Map<string, { tcp?: number; udp?: number }> {
  const table = new Map<string, { tcp?: number; udp?: number }>();
  for (const line of text.split("\n")) {
    const [name, spec, ...aliases] = (line.split("#")[0] ?? "").trim().split(/\s+/);
    const match = /^([0-9]+)\/(tcp|udp)$/.exec(spec ?? "");
    if (!name || !match) continue;
    const proto = match[2] as "tcp" | "udp";
    for (const key of [name, ...aliases]) {
      const entry = table.get(key) ?? {};
      entry[proto] ??= Number(match[1]);
      table.set(key, entry);
    }
  }
  return table;
}
