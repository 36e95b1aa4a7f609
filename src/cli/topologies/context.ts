/** What every topology is handed: the options, the process's streams, the log and the reporter. */
import type { SessionLog } from "../call/session-log.js";
import type { Program } from "../endpoints/child.js";
import type { Io } from "../io.js";
import type { Options } from "../options/options.js";
import type { Reporter } from "../report.js";

export interface Context {
  o: Options;
  io: Io;
  log: SessionLog;
  report: Reporter;
  /** Talk mode (a conversation in the terminal) rather than pipe mode. */
  talk: boolean;
  /** -e or -c: each call's local end is a new child running this (never talk mode). */
  program: Program | null;
}
