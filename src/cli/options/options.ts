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
    grammar: "ncat",
    didYouMean: null,
  };
}
