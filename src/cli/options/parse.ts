/**
 * Command line to options, with no I/O. Two grammars share one set of options:
 *
 *   hotline listen [HOST] [PORT]      the seed's way (defaults 127.0.0.1 8990)
 *   hotline connect [HOST] [PORT]
 *   hotline probe HOST PORTS          connect_ex over a list of ports
 *   hotline lookup NAME               getaddrinfo and getfqdn
 *   hotline [options] [HOST] [PORT]   ncat's way (port 31337; -l listens on every address)
 *
 * The first word decides: a known subcommand, or else ncat's grammar. Everything is
 * checked here, before Node sees it; a mistake is a UsageError (exit 2).
 */
import { isIP } from "node:net";
import { parsePort, UNIX_PATH_MAX } from "../../index.js";

export type Command = "listen" | "connect" | "probe" | "lookup" | "help" | "version";

export interface Options {
  command: Command;
  /** The subcommand whose --help was asked for, or null for the whole program. */
  helpFor: Command | null;
  /** Host to dial or bind; null means the default for the command. */
  host: string | null;
  port: number | null;
  /** -U: a Unix socket path instead of host and port. */
  unix: string | null;
  /** probe's PORTS, expanded. */
  ports: number[];
  /** lookup's NAME. */
  name: string | null;
  keepOpen: boolean;
  udp: boolean;
  family: 0 | 4 | 6;
  /** -p in connect mode, -s: where to dial from. */
  sourcePort: number | null;
  source: string | null;
  /** -w: connect timeout (name lookup included), in milliseconds. */
  wait: number | null;
  /** -i: idle timeout in milliseconds. */
  idle: number | null;
  /** -q: quit this many milliseconds after end of input. */
  quitAfterEof: number | null;
  crlf: boolean;
  verbose: number;
  nodns: boolean;
  sendOnly: boolean;
  recvOnly: boolean;
  noShutdown: boolean;
  maxConns: number | null;
  output: string | null;
  hexDump: string | null;
  appendOutput: boolean;
  /** -z: only report whether ports accept a connection. */
  zero: boolean;
  /** Talk or pipe; auto picks talk when stdin and stdout are terminals. */
  mode: "auto" | "talk" | "pipe";
  debug: boolean;
  /** Which grammar the command line used: the seed's subcommands or ncat's. */
  grammar: "seed" | "ncat";
}

export class UsageError extends Error {
  override name = "UsageError";
}

/** The seed's defaults, and ncat's. */
export const SEED_HOST = "127.0.0.1";
export const SEED_PORT = 8990;
export const NCAT_PORT = 31337;
export const BACKLOG = 10;

type Kind = "flag" | "value";
interface Spec {
  kind: Kind;
  apply: (o: Options, value: string, name: string) => void;
}

const flag = (apply: (o: Options) => void): Spec => ({ kind: "flag", apply: (o) => apply(o) });
const value = (apply: (o: Options, v: string, name: string) => void): Spec => ({ kind: "value", apply });

const SPECS: Record<string, Spec> = {
  listen: flag((o) => {
    o.command = "listen";
  }),
  "keep-open": flag((o) => {
    o.keepOpen = true;
  }),
  udp: flag((o) => {
    o.udp = true;
  }),
  unixsock: flag((o) => {
    o.unix = "";
  }),
  "4": flag((o) => {
    o.family = o.family === 6 ? conflict("-4", "-6") : 4;
  }),
  "6": flag((o) => {
    o.family = o.family === 4 ? conflict("-4", "-6") : 6;
  }),
  "source-port": value((o, v, n) => {
    o.sourcePort = port(v, n, false);
  }),
  source: value((o, v) => {
    o.source = host(v, "-s");
  }),
  wait: value((o, v, n) => {
    o.wait = time(v, n);
  }),
  "idle-timeout": value((o, v, n) => {
    o.idle = time(v, n);
  }),
  crlf: flag((o) => {
    o.crlf = true;
  }),
  verbose: flag((o) => {
    o.verbose += 1;
  }),
  zero: flag((o) => {
    o.zero = true;
  }),
  nodns: flag((o) => {
    o.nodns = true;
  }),
  "send-only": flag((o) => {
    o.sendOnly = true;
  }),
  "recv-only": flag((o) => {
    o.recvOnly = true;
  }),
  "no-shutdown": flag((o) => {
    o.noShutdown = true;
  }),
  "max-conns": value((o, v, n) => {
    o.maxConns = count(v, n);
  }),
  output: value((o, v, n) => {
    o.output = path(v, n);
  }),
  "hex-dump": value((o, v, n) => {
    o.hexDump = path(v, n);
  }),
  "append-output": flag((o) => {
    o.appendOutput = true;
  }),
  help: flag((o) => {
    o.helpFor = o.grammar === "seed" && o.command !== "help" ? o.command : null;
    o.command = "help";
  }),
  version: flag((o) => {
    o.command = "version";
  }),
  // OpenBSD nc: -N shuts down the write side at end of input (hotline always does).
  "shutdown-on-eof": flag(() => {}),
  quit: value((o, v, n) => {
    o.quitAfterEof = time(v, n);
  }),
  talk: flag((o) => {
    o.mode = o.mode === "pipe" ? conflict("--talk", "--pipe") : "talk";
  }),
  pipe: flag((o) => {
    o.mode = o.mode === "talk" ? conflict("--talk", "--pipe") : "pipe";
  }),
  debug: flag((o) => {
    o.debug = true;
  }),
};

const SHORT: Record<string, string> = {
  l: "listen",
  k: "keep-open",
  u: "udp",
  U: "unixsock",
  "4": "4",
  "6": "6",
  p: "source-port",
  s: "source",
  w: "wait",
  i: "idle-timeout",
  C: "crlf",
  v: "verbose",
  z: "zero",
  n: "nodns",
  m: "max-conns",
  o: "output",
  x: "hex-dump",
  h: "help",
  N: "shutdown-on-eof",
  q: "quit",
};

/** ncat options hotline knows but does not offer (yet); named in the error. */
const NOT_OFFERED = new Set([
  "broker",
  "chat",
  "allow",
  "allowfile",
  "deny",
  "denyfile",
  "ssl",
  "ssl-cert",
  "ssl-key",
  "ssl-verify",
  "ssl-trustfile",
  "ssl-ciphers",
  "ssl-servername",
  "ssl-alpn",
  "proxy",
  "proxy-type",
  "proxy-auth",
  "proxy-dns",
  "exec",
  "sh-exec",
  "lua-exec",
  "telnet",
  "sctp",
  "vsock",
  "delay",
]);
/** Options that exist only in short form (nc's -N and -q, and -4/-6). */
const SHORT_ONLY = new Set(["4", "6", "shutdown-on-eof", "quit"]);
const NOT_OFFERED_SHORT: Record<string, string> = {
  c: "sh-exec",
  e: "exec",
  t: "telnet",
  d: "delay",
  g: "-g",
  G: "-G",
};

const SUBCOMMANDS: readonly Command[] = ["listen", "connect", "probe", "lookup"];

function defaults(): Options {
  return {
    command: "connect",
    helpFor: null,
    host: null,
    port: null,
    unix: null,
    ports: [],
    name: null,
    keepOpen: false,
    udp: false,
    family: 0,
    sourcePort: null,
    source: null,
    wait: null,
    idle: null,
    quitAfterEof: null,
    crlf: false,
    verbose: 0,
    nodns: false,
    sendOnly: false,
    recvOnly: false,
    noShutdown: false,
    maxConns: null,
    output: null,
    hexDump: null,
    appendOutput: false,
    zero: false,
    mode: "auto",
    debug: false,
    grammar: "ncat",
  };
}

/** Parses the arguments after the program name. */
export function parseArgs(argv: readonly string[]): Options {
  const o = defaults();
  let args = [...argv];
  const first = args[0];
  if (first !== undefined && (SUBCOMMANDS as readonly string[]).includes(first)) {
    o.command = first as Command;
    o.grammar = "seed";
    args = args.slice(1);
  }
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const next = (name: string): string => {
      const v = args[i + 1];
      if (v === undefined) throw new UsageError(`option ${name} needs a value`);
      i += 1;
      return v;
    };
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const key = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = SPECS[key];
      if (!spec || SHORT_ONLY.has(key)) {
        if (NOT_OFFERED.has(key))
          throw new UsageError(`${arg.slice(0, eq < 0 ? undefined : eq)} is not offered by hotline yet`);
        throw new UsageError(`unknown option '${arg}'`);
      }
      if (spec.kind === "flag") {
        if (eq >= 0) throw new UsageError(`option --${key} takes no value`);
        spec.apply(o, "", `--${key}`);
      } else {
        spec.apply(o, eq >= 0 ? arg.slice(eq + 1) : next(`--${key}`), `--${key}`);
      }
      continue;
    }
    if (/^-[0-9]+$/.test(arg) && arg !== "-4" && arg !== "-6" && arg !== "-46" && arg !== "-64") {
      throw new UsageError(`invalid PORT '${arg}': a port is a decimal number from 1 to 65535`);
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // A cluster of short options: -lkv, -lvnp 8990, -w3.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] ?? "";
        const long = SHORT[letter];
        if (!long) {
          const named = NOT_OFFERED_SHORT[letter];
          if (named)
            throw new UsageError(
              `-${letter}${named.startsWith("-") ? "" : ` (--${named})`} is not offered by hotline yet`,
            );
          throw new UsageError(`unknown option '-${letter}'`);
        }
        const spec = SPECS[long] as Spec;
        if (spec.kind === "flag") {
          spec.apply(o, "", `-${letter}`);
          continue;
        }
        const rest = arg.slice(j + 1);
        spec.apply(o, rest !== "" ? rest : next(`-${letter}`), `-${letter}`);
        break;
      }
      continue;
    }
    positional.push(arg);
  }
  if (o.command === "help" || o.command === "version") return o;
  placePositionals(o, positional);
  check(o);
  return o;
}

/** Host, port, path, name or ports from the words that are not options. */
function placePositionals(o: Options, words: string[]): void {
  const tooMany = (max: number): void => {
    if (words.length > max) throw new UsageError(`unexpected argument '${words[max]}'`);
  };
  if (o.command === "lookup") {
    tooMany(1);
    if (words[0] === undefined) throw new UsageError("lookup needs a NAME");
    o.name = host(words[0], "NAME");
    return;
  }
  if (o.command === "probe" || (o.zero && o.grammar === "ncat")) {
    if (o.command === "probe") o.zero = true;
    tooMany(2);
    const [h, spec] = words;
    if (h === undefined || spec === undefined)
      throw new UsageError(`${o.command === "probe" ? "probe" : "-z"} needs HOST and PORTS`);
    o.host = host(h, "HOST");
    o.ports = portList(spec);
    o.command = "probe";
    return;
  }
  if (o.unix !== null) {
    tooMany(1);
    if (words[0] === undefined) throw new UsageError("-U needs a socket PATH");
    if (words[0] === "") throw new UsageError("the socket path is empty");
    const bytes = Buffer.byteLength(words[0]);
    if (bytes > UNIX_PATH_MAX) {
      throw new UsageError(`socket path too long: ${bytes} bytes, at most ${UNIX_PATH_MAX} (Node would cut it short)`);
    }
    o.unix = words[0];
    return;
  }
  tooMany(2);
  const listening = o.command === "listen";
  if (words.length === 2) {
    o.host = host(words[0] as string, "HOST");
    o.port = port(words[1] as string, "PORT", listening);
  } else if (words.length === 1) {
    const only = words[0] as string;
    // One word: a port if it looks like one (hotline -l 8990), else a host.
    if (/^[0-9]+$/.test(only) && (listening || o.grammar === "seed")) o.port = port(only, "PORT", listening);
    else o.host = host(only, "HOST");
  }
  if (listening && o.sourcePort !== null) {
    // ncat: -p gives the port to listen on.
    if (o.port !== null && o.port !== o.sourcePort) throw new UsageError("give the port once: with -p or as PORT");
    o.port = o.sourcePort;
    o.sourcePort = null;
  }
  if (!listening && o.grammar === "ncat" && o.host === null) {
    throw new UsageError("no host to connect to (use -l to listen)");
  }
}

function check(o: Options): void {
  if (o.sendOnly && o.recvOnly) conflict("--send-only", "--recv-only");
  if (o.unix !== null && o.udp) throw new UsageError("-U and -u cannot be combined: Node has no Unix datagram sockets");
  if (o.unix !== null && o.family !== 0) throw new UsageError("-4 and -6 do not apply to Unix sockets");
  if (o.keepOpen && o.command !== "listen") throw new UsageError("-k applies to listening only");
  if (o.maxConns !== null && o.command !== "listen") throw new UsageError("--max-conns applies to listening only");
  if (o.source !== null && o.command === "listen")
    throw new UsageError("-s does not apply to listening (give the HOST)");
  if (o.nodns) {
    for (const h of [o.host, o.source]) {
      if (h !== null && isIP(h) === 0) throw new UsageError(`-n forbids name lookups, and '${h}' is not an address`);
    }
  }
  if (o.family !== 0 && o.host !== null && isIP(o.host) !== 0 && isIP(o.host) !== o.family) {
    throw new UsageError(`${o.host} is not an IPv${o.family} address (-${o.family})`);
  }
}

/** A port from the command line; 0 only where an ephemeral port is meant (listening). */
function port(text: string, what: string, zeroOk: boolean): number {
  const p = parsePort(text);
  if (p === undefined || (p === 0 && !zeroOk)) {
    throw new UsageError(`invalid ${what} '${text}': a port is a decimal number from ${zeroOk ? 0 : 1} to 65535`);
  }
  return p;
}

/** A host: an address (IPv6 may be in brackets) or a name that could exist. */
function host(text: string, what: string): string {
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

function path(text: string, what: string): string {
  if (text === "") throw new UsageError(`${what} needs a file name`);
  return text;
}

/** A count for --max-conns: a positive decimal integer. */
function count(text: string, what: string): number {
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) === 0)
    throw new UsageError(`invalid ${what} '${text}': a whole number from 1`);
  return Number(text);
}

/** ncat's times: seconds by default, or with ms, s, m, h. Returns milliseconds. */
export function time(text: string, what = "time"): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(text);
  if (!match) throw new UsageError(`invalid ${what} '${text}': use a number of seconds, or 500ms, 2s, 1m, 1h`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"] ?? 1000;
  return Number(match[1]) * scale;
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

function conflict(a: string, b: string): never {
  throw new UsageError(`${a} and ${b} cannot be combined`);
}
