/**
 * Content into a file, as it arrives: each received chunk is written at once, with a
 * synchronous positional write on the main thread, straight after the hash read it.
 *
 * Why synchronous, on this thread: the chunk is still in this core's cache, where the
 * socket read and the hash left it. The first version gathered chunks into 1 MiB buffers
 * and wrote them on libuv's thread pool, so the disk and the line would overlap; on these
 * 2-core machines the pool thread then read every byte from the other core's cache, and the
 * kernel's copy into the page cache (`copy_folio_from_iter_atomic` in `perf`) took 3.6
 * CPU-seconds per 2 GiB instead of 0.55. Written here, 2 GiB from ext4 to ext4 went from
 * 4.3–5.4 s to 3.1–3.5 s, and the receiver's system time from 3.0–3.7 s to 1.4–1.7 s
 * (docs/benchmarks.md). Pipe mode writes a file on stdout the same way (Node's stdout
 * for a file is synchronous). The kernel keeps filling the socket's buffer while a write
 * runs, so the line does not stop for it; a disk slower than the line holds the receiver
 * in the write, and the sender then waits on a full socket, as it should.
 *
 * A write error (the disk is full) is kept, not thrown: what still arrives for the file is
 * dropped, and finish() reports the error, so the protocol goes on in step.
 */
import { writeSync } from "node:fs";

export class FileWriter {
  readonly #fd: number;
  #error: Error | null = null;
  /** Bytes the file holds for sure: written by the kernel. */
  #written: number;

  /** Writes into `fd` from `position` (where the part already here ends). */
  constructor(fd: number, position: number) {
    this.#fd = fd;
    this.#written = position;
  }

  /** The first write error, once one happened. */
  get error(): Error | null {
    return this.#error;
  }

  /** The file's length so far, counting only what was written. */
  get written(): number {
    return this.#written;
  }

  /** Writes all of `bytes` before it returns, or keeps the error and drops them. */
  write(bytes: Uint8Array): void {
    if (this.#error) return;
    try {
      // A short write (the disk filled up) is followed by one that throws.
      for (let done = 0; done < bytes.length; ) {
        const n = writeSync(this.#fd, bytes, done, bytes.length - done, this.#written);
        done += n;
        this.#written += n;
      }
    } catch (err) {
      this.#error = err as Error;
    }
  }

  /** Throws the write error, if any (every write is done already). */
  finish(): void {
    if (this.#error) throw this.#error;
  }
}
