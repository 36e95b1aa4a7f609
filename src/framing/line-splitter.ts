/**
 * Bytes in, lines out. Chunks may split anywhere (inside a line, inside a UTF-8
 * character, between "\r" and "\n"); a line comes out only once its "\n" has arrived, and
 * always whole, so decoding a line never splits a character. Pure: no I/O.
 */
const NEWLINE = 0x0a;

export class LineSplitter {
  #chunks: Buffer[] = [];
  #size = 0;
  /** Bytes at the front already searched for a newline without finding one. */
  #scanned = 0;

  /** Bytes held. */
  get size(): number {
    return this.#size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.#size += chunk.length;
  }

  /**
   * The next line including its "\n", or null while none is complete. With a limit, a
   * line longer than that comes out in pieces of `limit` bytes (Python's readline(limit)).
   */
  line(limit = Number.POSITIVE_INFINITY): Buffer | null {
    const end = this.#findNewline();
    if (end >= 0) return this.take(Math.min(end + 1, limit));
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

  /** Everything held. */
  takeAll(): Buffer {
    return this.take(this.#size);
  }

  /** Offset of the first newline from the front, or -1; never searches a byte twice. */
  #findNewline(): number {
    let offset = 0;
    for (const chunk of this.#chunks) {
      const from = Math.max(0, this.#scanned - offset);
      if (from < chunk.length) {
        const at = chunk.indexOf(NEWLINE, from);
        if (at >= 0) return offset + at;
      }
      offset += chunk.length;
    }
    this.#scanned = this.#size;
    return -1;
  }
}
