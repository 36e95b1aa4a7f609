/**
 * What a mode may touch of the outside world: the three standard streams and whether
 * they are terminals, plus the signal that the user interrupted. main.ts builds it from
 * `process`; tests can build it from anything.
 */
import { fstatSync, readSync } from "node:fs";
import type { Readable, Writable } from "node:stream";

export interface Io {
  /** For the terminal: raw mode, readline. Pipe mode reads `input` instead. */
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** stdin as chunks of bytes, for pipe mode; a chunk may be reused once the next is taken (inputChunks()). */
  input: AsyncIterable<Buffer>;
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

/** One read from a regular file: as large as Node's stream chunks, which measured best. */
const FILE_CHUNK = 64 * 1024;

/**
 * stdin as chunks. A regular file is read straight from its descriptor with synchronous
 * reads: a file read never waits for another program, and this skips the thread-pool
 * round trip Node's file stream makes per chunk, which cost a third of the throughput of
 * `hotline ... < file` (docs/benchmarks.md). Reading starts at the file's current offset,
 * as a stream's would. Anything else (pipe, socket, terminal) is the stream itself.
 *
 * From a file every chunk is a view of one reused buffer, valid until the next chunk is
 * asked for (fresh memory per chunk cost 20–50% more CPU, in page faults): a consumer
 * finishes with a chunk (sent, logged) before it takes the next, or copies it.
 */
export function inputChunks(stdin: Readable, fd: number): AsyncIterable<Buffer> {
  let regularFile = false;
  try {
    regularFile = fstatSync(fd).isFile();
  } catch {
    // closed or unusable: the stream reports it as it always has
  }
  if (!regularFile) return stdin;
  return (async function* () {
    const buffer = Buffer.allocUnsafeSlow(FILE_CHUNK);
    for (;;) {
      const n = readSync(fd, buffer, 0, FILE_CHUNK, null);
      if (n === 0) return;
      yield buffer.subarray(0, n);
    }
  })();
}
