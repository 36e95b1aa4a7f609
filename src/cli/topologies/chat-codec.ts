/**
 * The chat's wire format, pure: bytes from one sender in, whole lines of safe text out;
 * a line with its sender's name in, the bytes every member reads out; and back again.
 *
 * - Per line, never per read: a line split over many reads comes out once, whole, and a
 *   read holding several lines gives several. So `hi\n<user9> I am someone else` is two
 *   lines, both from their real sender (ncat names each read: the second line forged).
 * - UTF-8 passes whole, split at any byte (lines are cut at the newline byte, which is
 *   never inside a character, and each line decoded whole); bytes that are not UTF-8 are
 *   shown as `\xNN`; control characters and escape sequences are shown escaped
 *   (escapeControls), never executed on anyone's terminal; one CR before the newline
 *   (a CRLF sender) is dropped.
 * - A line longer than MAX_LINE_BYTES is cut there, on a character boundary, with
 *   CUT_MARKER, and the rest of it up to its newline is dropped: nothing is held unbounded.
 *
 * On the wire every line starts with exactly one of `<NAME> ` (said to everyone),
 * `*NAME* ` (said to you only) or `<announce> ` (the room's own news); names cannot
 * hold `<`, `>`, `*` or spaces (chat-names.ts), so no member can make a line start as
 * anyone else's.
 */
import { escapeControls, Utf8Decoder } from "../../index.js";

/** The longest line a member may send, in bytes; longer ones are cut. */
export const MAX_LINE_BYTES = 4096;

/** What ends a line that was cut. */
export const CUT_MARKER = " [cut: line over 4096 bytes]";

/** The name the room's own news goes out under. */
export const ANNOUNCE = "announce";

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Bytes of one line (no newline) as the text every member may safely read. */
export function showLine(bytes: Uint8Array): string {
  const decoder = new Utf8Decoder();
  const text = decoder.write(bytes) + decoder.end();
  return escapeControls(text.endsWith("\r") ? text.slice(0, -1) : text);
}

/** One sender's bytes to whole lines: push() each read, end() at the end of stream. */
export class ChatLineDecoder {
  readonly #max: number;
  /** The line so far (copies: a read's memory is reused). */
  #parts: Buffer[] = [];
  #size = 0;
  /** A cut line's rest is being dropped, up to its newline. */
  #dropping = false;

  constructor(max = MAX_LINE_BYTES) {
    this.#max = max;
  }

  /** Bytes held for a line not yet ended (at most the bound, and a CR). */
  get held(): number {
    return this.#size;
  }

  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    let at = 0;
    while (at < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, at);
      const end = nl < 0 ? chunk.length : nl;
      this.#add(chunk.subarray(at, end), lines);
      if (nl < 0) break;
      if (this.#dropping) this.#dropping = false;
      else lines.push(this.#line());
      at = nl + 1;
    }
    return lines;
  }

  /** The end of stream: a last line without its newline is still a line. */
  end(): string[] {
    const last = !this.#dropping && this.#size > 0 ? [this.#line()] : [];
    this.#dropping = false;
    this.#parts = [];
    this.#size = 0;
    return last;
  }

  /**
   * Adds a piece of the current line; past the bound the line is cut and the rest dropped.
   * One byte more than the bound is held, for the CR of a line that ends in CRLF (the CR is
   * dropped, so it does not count); whether it was one is known at the newline (#line).
   */
  #add(piece: Uint8Array, lines: string[]): void {
    if (this.#dropping || piece.length === 0) return;
    const room = this.#max + 1 - this.#size;
    if (piece.length <= room) {
      this.#parts.push(Buffer.from(piece));
      this.#size += piece.length;
      return;
    }
    this.#parts.push(Buffer.from(piece.subarray(0, room)));
    this.#dropping = true;
    lines.push(this.#cut(this.#take()));
  }

  #line(): string {
    const bytes = this.#take();
    if (bytes.length > this.#max && bytes[bytes.length - 1] !== CR) return this.#cut(bytes);
    return showLine(bytes);
  }

  /** The line held so far, and nothing held any more. */
  #take(): Buffer {
    const bytes = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts);
    this.#parts = [];
    this.#size = 0;
    return bytes;
  }

  /** A line over the bound: its first bytes, and the marker. */
  #cut(bytes: Buffer): string {
    // A character cut by the bound is left out whole (the decoder holds it back), not shown as bytes.
    const text = new Utf8Decoder().write(bytes.subarray(0, this.#max));
    return escapeControls(text) + CUT_MARKER;
  }
}

/** How a line reached you. */
export type ChatKind = "said" | "private" | "announce";

export interface ChatLine {
  kind: ChatKind;
  /** The sender's name; ANNOUNCE for the room's news. */
  from: string;
  /** Safe text (showLine's). */
  text: string;
}

/** A line as members read it, newline included. */
export function encodeLine(line: ChatLine): Buffer {
  return Buffer.from(wireText(line), "utf8");
}

/** Lines as members read them, one after another in one Buffer (one object to queue, not one per line). */
export function encodeLines(lines: readonly ChatLine[]): Buffer {
  return lines.length === 1 ? encodeLine(lines[0] as ChatLine) : Buffer.from(lines.map(wireText).join(""), "utf8");
}

function wireText(line: ChatLine): string {
  const head =
    line.kind === "announce" ? `<${ANNOUNCE}>` : line.kind === "private" ? `*${line.from}*` : `<${line.from}>`;
  return `${head} ${line.text}\n`;
}

/** A line as members read it (without its newline) back to who said what; null if it is not one. */
export function parseLine(text: string): ChatLine | null {
  const match = /^(?:<([^<>*\s]+)>|\*([^<>*\s]+)\*) (.*)$/su.exec(text);
  if (!match) return null;
  const [, said, whispered, body = ""] = match;
  if (said === ANNOUNCE) return { kind: "announce", from: ANNOUNCE, text: body };
  if (said !== undefined) return { kind: "said", from: said, text: body };
  return { kind: "private", from: whispered as string, text: body };
}
