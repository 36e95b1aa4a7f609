/**
 * Every option, one row each: its names, its value, the commands it applies to, a line of
 * help, what it sets, and when it does not fit the rest of the command line. The parser,
 * the applicability checks and every help text come from this table; an option is added
 * here and nowhere else.
 */
import { type HelpTopic, type Options, tlsOf, type Verb } from "./options.js";
import { isProxyServer, PROXY_OPTIONS } from "./proxy-rows.js";
import { alpnList, conflict, count, host, path, pin, port, size, time, UsageError } from "./values.js";

export interface OptionRow {
  /** The long name without dashes, or null for options spelled only short (nc's -N, -q). */
  long: string | null;
  short?: string;
  /** The value's name in help (TIME, N, FILE); absent for a flag. */
  value?: string;
  /** The commands it applies to; any other is a usage error. */
  verbs: readonly Verb[];
  help: string;
  set(o: Options, value: string, name: string): void;
  /** Why it does not fit the mode the rest of the command line chose, or null when it does. */
  misfit?(o: Options): string | null;
  /** Listed by `hotline help TOPIC` instead of the main help. */
  group?: HelpTopic;
}

const CALLS: readonly Verb[] = ["listen", "connect"];
const ALL: readonly Verb[] = ["listen", "connect", "probe", "lookup", "send", "receive"];
/** Options of the file commands: dialling (send) and answering (receive). */
const FILES: readonly Verb[] = ["send", "receive"];

const notUdp = (what: string) => (o: Options) => (o.udp ? `${what} does not apply to UDP (-u)` : null);

/** Why TLS does not fit the rest of the command line. */
function notTls(o: Options): string | null {
  const t = o.tls;
  if (t === null) return null;
  if (o.udp) return "TLS over UDP (DTLS) is not offered: --ssl works with TCP and Unix sockets";
  if (isProxyServer(o)) return "--ssl does not apply to the HTTP proxy server (-l --proxy-type http)";
  if (t.insecure && (t.pin !== null || t.trustfile !== null)) {
    return "--insecure cannot be combined with --ssl-pin or --ssl-trustfile";
  }
  if (t.pin !== null && t.trustfile !== null) return "--ssl-pin and --ssl-trustfile cannot be combined";
  if (t.key !== null && t.cert === null) return "--ssl-key needs --ssl-cert";
  if (o.command === "connect" && o.unix !== null && t.servername === null && t.pin === null && !t.insecure) {
    return "TLS to a Unix socket needs --ssl-servername NAME (a name its certificate carries), or --ssl-pin";
  }
  return null;
}

/** --broker and --chat listen, as -l does: in the seed's grammar only 'hotline listen' takes them. */
function impliesListen(o: Options, name: string): void {
  if (o.grammar === "seed" && o.command !== "listen") {
    throw new UsageError(`${name} does not apply to 'hotline ${o.command}' (use 'hotline listen ${name}')`);
  }
  o.command = "listen";
}

/** What --broker and --chat refuse, as ncat 7.93 does, and what would be ignored with them. */
function brokerMisfit(o: Options, name: string): string | null {
  if (o.udp) return `${name} does not apply to UDP (-u): UDP has no connections to relay between (ncat refuses it too)`;
  if (o.unix !== null) return `${name} does not apply to Unix sockets (-U), as in ncat`;
  if (o.exec !== null) return `${name} and -e/-c cannot be combined, as in ncat`;
  if (o.serial) return `${name} and --serial cannot be combined`;
  if (o.quitAfterEof !== null) return `-q does not apply to ${name}: the room goes on after the end of input`;
  if (o.noShutdown) return `--no-shutdown does not apply to ${name}: the end of input sends no FIN to the room`;
  if (o.chat && o.sendOnly) return "--send-only does not apply to --chat: the callers could not speak";
  if (o.progress === "on") return `--progress does not apply to ${name}: many calls share stderr`;
  if (o.mode === "talk" && !o.chat)
    return "--talk does not apply to --broker, which relays bytes (pipe mode); --chat has a talk mode";
  return null;
}

export const OPTIONS: readonly OptionRow[] = [
  {
    long: "listen",
    short: "l",
    verbs: ["listen"],
    help: "answer instead of dial (hotline -l 8990)",
    set: (o, _, name) => {
      if (o.grammar === "seed" && o.command !== "listen") {
        throw new UsageError(`${name} does not apply to 'hotline ${o.command}' (use 'hotline listen')`);
      }
      o.command = "listen";
    },
  },
  {
    long: "keep-open",
    short: "k",
    verbs: ["listen", "connect", "receive"],
    help: "listening: many callers at once; dialling: stay after the peer hangs up, until the end of input",
    set: (o) => {
      o.keepOpen = true;
    },
    misfit: (o) => (o.serial ? "-k and --serial cannot be combined" : null),
  },
  {
    long: "serial",
    verbs: ["listen"],
    help: "answer one call after another, each to its end; later callers wait their turn",
    set: (o) => {
      o.serial = true;
    },
    misfit: (o) => (o.udp ? "--serial does not apply to UDP (-u): UDP has no calls to take in turn" : null),
  },
  {
    long: "max-conns",
    short: "m",
    value: "N",
    verbs: ["listen"],
    help: "at most N callers at once; the next is refused until one leaves",
    set: (o, v, n) => {
      o.maxConns = count(v, n);
    },
    misfit: (o) =>
      o.keepOpen || o.broker || isProxyServer(o)
        ? null
        : "--max-conns applies with -k, --broker or the HTTP proxy (many callers at once)",
  },
  {
    long: "broker",
    group: "conference",
    verbs: ["listen"],
    help: "relay: what a caller sends goes to every other caller, stdin to all (implies -l; at most 100 callers)",
    set: (o, _, name) => {
      impliesListen(o, name);
      o.broker = true;
    },
    misfit: (o) => brokerMisfit(o, "--broker"),
  },
  {
    long: "chat",
    group: "conference",
    verbs: ["listen"],
    help: "a chat room: each line goes to everyone with its sender's name (implies --broker)",
    set: (o, _, name) => {
      impliesListen(o, name);
      o.broker = true;
      o.chat = true;
    },
    misfit: (o) => brokerMisfit(o, "--chat"),
  },
  {
    long: "queue-limit",
    value: "SIZE",
    group: "conference",
    verbs: ["listen"],
    help: "--broker: cut a caller at once when SIZE is queued for it (default 32M)",
    set: (o, v, n) => {
      o.queueLimit = size(v, n);
    },
    misfit: (o) => (o.broker ? null : "--queue-limit applies with --broker or --chat"),
  },
  {
    long: "queue-soft-limit",
    value: "SIZE[/TIME]",
    group: "conference",
    verbs: ["listen"],
    help: "--broker: cut a caller that has over SIZE queued for TIME (default 8M/60s; 'off' for none)",
    set: (o, v, n) => {
      if (v === "off") {
        o.queueSoftLimit = null;
        return;
      }
      const [amount = "", period] = v.split("/", 2);
      o.queueSoftLimit = size(amount, n);
      if (period !== undefined) o.queueSoftMs = time(period, `${n} time`);
    },
    misfit: (o) =>
      !o.broker
        ? "--queue-soft-limit applies with --broker or --chat"
        : o.queueSoftLimit !== null && o.queueSoftLimit >= o.queueLimit
          ? `--queue-soft-limit must be below --queue-limit (${o.queueLimit} bytes)`
          : null,
  },
  {
    long: "udp",
    short: "u",
    verbs: CALLS,
    help: "UDP instead of TCP",
    set: (o) => {
      o.udp = true;
    },
  },
  {
    long: "unixsock",
    short: "U",
    verbs: CALLS,
    help: "the address is a Unix socket PATH",
    set: (o) => {
      o.unix = "";
    },
    misfit: (o) =>
      o.udp
        ? "-U and -u cannot be combined: Node has no Unix datagram sockets"
        : o.family !== 0
          ? "-4 and -6 do not apply to Unix sockets"
          : null,
  },
  {
    long: null,
    short: "4",
    verbs: ALL,
    help: "IPv4 only",
    set: (o) => {
      o.family = o.family === 6 ? conflict("-4", "-6") : 4;
    },
  },
  {
    long: null,
    short: "6",
    verbs: ALL,
    help: "IPv6 only",
    set: (o) => {
      o.family = o.family === 4 ? conflict("-4", "-6") : 6;
    },
  },
  {
    long: "source-port",
    short: "p",
    value: "PORT",
    verbs: ["listen", "connect", "receive"],
    help: "dial from PORT (with -l: the port to listen on)",
    set: (o, v, n) => {
      o.sourcePort = port(v, n, false);
    },
  },
  {
    long: "source",
    short: "s",
    value: "ADDR",
    verbs: ["connect", "send"],
    help: "dial from ADDR",
    set: (o, v) => {
      o.source = host(v, "-s");
    },
  },
  {
    long: "wait",
    short: "w",
    value: "TIME",
    verbs: ["connect", "probe", "send"],
    help: "give up connecting after TIME (name lookup included)",
    set: (o, v, n) => {
      o.wait = time(v, n);
    },
  },
  {
    long: "idle-timeout",
    short: "i",
    value: "TIME",
    verbs: ["listen", "connect", "send", "receive"],
    help: "end a call after TIME with nothing sent or received",
    set: (o, v, n) => {
      o.idle = time(v, n);
    },
  },
  {
    long: null,
    short: "q",
    value: "SECS",
    verbs: CALLS,
    help: "quit SECS after the end of input (nc; for UDP replies)",
    set: (o, v, n) => {
      o.quitAfterEof = time(v, n);
    },
    misfit: (o) => (o.recvOnly ? "-q and --recv-only cannot be combined: with --recv-only input never ends" : null),
  },
  {
    // OpenBSD nc: -N shuts down the write side at end of input (hotline always does).
    long: null,
    short: "N",
    verbs: CALLS,
    help: "send FIN at the end of input (nc; hotline always does)",
    set: () => {},
    misfit: notUdp("-N"),
  },
  {
    long: "no-shutdown",
    verbs: CALLS,
    help: "keep sending open at the end of input (no FIN)",
    set: (o) => {
      o.noShutdown = true;
    },
    misfit: notUdp("--no-shutdown"),
  },
  {
    long: "send-only",
    verbs: CALLS,
    help: "only send; drop what arrives; quit at the end of input",
    set: (o) => {
      o.sendOnly = o.recvOnly ? conflict("--send-only", "--recv-only") : true;
    },
  },
  {
    long: "recv-only",
    verbs: CALLS,
    help: "only receive; never read stdin",
    set: (o) => {
      o.recvOnly = o.sendOnly ? conflict("--send-only", "--recv-only") : true;
    },
  },
  {
    long: "crlf",
    short: "C",
    verbs: CALLS,
    help: "send line ends as CRLF",
    set: (o) => {
      o.crlf = true;
    },
  },
  {
    long: "zero",
    short: "z",
    verbs: ["probe"],
    help: "only report which ports accept a connection (hotline -z HOST PORTS)",
    set: (o, _, name) => {
      if (o.grammar === "seed" && o.command !== "probe") {
        throw new UsageError(`${name} does not apply to 'hotline ${o.command}' (use 'hotline probe')`);
      }
      o.command = "probe";
    },
  },
  {
    long: "nodns",
    short: "n",
    verbs: ["listen", "connect", "probe", "send", "receive"],
    help: "never look names up: addresses only",
    set: (o) => {
      o.nodns = true;
    },
  },
  {
    long: "output",
    short: "o",
    value: "FILE",
    verbs: CALLS,
    help: "copy the session's data to FILE",
    set: (o, v, n) => {
      o.output = path(v, n);
    },
  },
  {
    long: "hex-dump",
    short: "x",
    value: "FILE",
    verbs: CALLS,
    help: "hex dump of the session to FILE (> sent, < received)",
    set: (o, v, n) => {
      o.hexDump = path(v, n);
    },
  },
  {
    long: "append-output",
    verbs: CALLS,
    help: "append to the -o/-x files instead of replacing them",
    set: (o) => {
      o.appendOutput = true;
    },
    misfit: (o) => (o.output === null && o.hexDump === null ? "--append-output needs -o or -x" : null),
  },
  {
    long: "talk",
    verbs: CALLS,
    help: "the interactive talk mode, even without terminals",
    set: (o) => {
      o.mode = o.mode === "pipe" ? conflict("--talk", "--pipe") : "talk";
    },
    misfit: (o) =>
      o.udp && o.command === "listen"
        ? "--talk does not apply to a UDP listener: it always runs in pipe mode"
        : o.sendOnly || o.recvOnly
          ? "--talk does not apply with --send-only or --recv-only (pipe mode)"
          : null,
  },
  {
    long: "pipe",
    verbs: CALLS,
    help: "raw bytes, even between two terminals",
    set: (o) => {
      o.mode = o.mode === "talk" ? conflict("--talk", "--pipe") : "pipe";
    },
  },
  {
    long: "progress",
    verbs: ["listen", "connect", "send", "receive"],
    help: "show the transfer meter on stderr even when stderr is not a terminal",
    set: (o) => {
      o.progress = o.progress === "off" ? conflict("--progress", "--no-progress") : "on";
    },
    misfit: (o) =>
      o.mode === "talk"
        ? "--progress does not apply to talk mode"
        : o.keepOpen && o.command === "listen"
          ? "--progress does not apply to -k: many calls share stderr"
          : null,
  },
  {
    long: "no-progress",
    verbs: ["listen", "connect", "send", "receive"],
    help: "never show the transfer meter",
    set: (o) => {
      o.progress = o.progress === "on" ? conflict("--progress", "--no-progress") : "off";
    },
  },
  {
    long: "ssl",
    group: "tls",
    verbs: ["listen", "connect", "send", "receive"],
    help: "TLS: dialling verifies the server; listening without --ssl-cert makes a throwaway certificate",
    set: (o) => {
      tlsOf(o);
    },
    misfit: notTls,
  },
  {
    long: "ssl-cert",
    value: "FILE",
    group: "tls",
    verbs: ["listen", "connect", "send", "receive"],
    help: "TLS: this side's certificate (PEM; the file may hold the key too)",
    set: (o, v, n) => {
      tlsOf(o).cert = path(v, n);
    },
    misfit: notTls,
  },
  {
    long: "ssl-key",
    value: "FILE",
    group: "tls",
    verbs: ["listen", "connect", "send", "receive"],
    help: "TLS: the private key of --ssl-cert (PEM)",
    set: (o, v, n) => {
      tlsOf(o).key = path(v, n);
    },
    misfit: notTls,
  },
  {
    long: "ssl-trustfile",
    value: "FILE",
    group: "tls",
    verbs: ["listen", "connect", "send", "receive"],
    help: "TLS: trust only the CAs in FILE (listening: callers must show a certificate they issued)",
    set: (o, v, n) => {
      tlsOf(o).trustfile = path(v, n);
    },
    misfit: notTls,
  },
  {
    long: "ssl-verify",
    group: "tls",
    verbs: ["connect", "send"],
    help: "TLS: verify the server's certificate (hotline always does; accepted for ncat command lines)",
    set: (o) => {
      tlsOf(o);
    },
    misfit: (o) => (o.tls?.insecure ? "--ssl-verify and --insecure cannot be combined" : notTls(o)),
  },
  {
    long: "ssl-servername",
    value: "NAME",
    group: "tls",
    verbs: ["connect", "send"],
    help: "TLS: the server name to send and to check the certificate against (default: the host dialled)",
    set: (o, v, n) => {
      tlsOf(o).servername = host(v, n);
    },
    misfit: notTls,
  },
  {
    long: "ssl-alpn",
    value: "LIST",
    group: "tls",
    verbs: ["connect", "send"],
    help: "TLS: offer these application protocols (ALPN), e.g. h2,http/1.1",
    set: (o, v, n) => {
      tlsOf(o).alpn = alpnList(v, n);
    },
    misfit: notTls,
  },
  {
    long: "ssl-ciphers",
    value: "LIST",
    group: "tls",
    verbs: ["listen", "connect", "send", "receive"],
    help: "TLS: the OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are always OpenSSL's defaults)",
    set: (o, v, n) => {
      if (v === "") throw new UsageError(`${n} needs a cipher list`);
      tlsOf(o).ciphers = v;
    },
    misfit: notTls,
  },
  {
    long: "ssl-pin",
    value: "sha256:HEX",
    group: "tls",
    verbs: ["connect", "send"],
    help: "TLS: trust exactly the certificate with this SHA-256 fingerprint (works with self-signed servers)",
    set: (o, v, n) => {
      tlsOf(o).pin = pin(v, n);
    },
    misfit: notTls,
  },
  {
    long: "insecure",
    group: "tls",
    verbs: ["connect", "send"],
    help: "TLS: do not verify the server at all (prints a warning; prefer --ssl-pin)",
    set: (o) => {
      tlsOf(o).insecure = true;
    },
    misfit: notTls,
  },
  {
    long: "exec",
    short: "e",
    value: "PROGRAM",
    group: "exec",
    verbs: CALLS,
    help: 'each call talks to a new PROGRAM ("prog arg ...", split on spaces, no shell)',
    set: (o, v, n) => {
      o.exec = execValue(o, v, n, false);
    },
    misfit: (o) => execMisfit(o),
  },
  {
    long: "sh-exec",
    short: "c",
    value: "COMMAND",
    group: "exec",
    verbs: CALLS,
    help: "each call talks to a new /bin/sh -c COMMAND",
    set: (o, v, n) => {
      o.exec = execValue(o, v, n, true);
    },
    misfit: (o) => execMisfit(o),
  },
  {
    long: "allow",
    value: "HOSTS",
    group: "access",
    verbs: ["listen", "receive"],
    help: "let only these callers in: addresses, 10.0.0.0/8, 192.168.0-3.*, names; comma-separated",
    set: (o, v, n) => {
      o.allow.push(hostList(v, n));
    },
    misfit: (o) => accessMisfit(o),
  },
  {
    long: "allowfile",
    value: "FILE",
    group: "access",
    verbs: ["listen", "receive"],
    help: "as --allow, from FILE (one or more per line, # comments)",
    set: (o, v, n) => {
      o.allowFiles.push(path(v, n));
    },
    misfit: (o) => accessMisfit(o),
  },
  {
    long: "deny",
    value: "HOSTS",
    group: "access",
    verbs: ["listen", "receive"],
    help: "shut these callers out (deny wins over --allow)",
    set: (o, v, n) => {
      o.deny.push(hostList(v, n));
    },
    misfit: (o) => accessMisfit(o),
  },
  {
    long: "denyfile",
    value: "FILE",
    group: "access",
    verbs: ["listen", "receive"],
    help: "as --deny, from FILE",
    set: (o, v, n) => {
      o.denyFiles.push(path(v, n));
    },
    misfit: (o) => accessMisfit(o),
  },
  {
    long: "port",
    group: "files",
    value: "PORT",
    verbs: FILES,
    help: "send: the receiver's port; receive: the port to answer on (0 picks a free one); default 8990",
    set: (o, v, n) => {
      if (o.port !== null) throw new UsageError("give the port once");
      o.port = port(v, n, o.command === "receive");
    },
  },
  {
    long: "bind",
    group: "files",
    value: "ADDR",
    verbs: ["receive"],
    help: "the address to answer on (default 127.0.0.1; :: or 0.0.0.0 for every address)",
    set: (o, v) => {
      o.host = host(v, "--bind");
    },
  },
  {
    long: "overwrite",
    group: "files",
    verbs: ["receive"],
    help: "replace a file of the same name (never replaced without it)",
    set: (o) => {
      o.overwrite = true;
    },
    misfit: (o) => (o.raw ? "--overwrite does not apply to --raw (stdout is written)" : null),
  },
  {
    long: "raw",
    group: "files",
    verbs: FILES,
    help: "plain bytes as netcat moves them, no names or checks: to or from any nc",
    set: (o) => {
      o.raw = true;
    },
  },
  {
    long: "quiet",
    group: "files",
    verbs: FILES,
    help: "say only what went wrong: no meter, no line per file",
    set: (o) => {
      o.quiet = true;
    },
    misfit: (o) => (o.progress === "on" ? conflict("--quiet", "--progress") : null),
  },
  {
    long: "verbose",
    short: "v",
    verbs: ALL,
    help: "say more on stderr (-vv: more still); a call ends with its byte counts",
    set: (o) => {
      o.verbose += 1;
    },
  },
  {
    long: "debug",
    verbs: ALL,
    help: "stack traces for unexpected errors",
    set: (o) => {
      o.debug = true;
    },
  },
  {
    long: "help",
    short: "h",
    verbs: ALL,
    help: "this help; hotline COMMAND --help for one command",
    set: (o) => {
      o.helpFor = o.grammar === "seed" && o.command !== "help" && o.command !== "version" ? o.command : null;
      o.command = "help";
    },
  },
  {
    long: "version",
    verbs: ALL,
    help: "print the version",
    set: (o) => {
      o.command = "version";
    },
  },
  ...PROXY_OPTIONS,
];

/** ncat options hotline knows but does not offer (yet): named in the error, never ignored. */
export const NOT_OFFERED_LONG: ReadonlySet<string> = new Set(["lua-exec", "telnet", "sctp", "vsock", "delay"]);

export const NOT_OFFERED_SHORT: Readonly<Record<string, string>> = {
  t: "telnet",
  d: "delay",
  g: "-g",
  G: "-G",
};

/** -e or -c's value: one of them, once, and not empty. */
function execValue(o: Options, value: string, name: string, shell: boolean): Options["exec"] {
  if (o.exec !== null) throw new UsageError("give one of -e and -c, once");
  if (value.trim() === "") throw new UsageError(`${name} needs a program to run`);
  return { shell, command: value };
}

function execMisfit(o: Options): string | null {
  if (o.mode === "talk") return "--talk does not apply with -e or -c: the program is the local end";
  if (o.progress === "on") return "--progress does not apply with -e or -c: nothing is written to stdout";
  return null;
}

/** --allow/--deny's value: at least one host once split on commas (ncat skips empty pieces). */
function hostList(value: string, name: string): string {
  if (value.split(",").every((piece) => piece === "")) throw new UsageError(`${name} needs a host`);
  return value;
}

function accessMisfit(o: Options): string | null {
  return o.unix !== null ? "--allow and --deny do not apply to Unix sockets (-U): a Unix caller has no address" : null;
}

/** How help and errors name a row: "-l, --listen", "-q", "--talk". */
export function names(row: OptionRow): string {
  const short = row.short ? `-${row.short}` : "";
  const long = row.long ? `--${row.long}` : "";
  return short && long ? `${short}, ${long}` : short || long;
}

export const BY_LONG: ReadonlyMap<string, OptionRow> = new Map(
  OPTIONS.filter((r) => r.long !== null).map((r) => [r.long as string, r]),
);
export const BY_SHORT: ReadonlyMap<string, OptionRow> = new Map(
  OPTIONS.filter((r) => r.short !== undefined).map((r) => [r.short as string, r]),
);
