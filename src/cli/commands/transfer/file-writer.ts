/**
 * Content into a file, as it arrives: received chunks are gathered into a large buffer and
 * written at a known position, so a 64 KiB chunk costs a copy, not a system call. Two
 * buffers take turns: one fills while the other is being written, and the receiver waits
 * only when both are busy (the disk is slower than the line).
 *
 * A write error (the disk is full) is kept, not thrown at once: what still arrives for the
 * file is dropped, and finish() reports the error, so the protocol goes on in step.
 */
import { write } from "node:fs";
import { promisify } from "node:util";

const writeAt = promisify(write);

/** Bytes gathered per write: large writes cost the kernel least; 1 MiB was as fast as 4. */
const WRITE_CHUNK = 1024 * 1024;

export class FileWriter {
  readonly #fd: number;
  #position: number;
  readonly #chunk: number;
  #buffer: Buffer;
  #spare: Buffer;
  #fill = 0;
  #inflight: Promise<void> | null = null;
  #error: Error | null = null;
  /** Bytes the file holds for sure: written by the kernel. */
  #written: number;

  /** `expected`: the bytes to come, so a small file does not cost two 1 MiB buffers (a folder of them would fault in gigabytes). */
  constructor(fd: number, position: number, expected: number) {
    this.#fd = fd;
    this.#chunk = Math.max(1, Math.min(WRITE_CHUNK, expected));
    this.#buffer = Buffer.allocUnsafe(this.#chunk);
    this.#spare = Buffer.allocUnsafe(this.#chunk);
    this.#position = position;
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

  /** Takes `bytes` (used before the return, or before the promise settles). */
  write(bytes: Buffer): Promise<void> | undefined {
    let at = 0;
    while (at < bytes.length) {
      if (this.#error) return undefined;
      const n = Math.min(bytes.length - at, this.#chunk - this.#fill);
      bytes.copy(this.#buffer, this.#fill, at, at + n);
      this.#fill += n;
      at += n;
      if (this.#fill === this.#chunk) {
        const waiting = this.#flush();
        if (waiting) return waiting.then(() => this.write(bytes.subarray(at)));
      }
    }
    return undefined;
  }

  /** Writes what is gathered and waits for every write; throws the write error, if any. */
  async finish(): Promise<void> {
    while (this.#fill > 0 && !this.#error) await this.#flush();
    await this.#inflight;
    if (this.#error) throw this.#error;
  }

  /** Starts writing the full buffer; when the other is still being written, waits for it first. */
  #flush(): Promise<void> | undefined {
    if (this.#inflight) return this.#inflight;
    const full = this.#buffer;
    const length = this.#fill;
    const position = this.#position;
    this.#buffer = this.#spare;
    this.#spare = full;
    this.#fill = 0;
    this.#position += length;
    this.#inflight = this.#writeAll(full, length, position).then(
      () => {
        this.#written = position + length;
        this.#inflight = null;
      },
      (err: Error) => {
        this.#error = err;
        this.#inflight = null;
      },
    );
    return undefined;
  }

  async #writeAll(buffer: Buffer, length: number, position: number): Promise<void> {
    let done = 0;
    while (done < length) {
      done += (await writeAt(this.#fd, buffer, done, length - done, position + done)).bytesWritten;
    }
  }
}
