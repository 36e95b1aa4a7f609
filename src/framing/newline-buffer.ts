/**
 * The read side of makefile()'s `newline` option: bytes in, lines out, with Python's
 * newline rules (io.TextIOWrapper):
 *
 *   null    universal newlines, translated: "\r\n" and "\r" become "\n" as bytes arrive
 *   ""      universal newlines, kept: a line ends at "\n", "\r\n" or "\r", returned as sent
 *   "\n"    a line ends at "\n" (binary files too)
 *   "\r"    a line ends at "\r"
 *   "\r\n"  a line ends at "\r\n"
 *
 * A "\r" that is the last byte received may be the first half of "\r\n", so where that
 * matters (null, "", "\r\n") it waits for the next byte or the end of the stream, as
 * Python's decoder does. Work is on bytes, which is right for ASCII-compatible encodings
 * (UTF-8, Latin-1): there a 0x0d or 0x0a byte is always the character. Pure: no I/O.
 */
const LF = 0x0a;
const CR = 0x0d;
const CR_ONLY = Buffer.from([CR]);

/** Python's newline argument: null (None), "", "\n", "\r" or "\r\n". */
export type Newline = null | "" | "\n" | "\r" | "\r\n";

export const NEWLINES: readonly Newline[] = [null, "", "\n", "\r", "\r\n"];

export class NewlineBuffer {
  readonly #translate: boolean;
  /** The byte that ends a line (for "\r\n", its first byte), or -1 for universal newlines. */
  readonly #stop: number;
  readonly #pair: boolean;
  #chunks: Buffer[] = [];
  #size = 0;
  /** Bytes at the front already searched without finding a line's end. */
  #scanned = 0;
  /** Translating: the last byte received was "\r", held back until the next one shows whether "\n" follows. */
  #heldCR = false;
  #ended = false;

  constructor(newline: Newline = "\n") {
    this.#translate = newline === null;
    this.#stop = newline === "\r" || newline === "\r\n" ? CR : newline === "" ? -1 : LF;
    this.#pair = newline === "\r\n";
  }

  /** Bytes held, after translation. */
  get size(): number {
    return this.#size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.#translate) bytes = this.#translated(bytes);
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#size += bytes.length;
  }

  /** The end of the stream: a "\r" held back or last is now a whole line ending. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#heldCR) {
      this.#heldCR = false;
      this.#chunks.push(Buffer.from([LF]));
      this.#size += 1;
    }
  }

  /**
   * The next line with its ending, or null while none is complete. With a limit, a longer
   * line comes out in pieces of `limit` bytes (Python's readline(limit)).
   */
  line(limit = Number.POSITIVE_INFINITY): Buffer | null {
    const end = this.#findEnd();
    if (end >= 0) return this.take(Math.min(end, limit));
    return this.#size >= limit ? this.take(limit) : null;
  }

  /** Up to `n` bytes from the front. */
  take(n: number): Buffer {
    const count = Math.min(n, this.#size);
    const first = this.#chunks[0];
    let out: Buffer;
    if (first && first.length >= count) {
      out = first.subarray(0, count);
      if (first.length === count) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(count);
    } else {
      const whole = Buffer.concat(this.#chunks, this.#size);
      out = whole.subarray(0, count);
      this.#chunks = count < whole.length ? [whole.subarray(count)] : [];
    }
    this.#size -= count;
    this.#scanned = Math.max(0, this.#scanned - count);
    return out;
  }

  takeAll(): Buffer {
    return this.take(this.#size);
  }

  /** "\r\n" and a lone "\r" as "\n"; a "\r" at the very end is held for the next chunk. */
  #translated(chunk: Buffer): Buffer {
    let bytes = this.#heldCR ? Buffer.concat([CR_ONLY, chunk]) : chunk;
    this.#heldCR = false;
    if (!this.#ended && bytes[bytes.length - 1] === CR) {
      this.#heldCR = true;
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    if (!bytes.includes(CR)) return bytes;
    const out = Buffer.allocUnsafe(bytes.length);
    let length = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      if (byte === CR) {
        out[length++] = LF;
        if (bytes[i + 1] === LF) i++;
      } else out[length++] = byte;
    }
    return out.subarray(0, length);
  }

  /** Offset just past the first line's end, or -1; never searches a byte twice. */
  #findEnd(): number {
    let offset = 0;
    for (let c = 0; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c] as Buffer;
      let from = Math.max(0, this.#scanned - offset);
      while (from < chunk.length) {
        const at = this.#nextStop(chunk, from);
        if (at < 0) break;
        if (chunk[at] === LF || (this.#stop === CR && !this.#pair)) return offset + at + 1;
        // A "\r" in "" or "\r\n" mode: the byte after it decides.
        const next = at + 1 < chunk.length ? chunk[at + 1] : this.#chunks[c + 1]?.[0];
        if (next === undefined) {
          if (this.#ended && !this.#pair) return offset + at + 1;
          this.#scanned = offset + at; // look at this "\r" again when more arrives
          return -1;
        }
        if (next === LF) return offset + at + 2;
        if (!this.#pair) return offset + at + 1;
        from = at + 1; // "\r\n" mode: a lone "\r" is part of the line
      }
      offset += chunk.length;
    }
    this.#scanned = this.#size;
    return -1;
  }

  /** Where the next byte that may end a line is in `chunk`, from `from`. */
  #nextStop(chunk: Buffer, from: number): number {
    if (this.#stop >= 0) return chunk.indexOf(this.#stop, from);
    // Universal newlines: one pass for either byte (two indexOf calls would each run to
    // the end of the chunk when one of the bytes never comes, for every line).
    for (let i = from; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF || byte === CR) return i;
    }
    return -1;
  }
}
