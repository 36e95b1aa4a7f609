/**
 * -C: line endings to CRLF on the way out. A "\n" not already preceded by "\r" becomes
 * "\r\n", including when the "\r" came at the end of the previous chunk. Pure.
 */
const CR = 0x0d;
const LF = 0x0a;

export class CrlfEncoder {
  #lastWasCr = false;

  push(chunk: Uint8Array): Buffer {
    const input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const previousCr = this.#lastWasCr;
    const bareAt = (i: number): boolean => input[i] === LF && !(i === 0 ? previousCr : input[i - 1] === CR);
    if (input.length > 0) this.#lastWasCr = input[input.length - 1] === CR;
    let bare = 0;
    for (let i = 0; i < input.length; i++) if (bareAt(i)) bare += 1;
    if (bare === 0) return input;
    const out = Buffer.allocUnsafe(input.length + bare);
    let o = 0;
    for (let i = 0; i < input.length; i++) {
      if (bareAt(i)) out[o++] = CR;
      out[o++] = input[i] as number;
    }
    return out;
  }
}
