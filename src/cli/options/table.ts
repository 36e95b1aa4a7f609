/**
 * Every option, one row each: its names, its value, the commands it applies to, a line of
 * help, what it sets, and when it does not fit the rest of the command line. The parser,
 * the applicability checks and every help text come from this table; an option is added
 * here and nowhere else.
 */
import type { Options, Verb } from "./options.js";
import { conflict, count, host, path, port, time, UsageError } from "./values.js";

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
}

const CALLS: readonly Verb[] = ["listen", "connect"];
const ALL: readonly Verb[] = ["listen", "connect", "probe", "lookup"];

const notUdp = (what: string) => (o: Options) => (o.udp ? `${what} does not apply to UDP (-u)` : null);

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
    verbs: CALLS,
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
    misfit: (o) => (o.keepOpen ? null : "--max-conns applies with -k (many callers at once)"),
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
    verbs: CALLS,
    help: "dial from PORT (with -l: the port to listen on)",
    set: (o, v, n) => {
      o.sourcePort = port(v, n, false);
    },
  },
  {
    long: "source",
    short: "s",
    value: "ADDR",
    verbs: ["connect"],
    help: "dial from ADDR",
    set: (o, v) => {
      o.source = host(v, "-s");
    },
  },
  {
    long: "wait",
    short: "w",
    value: "TIME",
    verbs: ["connect", "probe"],
    help: "give up connecting after TIME (name lookup included)",
    set: (o, v, n) => {
      o.wait = time(v, n);
    },
  },
  {
    long: "idle-timeout",
    short: "i",
    value: "TIME",
    verbs: CALLS,
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
    verbs: ["listen", "connect", "probe"],
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
    verbs: CALLS,
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
    verbs: CALLS,
    help: "never show the transfer meter",
    set: (o) => {
      o.progress = o.progress === "on" ? conflict("--progress", "--no-progress") : "off";
    },
  },
  {
    long: "exec",
    short: "e",
    value: "PROGRAM",
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
    verbs: ["listen"],
    help: "let only these callers in: addresses, 10.0.0.0/8, 192.168.0-3.*, names; comma-separated",
    set: (o, v, n) => {
      o.allow.push(hostList(v, n));
    },
    misfit: (o) => accessMisfit(o),
  },
  {
    long: "allowfile",
    value: "FILE",
    verbs: ["listen"],
    help: "as --allow, from FILE (one or more per line, # comments)",
    set: (o, v, n) => {
      o.allowFiles.push(path(v, n));
    },
    misfit: (o) => accessMisfit(o),
  },
  {
    long: "deny",
    value: "HOSTS",
    verbs: ["listen"],
    help: "shut these callers out (deny wins over --allow)",
    set: (o, v, n) => {
      o.deny.push(hostList(v, n));
    },
    misfit: (o) => accessMisfit(o),
  },
  {
    long: "denyfile",
    value: "FILE",
    verbs: ["listen"],
    help: "as --deny, from FILE",
    set: (o, v, n) => {
      o.denyFiles.push(path(v, n));
    },
    misfit: (o) => accessMisfit(o),
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
];

/** ncat options hotline knows but does not offer (yet): named in the error, never ignored. */
export const NOT_OFFERED_LONG: ReadonlySet<string> = new Set([
  "broker",
  "chat",
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
  "lua-exec",
  "telnet",
  "sctp",
  "vsock",
  "delay",
]);

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
