/**
 * Bytes in, text out, for showing what a peer sent: UTF-8 decoded across chunk
 * boundaries (a character cut by a chunk boundary comes out whole with the next chunk),
 * and every byte that is not part of valid UTF-8 kept, byte for byte, as a lone surrogate
 * U+DC80-U+DCFF (Python's "surrogateescape"). Valid UTF-8 never decodes to a lone
 * surrogate, so a display can tell each such byte apart and show it exactly
 * (escapeControls shows byte 0x9b as `\x9b`), where a replacement character would hide
 * which bytes came. Pure.
 */

/** A byte `b` that is not valid UTF-8 becomes this code unit plus `b` (0x80-0xff). */
const ESCAPED_BYTE = 0xdc00;

/**
 * What the bytes at `at` are: the length of the valid character there (1-4), 0 if the
 * byte there cannot start one, or -1 if they are a valid start cut off by the end of `bytes`.
 */
function characterAt(bytes: Uint8Array, at: number): number {
  const lead = bytes[at] as number;
  if (lead < 0x80) return 1;
  // Second byte's range per lead byte (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
  let rest: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) rest = 1;
  else if (lead >= 0xe0 && lead <= 0xef) {
    rest = 2;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    rest = 3;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return 0;
  for (let k = 1; k <= rest; k++) {
    if (at + k >= bytes.length) return -1;
    const byte = bytes[at + k] as number;
    if (byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return 0;
  }
  return rest + 1;
}

export class Utf8Decoder {
  /** The start of a character cut off by the end of the last chunk (at most 3 bytes). */
  #held: Buffer = Buffer.alloc(0);

  /** The text of `chunk`; the start of a character cut off at its end waits for the next chunk. */
  write(chunk: Uint8Array): string {
    const input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    return this.#decode(this.#held.length > 0 ? Buffer.concat([this.#held, input]) : input, false);
  }

  /** The end of the stream: a character still cut off is shown as the bytes it is. */
  end(): string {
    return this.#decode(this.#held, true);
  }

  #decode(bytes: Buffer, final: boolean): string {
    let text = "";
    /** Where the run of valid UTF-8 not yet decoded begins. */
    let run = 0;
    let at = 0;
    while (at < bytes.length) {
      const length = characterAt(bytes, at);
      if (length > 0) {
        at += length;
        continue;
      }
      if (length < 0 && !final) break;
      // Not valid here: this one byte is escaped, and decoding starts again at the next.
      text += bytes.toString("utf8", run, at) + String.fromCharCode(ESCAPED_BYTE + (bytes[at] as number));
      at += 1;
      run = at;
    }
    text += bytes.toString("utf8", run, at);
    this.#held = Buffer.from(bytes.subarray(at));
    return text;
  }
}
