/**
 * Diagnostics on stderr, one line each, all starting with "hotline: ". Errors from the
 * library become the line users read: what failed, where, and the system's reason.
 */
import type { Writable } from "node:stream";
import { OSError } from "../index.js";

export class Reporter {
  readonly #stderr: Writable;
  readonly #verbose: number;

  constructor(stderr: Writable, verbose: number) {
    this.#stderr = stderr;
    this.#verbose = verbose;
  }

  /** Always shown: failures and the readiness line. */
  say(message: string): void {
    this.#stderr.write(`hotline: ${message}\n`);
  }

  /** Shown with -v (level 1) or -vv (level 2). */
  info(message: string, level = 1): void {
    if (this.#verbose >= level) this.say(message);
  }
}

/** "connection refused" from an OSError; the message itself for anything else. */
export function reason(err: unknown): string {
  if (err instanceof OSError) {
    if (err.code === "ETIMEDOUT") return "timed out";
    return err.strerror.charAt(0).toLowerCase() + err.strerror.slice(1);
  }
  return err instanceof Error ? err.message : String(err);
}
