/**
 * Diagnostics on stderr, one line each, all starting with "hotline: ". Errors from the
 * library become the line users read: what failed, where, and the system's reason.
 */
import type { Writable } from "node:stream";
import { debuglog } from "node:util";
import { OSError } from "../index.js";
import { SSLError } from "../ssl/index.js";

/**
 * NODE_DEBUG=hotline: what the CLI decided and what happened to each connection (the
 * mode chosen, connect attempts, accepts and refusals, timers firing, closes), beside
 * what the library logs under the same name.
 */
export const debug = debuglog("hotline");

export class Reporter {
  readonly #stderr: Writable;
  readonly #verbose: number;

  constructor(stderr: Writable, verbose: number) {
    this.#stderr = stderr;
    this.#verbose = verbose;
  }

  /** A line drawn in place on stderr (the transfer meter), erased before each message. */
  meter: { erase(): void } | null = null;

  /** Where messages go instead of stderr while talk mode owns the terminal (above the input line). */
  divert: ((message: string) => void) | null = null;

  /** Always shown: failures and the readiness line. */
  say(message: string): void {
    if (this.divert) {
      this.divert(message);
      return;
    }
    this.meter?.erase();
    this.#stderr.write(`hotline: ${message}\n`);
  }

  /** Shown with -v (level 1) or -vv (level 2). */
  info(message: string, level = 1): void {
    if (this.#verbose >= level) this.say(message);
  }
}

/**
 * "connection refused": the system's reason for an OSError, or for a Node error with an
 * errno code (stdout's ENOSPC); the message itself for anything else.
 */
export function reason(err: unknown): string {
  if (err instanceof SSLError && err.reason?.endsWith("ALERT_CERTIFICATE_REQUIRED")) {
    return "the server wants a client certificate (--ssl-cert and --ssl-key)";
  }
  const code = (err as { code?: unknown } | null)?.code;
  const os =
    err instanceof OSError ? err : typeof code === "string" && /^E[A-Z]+$/.test(code) ? new OSError(code) : null;
  if (os) {
    if (os.code === "ETIMEDOUT") return "timed out";
    if (os.code === "EIO" && !(err instanceof OSError)) return (err as Error).message;
    return os.strerror.charAt(0).toLowerCase() + os.strerror.slice(1);
  }
  return err instanceof Error ? err.message : String(err);
}
