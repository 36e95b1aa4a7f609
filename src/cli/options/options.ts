/** What a command line means, once parsed: the Options every layer of the CLI reads. */

export type Command = "listen" | "connect" | "probe" | "lookup" | "send" | "receive" | "help" | "version";

/** The commands that take options; help and version take none that matter. */
export type Verb = "listen" | "connect" | "probe" | "lookup" | "send" | "receive";
export const VERBS: readonly Verb[] = ["listen", "connect", "probe", "lookup", "send", "receive"];

/** Options of one subject, listed by `hotline help TOPIC` rather than in the main help. */
export type HelpTopic = "tls" | "proxy" | "conference" | "exec" | "access" | "files";
export const TOPICS: Readonly<Record<HelpTopic, string>> = {
  tls: "secure lines: --ssl, --ssl-pin, --ssl-cert, --insecure, ...",
  proxy: "dialling through a proxy, and the HTTP proxy server: --proxy, --proxy-type, ...",
  conference: "many callers together: --broker, --chat, --queue-limit, ...",
  exec: "a program at the end of each call: -e, -c",
  access: "who may call: --allow, --deny, --allowfile, --denyfile",
  files: "hotline send and receive: --port, --bind, --overwrite, --raw, --quiet",
};

export interface Options {
  command: Command;
  /** The subcommand or topic whose help was asked for, or null for the whole program. */
  helpFor: Verb | HelpTopic | null;
  /** Host to dial or bind; null means the default for the command. */
  host: string | null;
  port: number | null;
  /** -U: a Unix socket path instead of host and port. */
  unix: string | null;
  /** probe's PORTS, expanded. */
  ports: number[];
  /** lookup's NAME. */
  name: string | null;
  /** -k: listening, many calls at once; dialling, stay after the peer's end of stream. */
  keepOpen: boolean;
  /** --serial: a listener answers one call after another. */
  serial: boolean;
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
  /** --broker: every caller's bytes go to every other caller (--chat implies it). */
  broker: boolean;
  /** --chat: the broker on lines, each with its sender's name. */
  chat: boolean;
  /** --queue-limit: bytes queued for one broker caller that cut it at once. */
  queueLimit: number;
  /** --queue-soft-limit: bytes queued for one broker caller that may last queueSoftMs and no longer (null: none). */
  queueSoftLimit: number | null;
  queueSoftMs: number;
  output: string | null;
  hexDump: string | null;
  appendOutput: boolean;
  /** Talk or pipe; auto picks talk when stdin and stdout are terminals. */
  mode: "auto" | "talk" | "pipe";
  /** The transfer meter on stderr: auto shows it when stderr is a terminal and stdout is not. */
  progress: "auto" | "on" | "off";
  debug: boolean;
  /**
   * -e PROGRAM ARGS (split on white space, no shell) or -c COMMAND (through /bin/sh -c):
   * each call's local end is a child process instead of stdin and stdout.
   */
  exec: { shell: boolean; command: string } | null;
  /** --allow/--deny host specs (each value split on commas later) and --allowfile/--denyfile files. */
  allow: string[];
  deny: string[];
  allowFiles: string[];
  denyFiles: string[];
  /** send's FILEs and folders. */
  files: string[];
  /** receive's DIR; null: the current folder. */
  dir: string | null;
  /** --overwrite: receive replaces a file of the same name (never without it). */
  overwrite: boolean;
  /** --raw: send and receive move plain bytes, as netcat does, without the file protocol. */
  raw: boolean;
  /** --quiet: send and receive say only what went wrong (no meter, no line per file). */
  quiet: boolean;
  /** Which grammar the command line used: the seed's subcommands or ncat's. */
  grammar: "seed" | "ncat";
  /**
   * ncat's grammar took a first word close to a command name ("lisen") as the HOST: if it
   * does not resolve, the error says "unknown command" and names this one.
   */
  didYouMean: Verb | null;
  /** --ssl and the --ssl-* options (any of them turns TLS on); null for plain connections. */
  tls: TlsOptions | null;
  /** --proxy: dial the target through this proxy (the port is the type's default when not given). */
  proxy: { host: string; port: number | null } | null;
  /** --proxy-type: the client's protocol, or, with -l, "http" makes hotline an HTTP proxy. */
  proxyType: ProxyType | null;
  /** --proxy-auth: USER:PASS (http, socks5) or a user id (socks4); with -l, what clients must send. */
  proxyAuth: string | null;
  /** --proxy-dns: where a target's name is resolved (ncat's meanings; remote when not given). */
  proxyDns: ProxyDns | null;
}

/** TLS as the command line asks for it; reach/tls.ts turns it into contexts. */
export interface TlsOptions {
  /** --ssl-cert, --ssl-key: PEM files (the certificate's file may hold the key too). */
  cert: string | null;
  key: string | null;
  /** --ssl-trustfile: dialling, the only CAs trusted; listening, callers must show a certificate from them. */
  trustfile: string | null;
  /** --ssl-servername: the name sent (SNI) and checked; default the host dialled. */
  servername: string | null;
  /** --ssl-alpn: protocols offered, in order of preference. */
  alpn: string[] | null;
  ciphers: string | null;
  /** --ssl-pin: the one certificate trusted, as lowercase SHA-256 hex of its DER form. */
  pin: string | null;
  /** --insecure: no verification at all (with a warning). */
  insecure: boolean;
}

/** The TLS options, made on first use: every --ssl-* option turns TLS on, as in ncat. */
export function tlsOf(o: Options): TlsOptions {
  o.tls ??= {
    cert: null,
    key: null,
    trustfile: null,
    servername: null,
    alpn: null,
    ciphers: null,
    pin: null,
    insecure: false,
  };
  return o.tls;
}

export type ProxyType = "http" | "socks4" | "socks5";
export type ProxyDns = "local" | "remote" | "both" | "none";

/** The seed's defaults, and ncat's. */
export const SEED_HOST = "127.0.0.1";
export const SEED_PORT = 8990;
export const NCAT_PORT = 31337;
export const BACKLOG = 10;
/** The broker's limits for one caller's outgoing queue: Redis's for a pubsub client (32mb 8mb 60). */
export const QUEUE_LIMIT = 32 * 1024 * 1024;
export const QUEUE_SOFT_LIMIT = 8 * 1024 * 1024;
export const QUEUE_SOFT_MS = 60_000;
/** ncat's --max-conns for a broker. */
export const BROKER_MAX_CONNS = 100;

export function defaults(): Options {
  return {
    command: "connect",
    helpFor: null,
    host: null,
    port: null,
    unix: null,
    ports: [],
    name: null,
    keepOpen: false,
    serial: false,
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
    broker: false,
    chat: false,
    queueLimit: QUEUE_LIMIT,
    queueSoftLimit: QUEUE_SOFT_LIMIT,
    queueSoftMs: QUEUE_SOFT_MS,
    output: null,
    hexDump: null,
    appendOutput: false,
    mode: "auto",
    progress: "auto",
    debug: false,
    exec: null,
    allow: [],
    deny: [],
    allowFiles: [],
    denyFiles: [],
    files: [],
    dir: null,
    overwrite: false,
    raw: false,
    quiet: false,
    grammar: "ncat",
    didYouMean: null,
    tls: null,
    proxy: null,
    proxyType: null,
    proxyAuth: null,
    proxyDns: null,
  };
}
