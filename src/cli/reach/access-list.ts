/**
 * --allow, --deny, --allowfile, --denyfile: who may call a listener. ncat's host syntax
 * (Nmap's), checked by ncat 7.93 side by side:
 *
 * - an address, IPv4 or IPv6: 10.0.0.1, ::1, ::ffff:10.0.0.1;
 * - a network in CIDR form: 10.0.0.0/8, fe80::/10;
 * - IPv4 octet ranges and wildcards: 192.168.0-3.*, 10.0.0.1-20, 10.0.0.-9 (open ranges),
 *   and, in files, lists inside an octet: 10.0.1,3,5.1 (the options split on commas);
 * - a host name: every address it has, looked up once, when the listener starts.
 *
 * Every address is kept as 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), as ncat's
 * address set keeps it: an IPv4 caller of a dual-stack listener (::ffff:10.0.0.1 there)
 * is the same 16 bytes as 10.0.0.1, so an IPv4 rule cannot be slipped past that way, and
 * octet ranges match mapped callers too (ncat's match only AF_INET callers).
 *
 * A caller is let in when no allow list is given or one of its rules matches, and no deny
 * rule matches: deny wins when both match, as ncat 7.93 behaves (its man page says allow
 * wins; its test suite and its code say deny).
 */
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { type Address, AF_INET, AF_INET6, AF_UNSPEC, getaddrinfo } from "../../index.js";
import { Failure } from "../io.js";
import { reason } from "../report.js";

/** One rule: a network (address and prefix length over 128 bits), or IPv4 octet sets. */
type Rule = { kind: "net"; bytes: Uint8Array; bits: number } | { kind: "octets"; octets: Uint8Array[] };

/** A spec as given, before names are looked up: where it came from, for error lines. */
export interface Spec {
  text: string;
  /** "--allow", or "FILE line N". */
  from: string;
}

/** How names in specs are looked up: -4/-6 and -n, as ncat does. */
export interface Lookup {
  family: 0 | 4 | 6;
  nodns: boolean;
}

/** A malformed spec: the message says which and why. */
export class SpecError extends Error {}

/** An ordered set of rules; `has()` says whether an address matches any. */
export class HostSet {
  readonly #rules: Rule[] = [];

  get size(): number {
    return this.#rules.length;
  }

  add(rule: Rule): void {
    this.#rules.push(rule);
  }

  /** Whether `ip` (an address literal; IPv6 zone ignored) matches a rule. Non-addresses never do. */
  has(ip: string): boolean {
    const bytes = addressBytes(ip);
    if (bytes === null) return false;
    for (const rule of this.#rules) {
      if (rule.kind === "net" ? prefixMatches(rule.bytes, bytes, rule.bits) : octetsMatch(rule.octets, bytes)) {
        return true;
      }
    }
    return false;
  }
}

/**
 * The gate of a listener: `admits(address)` for a caller's address as the library gives
 * it ([ip, port] or [ip, port, flowinfo, scope]), or an IP string. Any listener (a proxy
 * server too) asks it before it reads, writes or hands a caller on.
 */
export class AccessList {
  /** Null: no allow list was given, so everyone not denied is let in. */
  readonly #allow: HostSet | null;
  readonly #deny: HostSet;

  constructor(allow: HostSet | null, deny: HostSet) {
    this.#allow = allow;
    this.#deny = deny;
  }

  admits(peer: Address | string): boolean {
    // A Unix caller's "address" is a path: it matches no rule (the options refuse -U anyway).
    const ip = typeof peer === "string" ? peer : peer[0];
    if (this.#allow !== null && !this.#allow.has(ip)) return false;
    return !this.#deny.has(ip);
  }
}

/** The options an access list is built from (Options' fields). */
export interface AccessOptions extends Lookup {
  allow: readonly string[];
  deny: readonly string[];
  allowFiles: readonly string[];
  denyFiles: readonly string[];
}

/**
 * Builds the access list of the options, or null when none was given: reads the files
 * and looks the names up, once. Anything wrong (a malformed spec, a name that does not
 * resolve, an unreadable file) is a Failure with exit code 2, before listening.
 */
export async function loadAccessList(o: AccessOptions): Promise<AccessList | null> {
  const given = o.allow.length + o.deny.length + o.allowFiles.length + o.denyFiles.length;
  if (given === 0) return null;
  const build = async (values: readonly string[], option: string, files: readonly string[]): Promise<HostSet> => {
    const specs: Spec[] = values.flatMap((v) => optionSpecs(v, option));
    for (const file of files) specs.push(...fileSpecs(await readList(file, `${option}file`), file));
    // An empty deny list denies nobody; an empty allow list would let nobody in (ncat starts
    // anyway and refuses every caller): a mistake, as `--allow ''` is.
    if (option === "--allow" && specs.length === 0)
      throw new Failure(`--allowfile ${files.join(", ")}: no hosts in it, so nobody could call`, 2);
    const set = new HostSet();
    for (const spec of specs) {
      try {
        for (const rule of await rulesOf(spec.text, o)) set.add(rule);
      } catch (err) {
        throw new Failure(`${spec.from}: ${err instanceof SpecError ? err.message : reason(err)}`, 2);
      }
    }
    return set;
  };
  const allowGiven = o.allow.length + o.allowFiles.length > 0;
  const allow = allowGiven ? await build(o.allow, "--allow", o.allowFiles) : null;
  const deny = await build(o.deny, "--deny", o.denyFiles);
  return new AccessList(allow, deny);
}

async function readList(file: string, option: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new Failure(`${option} ${file}: ${reason(err)}`, 2);
  }
}

/** `--allow a,b,c`: ncat splits the value on commas and skips empty pieces. */
export function optionSpecs(value: string, option: string): Spec[] {
  return value
    .split(",")
    .filter((text) => text !== "")
    .map((text) => ({ text, from: `${option} ${JSON.stringify(text)}` }));
}

/**
 * A list file: specs separated by white space, as ncat reads them; `#` starts a comment
 * that runs to the end of the line (ncat has no comments: it fails on them).
 */
export function fileSpecs(content: string, file: string): Spec[] {
  const specs: Spec[] = [];
  content.split("\n").forEach((line, i) => {
    const text = line.replace(/#.*/, "");
    for (const word of text.split(/[ \t\r\f\v]+/)) {
      if (word !== "") specs.push({ text: word, from: `${file} line ${i + 1}: ${JSON.stringify(word)}` });
    }
  });
  return specs;
}

/** The rules one spec stands for: one, or one per address of a name. */
export async function rulesOf(text: string, lookup: Lookup): Promise<Rule[]> {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  let bits: number | null = null;
  if (slash >= 0) {
    const mask = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(mask)) throw new SpecError(`malformed netmask '/${mask}': a number of bits`);
    bits = Number(mask);
  }
  const literal = addressBytes(addr);
  if (literal !== null) return [network(literal, isIP(stripZone(addr)) === 4, bits)];
  const octets = octetRanges(addr);
  if (octets !== null) {
    if (bits !== null && bits > 32) throw new SpecError(`netmask /${bits} is too long for IPv4 (at most 32)`);
    return [{ kind: "octets", octets: bits === null ? octets : widen(octets, bits) }];
  }
  if (/^[0-9.*,-]+$/.test(addr)) {
    throw new SpecError(
      `malformed address '${addr}': an IPv4 address has four parts; ranges look like 10.0.0.1-20 or 192.168.0-3.*`,
    );
  }
  if (!/^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/.test(addr)) throw new SpecError(`malformed address or name`);
  if (lookup.nodns) throw new SpecError(`'${addr}' is a name, and -n forbids name lookups`);
  const family = lookup.family === 4 ? AF_INET : lookup.family === 6 ? AF_INET6 : AF_UNSPEC;
  let infos: Awaited<ReturnType<typeof getaddrinfo>>;
  try {
    infos = await getaddrinfo(addr, null, family);
  } catch (err) {
    throw new SpecError(`cannot look up '${addr}': ${reason(err)}`);
  }
  const seen = new Set<string>();
  const rules: Rule[] = [];
  for (const info of infos) {
    const ip = info[4][0];
    if (seen.has(ip)) continue;
    seen.add(ip);
    const bytes = addressBytes(ip);
    if (bytes !== null) rules.push(network(bytes, info[0] === AF_INET, bits));
  }
  if (rules.length === 0) throw new SpecError(`'${addr}' has no addresses`);
  return rules;
}

/** A network rule; an IPv4 prefix counts from the mapped address's 97th bit, as ncat's does. */
function network(bytes: Uint8Array, v4: boolean, bits: number | null): Rule {
  const most = v4 ? 32 : 128;
  if (bits !== null && bits > most) throw new SpecError(`netmask /${bits} is too long (at most ${most})`);
  return { kind: "net", bytes, bits: bits === null ? 128 : v4 ? bits + 96 : bits };
}

function stripZone(ip: string): string {
  const at = ip.indexOf("%");
  return at < 0 ? ip : ip.slice(0, at);
}

/** An address literal as 16 bytes (IPv4 mapped), or null when `text` is not one. */
export function addressBytes(text: string): Uint8Array | null {
  const ip = stripZone(text);
  const kind = isIP(ip);
  if (kind === 4) {
    const out = new Uint8Array(16);
    out[10] = 0xff;
    out[11] = 0xff;
    ip.split(".").forEach((part, i) => {
      out[12 + i] = Number(part);
    });
    return out;
  }
  if (kind !== 6) return null;
  // isIP vouched for the form: groups of hex, at most one "::", maybe an IPv4 tail.
  let head = ip;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (v4) {
    const quad = (v4[1] as string).split(".").map(Number);
    tail.push(((quad[0] ?? 0) << 8) | (quad[1] ?? 0), ((quad[2] ?? 0) << 8) | (quad[3] ?? 0));
    head = ip.slice(0, ip.length - (v4[1] as string).length);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const groups = (s: string): number[] => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const gap = head.indexOf("::");
  let words: number[];
  if (gap < 0) words = [...groups(head), ...tail];
  else {
    const left = groups(head.slice(0, gap));
    const right = [...groups(head.slice(gap + 2)), ...tail];
    words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function prefixMatches(net: Uint8Array, addr: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (net[i] !== addr[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((net[whole] ?? 0) & mask) === ((addr[whole] ?? 0) & mask);
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Octet sets match IPv4 addresses only (mapped ones included). */
function octetsMatch(octets: Uint8Array[], addr: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (addr[i] !== MAPPED_PREFIX[i]) return false;
  for (let i = 0; i < 4; i++) if ((octets[i] as Uint8Array)[addr[12 + i] as number] !== 1) return false;
  return true;
}

/**
 * Nmap's IPv4 ranges: four octets, each `*` or a comma list of `N`, `N-M`, `-M`, `N-`
 * (open ends are 0 and 255). Each octet becomes a 256-entry membership table; null when
 * `text` is not of this form.
 */
export function octetRanges(text: string): Uint8Array[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const octets: Uint8Array[] = [];
  for (const part of parts) {
    const set = new Uint8Array(256);
    if (part === "*") set.fill(1);
    else {
      for (const piece of part.split(",")) {
        const m = /^([0-9]{0,3})(?:(-)([0-9]{0,3}))?$/.exec(piece);
        if (!m || (m[1] === "" && m[2] === undefined)) return null;
        const from = m[1] === "" ? 0 : Number(m[1]);
        const to = m[2] === undefined ? from : m[3] === "" ? 255 : Number(m[3]);
        if (from > 255 || to > 255 || to < from) return null;
        set.fill(1, from, to + 1);
      }
    }
    octets.push(set);
  }
  return octets;
}

/**
 * A netmask over octet ranges, as ncat applies it: every address that agrees with a
 * member on the first `bits` bits is a member too.
 */
function widen(octets: Uint8Array[], bits: number): Uint8Array[] {
  return octets.map((set, i) => {
    const kept = Math.max(0, Math.min(8, bits - 8 * i));
    const mask = (0xff << (8 - kept)) & 0xff;
    const prefixes = new Set<number>();
    for (let v = 0; v < 256; v++) if (set[v] === 1) prefixes.add(v & mask);
    const out = new Uint8Array(256);
    for (let v = 0; v < 256; v++) if (prefixes.has(v & mask)) out[v] = 1;
    return out;
  });
}
