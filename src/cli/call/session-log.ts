/**
 * -o and -x: a copy of the session's data in a file. -o writes the raw bytes of both
 * directions as they pass; -x writes a hex dump in which ">" marks what was sent and "<"
 * what was received. Files are written synchronously so the log is complete at exit. A
 * file that cannot be written ends the program with one line naming it (a local
 * Failure): a log that silently misses data is worse than none.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { HexDumper } from "../../index.js";
import { Failure } from "../io.js";
import { reason } from "../report.js";

interface LogFile {
  fd: number;
  option: string;
  path: string;
}

export class SessionLog {
  readonly #raw: LogFile | null;
  readonly #hex: LogFile | null;
  readonly #sentDump = new HexDumper(">");
  readonly #receivedDump = new HexDumper("<");

  constructor(output: string | null, hexDump: string | null, append: boolean) {
    const open = (option: string, path: string | null): LogFile | null => {
      if (path === null) return null;
      try {
        return { fd: openSync(path, append ? "a" : "w"), option, path };
      } catch (err) {
        throw new Failure(`cannot open ${path} (${option}): ${reason(err)}`, 2);
      }
    };
    this.#raw = open("-o", output);
    this.#hex = open("-x", hexDump);
  }

  /** Whether anything is logged: the call skips the log calls when not. */
  get active(): boolean {
    return this.#raw !== null || this.#hex !== null;
  }

  sent(chunk: Uint8Array): void {
    if (this.#raw !== null) write(this.#raw, chunk);
    if (this.#hex !== null) write(this.#hex, this.#sentDump.push(chunk));
  }

  received(chunk: Uint8Array): void {
    if (this.#raw !== null) write(this.#raw, chunk);
    if (this.#hex !== null) write(this.#hex, this.#receivedDump.push(chunk));
  }

  close(): void {
    for (const file of [this.#raw, this.#hex]) {
      if (file === null) continue;
      try {
        closeSync(file.fd);
      } catch {
        // what could not be written was reported when it happened
      }
    }
  }
}

function write(file: LogFile, data: Uint8Array | string): void {
  try {
    if (typeof data === "string") writeSync(file.fd, data);
    else writeSync(file.fd, data);
  } catch (err) {
    throw new Failure(`write ${file.path} (${file.option}): ${reason(err)}`, 1, { local: true });
  }
}
