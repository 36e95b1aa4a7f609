/**
 * -o and -x: a copy of the session's data in a file. -o writes the raw bytes of both
 * directions as they pass; -x writes a hex dump in which ">" marks what was sent and "<"
 * what was received. Files are written synchronously so the log is complete at exit.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { HexDumper } from "../../index.js";
import { Failure } from "../io.js";

export class SessionLog {
  readonly #raw: number | null;
  readonly #hex: number | null;
  readonly #sentDump = new HexDumper(">");
  readonly #receivedDump = new HexDumper("<");

  constructor(output: string | null, hexDump: string | null, append: boolean) {
    const open = (path: string | null): number | null => {
      if (path === null) return null;
      try {
        return openSync(path, append ? "a" : "w");
      } catch (err) {
        throw new Failure(`cannot open ${path}: ${(err as Error).message}`, 2);
      }
    };
    this.#raw = open(output);
    this.#hex = open(hexDump);
  }

  sent(chunk: Uint8Array): void {
    if (this.#raw !== null) writeSync(this.#raw, chunk);
    if (this.#hex !== null) writeSync(this.#hex, this.#sentDump.push(chunk));
  }

  received(chunk: Uint8Array): void {
    if (this.#raw !== null) writeSync(this.#raw, chunk);
    if (this.#hex !== null) writeSync(this.#hex, this.#receivedDump.push(chunk));
  }

  close(): void {
    for (const fd of [this.#raw, this.#hex]) if (fd !== null) closeSync(fd);
  }
}
