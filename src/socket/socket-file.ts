/**
 * makefile(): a socket read and written like a file, line by line.
 *
 * Binary modes ("rb", "wb", "rwb") read and write Buffers; text modes ("r", "w", "rw")
 * strings in an encoding (UTF-8 by default), with Python's newline handling (`newline`,
 * universal newlines by default; framing/newline-buffer.ts). Lines are split on bytes before
 * decoding, so a character split across packets is never broken. Writes go straight to
 * sendall (there is no write buffer, so flush() has nothing to do). Closing the file
 * leaves the socket open.
 */
import { EOL } from "node:os";
import { StringDecoder } from "node:string_decoder";
import { oserror } from "../errors.js";
import { NEWLINES, type Newline, NewlineBuffer } from "../framing/newline-buffer.js";
import type { Socket } from "./socket.js";

export type { Newline } from "../framing/newline-buffer.js";

export interface SocketFileOptions {
  /** Text encoding for text modes; "utf8" by default. */
  encoding?: BufferEncoding;
  /**
   * Python's `newline`, for text modes (binary files ignore it, as Python's). Reading: null (the default) ends lines at "\n",
   * "\r\n" or "\r" and gives each as "\n"; "" ends them at any of the three and keeps
   * them; "\n", "\r" or "\r\n" ends them at that one only. Writing: "\n" goes out as
   * the system's line separator with null, as "\r" or "\r\n" with those, unchanged with
   * "" or "\n".
   */
  newline?: Newline;
}

const CHUNK = 65536;

export class SocketFile {
  readonly mode: string;
  readonly #sock: Socket;
  readonly #binary: boolean;
  readonly #readable: boolean;
  readonly #writable: boolean;
  readonly #encoding: BufferEncoding;
  /** One decoder for every text read, so a character cut by read(size) is finished later. */
  readonly #decoder: StringDecoder;
  readonly #buffer: NewlineBuffer;
  /** What "\n" becomes on the way out (text modes), or null to send it as it is. */
  readonly #writeNewline: string | null;
  #eof = false;
  #closed = false;

  constructor(sock: Socket, mode: string, options: SocketFileOptions) {
    if (!/^(r|w|rw|wr)b?$|^b(r|w|rw)$/.test(mode)) {
      throw new RangeError(`invalid mode ${JSON.stringify(mode)} (only r, w, b allowed)`);
    }
    this.mode = mode;
    this.#sock = sock;
    this.#binary = mode.includes("b");
    this.#readable = mode.includes("r");
    this.#writable = mode.includes("w");
    this.#encoding = options.encoding ?? "utf8";
    this.#decoder = new StringDecoder(this.#encoding);
    // As Python's socket.makefile, a binary file ignores `newline` (it has no text layer).
    const newline = this.#binary ? "\n" : checkNewline(options.newline);
    this.#buffer = new NewlineBuffer(newline);
    const out = this.#binary || newline === "" ? "\n" : (newline ?? EOL);
    this.#writeNewline = out === "\n" ? null : out;
  }

  /** True once close() was called (the socket may still be open), as Python's `file.closed`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** One line with its ending (see `newline`; at most `limit` bytes); empty at end of stream, as in Python. */
  async readline(limit = -1): Promise<string | Buffer> {
    this.#check(this.#readable, "reading");
    const max = limit < 0 ? Number.POSITIVE_INFINITY : limit;
    for (;;) {
      const line = this.#buffer.line(max);
      if (line) return this.#out(line);
      if (this.#eof || max === 0) return this.#out(this.#buffer.takeAll());
      await this.#fill();
    }
  }

  /** `size` bytes, in text mode too (fewer at end of stream), or everything up to end of stream when negative. */
  async read(size = -1): Promise<string | Buffer> {
    this.#check(this.#readable, "reading");
    while (!this.#eof && (size < 0 || this.#buffer.size < size)) await this.#fill();
    return this.#out(size < 0 ? this.#buffer.takeAll() : this.#buffer.take(size));
  }

  /** Writes everything; returns how many bytes (binary) or characters (text) were written. */
  async write(data: string | Uint8Array): Promise<number> {
    this.#check(this.#writable, "writing");
    if (this.#binary === (typeof data === "string")) {
      throw new TypeError(this.#binary ? "a binary file takes bytes, not a string" : "a text file takes a string");
    }
    const text =
      typeof data === "string" && this.#writeNewline !== null ? data.replaceAll("\n", this.#writeNewline) : data;
    const bytes = typeof text === "string" ? Buffer.from(text, this.#encoding) : text;
    await this.#sock.sendall(bytes);
    return data.length;
  }

  /** Nothing is buffered on the way out, so there is nothing to flush. */
  async flush(): Promise<void> {
    this.#check(true, "flushing");
  }

  /** Closes the file, not the socket. */
  close(): void {
    this.#closed = true;
  }

  /** The lines until end of stream. */
  async *[Symbol.asyncIterator](): AsyncGenerator<string | Buffer, void, undefined> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  async #fill(): Promise<void> {
    const chunk = await this.#sock.recv(CHUNK);
    if (chunk) this.#buffer.push(chunk);
    else {
      this.#eof = true;
      this.#buffer.end();
    }
  }

  #out(bytes: Buffer): string | Buffer {
    if (this.#binary) return bytes;
    const text = this.#decoder.write(bytes);
    return this.#eof && this.#buffer.size === 0 ? text + this.#decoder.end() : text;
  }

  #check(allowed: boolean, what: string): void {
    if (this.#closed) throw oserror("EBADF", "I/O on a closed file");
    if (!allowed) throw oserror("EBADF", `file not open for ${what}`);
  }
}

/** Python's rule for a text file's `newline`: null (the default) or one of four strings. */
function checkNewline(newline: unknown): Newline {
  if (newline === undefined) return null;
  if (newline !== null && typeof newline !== "string") {
    throw new TypeError(`makefile() newline must be a string or null, not ${typeof newline}`);
  }
  if (!NEWLINES.includes(newline as Newline)) throw new RangeError(`illegal newline value: ${JSON.stringify(newline)}`);
  return newline as Newline;
}
