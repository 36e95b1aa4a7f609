/** What a command line means, once parsed: the Options every layer of the CLI reads. */

export type Command = "listen" | "connect" | "probe" | "lookup" | "help" | "version";

/** The commands that take options; help and version take none that matter. */
export type Verb = "listen" | "connect" | "probe" | "lookup";
export const VERBS: readonly Verb[] = ["listen", "connect", "probe", "lookup"];

export interface Options {
  command: Command;
  /** The subcommand whose --help was asked for, or null for the whole program. */
  helpFor: Verb | null;
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
  /** Which grammar the command line used: the seed's subcommands or ncat's. */
  grammar: "seed" | "ncat";
  /**
   * ncat's grammar took a first word close to a command name ("lisen") as the HOST: if it
   * does not resolve, the error says "unknown command" and names this one.
   */
  didYouMean: Verb | null;
}

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
    grammar: "ncat",
    didYouMean: null,
  };
}
