/**
 * -x: a hex dump of session data that, unlike ncat's, marks each direction: ">" for
 * bytes sent, "<" for bytes received, each with its own running offset. Pure.
 *
 *   > 00000000  68 65 6c 6c 6f 0a                                 |hello.|
 */
export class HexDumper {
  #offset = 0;
  readonly #marker: string;

  constructor(marker: ">" | "<") {
    this.#marker = marker;
  }

  /** The dump lines for the next chunk in this direction, each ending in "\n". */
  push(chunk: Uint8Array): string {
    let text = "";
    for (let at = 0; at < chunk.length; at += 16) {
      const row = chunk.subarray(at, Math.min(at + 16, chunk.length));
      const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0"));
      const left = hex.slice(0, 8).join(" ");
      const right = hex.slice(8).join(" ");
      const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
      const offset = (this.#offset + at).toString(16).padStart(8, "0");
      text += `${this.#marker} ${offset}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|\n`;
    }
    this.#offset += chunk.length;
    return text;
  }
}
