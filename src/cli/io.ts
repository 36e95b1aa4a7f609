/**
 * What a mode may touch of the outside world: the three standard streams and whether
 * they are terminals, plus the signal that the user interrupted. main.ts builds it from
 * `process`; tests can build it from anything.
 */
import type { Readable, Writable } from "node:stream";

export interface Io {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  interrupt: AbortSignal;
}

/** Thrown by a mode to end with a one-line message and an exit code. */
export class Failure extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The first error a writable reported, so later writes can fail with it. */
const failures = new WeakMap<Writable, Error>();

/** Records errors of an output stream (call once, when the program starts). */
export function watchOutput(stream: Writable): void {
  stream.on("error", (err: Error) => {
    if (!failures.has(stream)) failures.set(stream, err);
    stream.emit("hotline:failed");
  });
}

/** Writes with backpressure: resolves when the stream can take more; rejects on its error. */
export function write(stream: Writable, chunk: Uint8Array | string): Promise<void> {
  const failed = failures.get(stream);
  if (failed) return Promise.reject(failed);
  if (stream.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      stream.off("drain", done);
      stream.off("hotline:failed", fail);
      stream.off("close", done);
      resolve();
    };
    const fail = (): void => {
      stream.off("drain", done);
      stream.off("close", done);
      reject(failures.get(stream));
    };
    stream.once("drain", done);
    stream.once("close", done);
    stream.once("hotline:failed", fail);
  });
}
