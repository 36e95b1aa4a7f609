/**
 * What a mode may touch of the outside world: the three standard streams and whether
 * they are terminals, plus the signal that the user interrupted. main.ts builds it from
 * `process`; tests can build it from anything.
 */
import { fstatSync, readFileSync, readSync, writeSync } from "node:fs";
import { type OnReadOpts, Socket, type SocketConstructorOpts } from "node:net";
import type { Readable, Writable } from "node:stream";
import { deferred } from "./deferred.js";

export interface Io {
  /** For the terminal: raw mode, readline. Pipe mode reads `input` instead; never both. */
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Whether stdin is a terminal, known without touching `stdin`. */
  stdinIsTTY: boolean;
  /** stdin as chunks of bytes, for pipe mode; a chunk may be reused once the next is taken (openInput()). */
  input: Input;
  stdout: Writable & { isTTY?: boolean; columns?: number };
  /** stdout for bytes that must be written before their memory is reused (openOutput()). */
  output: Output;
  /**
   * No more output: stdout ends and, once flushed, its descriptor is closed if it is a
   * pipe or socket, so whatever reads it sees EOF while hotline still runs.
   */
  endOutput(): void;
  stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  interrupt: AbortSignal;
  /** The environment a child process (-e, -c) starts from. */
  env: NodeJS.ProcessEnv;
}

/**
 * Thrown to end with a one-line message and an exit code. A local failure (stdout or a
 * log file cannot be written) ends every call, not only the one that hit it: going on
 * would lose data in silence.
 */
export class Failure extends Error {
  readonly exitCode: number;
  readonly local: boolean;
  constructor(message: string, exitCode = 1, { local = false }: { local?: boolean } = {}) {
    super(message);
    this.exitCode = exitCode;
    this.local = local;
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

/** Writes `chunk` and resolves once `stream` no longer needs its memory; rejects on the stream's error. */
function writeOut(stream: Writable, chunk: Uint8Array): Promise<void> {
  const failed = failures.get(stream);
  if (failed) return Promise.reject(failed);
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err) => (err ? reject(failures.get(stream) ?? err) : resolve()));
  });
}

/** stdout for pipe mode. */
export interface Output {
  /**
   * Writes all of `chunk`. Returns nothing when it is written already, else a promise
   * that resolves once the chunk's memory may be reused; errors reject as write()'s do.
   */
  write(chunk: Uint8Array): Promise<void> | undefined;
}

/**
 * stdout as pipe mode writes it. A pipe or socket is written directly with write(2),
 * whole chunks, while Node's stream holds nothing (so the order stays); what the
 * descriptor does not take at once (EAGAIN: Node made it non-blocking) goes through the
 * stream, and the promise waits for it. Files and terminals go through the stream: their
 * writes finish inside write() already.
 */
export function openOutput(fd: number, stream: Writable): Output {
  let direct = false;
  try {
    const stat = fstatSync(fd);
    direct = stat.isFIFO() || stat.isSocket();
  } catch {
    // unusable: the stream reports it
  }
  if (!direct) return { write: (chunk) => writeOut(stream, chunk) };
  return {
    write: (chunk) => {
      if (stream.writableLength > 0 || failures.has(stream)) return writeOut(stream, chunk);
      let done = 0;
      try {
        done = writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") return Promise.reject(err);
      }
      // A short write means the pipe is full: trying again now would only fail (an
      // exception, 7 µs), so the rest waits in the stream for room.
      return done === chunk.length ? undefined : writeOut(stream, chunk.subarray(done));
    },
  };
}

/**
 * One read from a file on stdin, and so one send. Larger sends cost the loopback kernel
 * far less: hotline → hotline, 2 GiB from a file, the sender's system time fell from
 * 1.0–1.2 to 0.73–0.78 s and GB/s rose by about a quarter going from 64 KiB to 256 KiB;
 * 512 KiB and 1 MiB measured the same as 256. Into ncat, which reads 8 KiB at a time, it
 * is a little slower (docs/benchmarks.md).
 */
const FILE_CHUNK = 256 * 1024;

/**
 * One read from a pipe on stdin, and so one send: a little less than the 64 KiB a pipe
 * holds. hotline → hotline from `head -c 2G /dev/zero |`: 1.04–1.32 GB/s with 64 KiB,
 * 1.24–1.69 with 56 KiB. What costs is both ends moving exactly 64 KiB (the receiver's
 * read buffers are 64 KiB): the sender's system time is then 1.0 s per 2 GiB, 0.55–0.85
 * otherwise, and into ncat's receiver the size makes no difference (docs/benchmarks.md).
 */
const PIPE_CHUNK = 56 * 1024;

/** Buffers a pipe on stdin cycles through: one being filled, the rest queued or held. */
const PIPE_BUFFERS = 4;

/** stdin for pipe mode: chunks of bytes, and a way to stop reading so the process can end. */
export interface Input extends AsyncIterable<Buffer> {
  close(): void;
  /** Bytes known to be left to read (a file: its size less what was read), or null when unknown. */
  unread(): number | null;
}

/**
 * stdin as chunks, read the cheapest way its kind allows. Every chunk is valid until the
 * next one is asked for: a consumer finishes with a chunk (sent, logged) before it takes
 * the next, or copies it. Reusing memory is the point: a fresh 64 KiB buffer per read
 * cost 20–50% more CPU, in page faults (docs/benchmarks.md).
 *
 * - A regular file is read with synchronous reads into one buffer: a file read never
 *   waits for another program, and this skips the thread-pool round trip Node's file
 *   stream makes per chunk. Reading starts at the file's current offset.
 * - A pipe or socket is read by a Node socket of our own on the descriptor, into a few
 *   reused buffers (its `onread` option), instead of `process.stdin`, which takes fresh
 *   memory for every read. `process.stdin` is then never created: two handles must not
 *   share the descriptor.
 * - Anything else (a terminal, /dev/null) is the `stdin()` stream itself.
 *
 * `readSize` sets how much one read of a file or pipe takes instead (UDP: one datagram's
 * worth). Nothing is read until iteration starts.
 */
export function openInput(fd: number, stdin: () => Readable, readSize?: number): Input {
  let kind: "file" | "pipe" | "stream" = "stream";
  try {
    const stat = fstatSync(fd);
    if (stat.isFile()) kind = "file";
    else if (stat.isFIFO() || stat.isSocket()) kind = "pipe";
  } catch {
    // closed or unusable: the stream reports it as it always has
  }
  if (kind === "file") return fileInput(fd, readSize ?? FILE_CHUNK);
  if (kind === "pipe") return pipeInput(fd, readSize ?? PIPE_CHUNK);
  let stream: Readable | null = null;
  return {
    [Symbol.asyncIterator]: () => {
      stream = stdin();
      return stream[Symbol.asyncIterator]();
    },
    close: () => stream?.destroy(),
    unread: () => null,
  };
}

function fileInput(fd: number, size: number): Input {
  let closed = false;
  // What is left is the size less where reading starts (the shell may have read some
  // already), which only /proc tells; without it the amount is unknown.
  const start = fileOffset(fd);
  let left = start === null ? null : Math.max(0, fstatSync(fd).size - start);
  return {
    async *[Symbol.asyncIterator]() {
      const buffer = Buffer.allocUnsafeSlow(size);
      while (!closed) {
        const n = readSync(fd, buffer, 0, size, null);
        if (n === 0) {
          left = 0;
          return;
        }
        if (left !== null) left = Math.max(0, left - n);
        yield buffer.subarray(0, n);
      }
    },
    close: () => {
      closed = true;
    },
    unread: () => left,
  };
}

/** A descriptor's file offset, from /proc/self/fdinfo (Linux); null where that is not there. */
function fileOffset(fd: number): number | null {
  try {
    const pos = /^pos:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
    return pos ? Number(pos[1]) : null;
  } catch {
    return null;
  }
}

function pipeInput(fd: number, size: number): Input {
  let sock: Socket | null = null;
  let reading: AsyncIterableIterator<Buffer> | null = null;
  return {
    // One reader per descriptor, so never two handles on it: a second loop goes on where
    // the first stopped.
    [Symbol.asyncIterator]: () => {
      reading ??= readPipe();
      return reading;
    },
    close: () => sock?.destroy(),
    unread: () => null,
  };

  function readPipe(): AsyncIterableIterator<Buffer> {
    const free: Buffer[] = Array.from({ length: PIPE_BUFFERS }, () => Buffer.allocUnsafeSlow(size));
    const filled: [Buffer, number][] = [];
    let held: Buffer | null = null; // behind the chunk the consumer has now
    let ended = false;
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const changed = (): void => {
      const resolve = wake;
      wake = null;
      resolve?.();
    };
    const options: SocketConstructorOpts & { onread: OnReadOpts } = {
      fd,
      readable: true,
      writable: false,
      onread: {
        // Node asks for the next buffer right after every callback, so one is always free.
        buffer: () => free.pop() as Buffer,
        callback: (n: number, buffer: Uint8Array) => {
          filled.push([buffer as Buffer, n]);
          if (free.length < 2) input.pause(); // the last free buffer is about to be taken
          changed();
          return true;
        },
      },
    };
    // Node documents `onread` for the Socket constructor; the @types/node we use lists it for connect() only.
    const input = new Socket(options);
    sock = input;
    const finished = (): void => {
      ended = true;
      changed();
    };
    input.on("end", finished);
    input.on("close", finished);
    input.on("error", (err) => {
      failure = err;
      changed();
    });
    input.resume(); // flowing, so the end of input is reported as 'end'
    const iterator: AsyncIterableIterator<Buffer> = {
      next: async () => {
        if (held) {
          free.push(held);
          held = null;
          if (input.isPaused()) input.resume();
        }
        for (;;) {
          const first = filled.shift();
          if (first) {
            held = first[0];
            return { value: first[0].subarray(0, first[1]), done: false };
          }
          if (failure) throw failure;
          if (ended) return { value: undefined, done: true };
          const { promise, resolve } = deferred<void>();
          wake = resolve;
          await promise;
        }
      },
      // Leaving a loop keeps the reader: only close() stops it.
      return: async () => ({ value: undefined, done: true }),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
