/**
 * Bytes in, lines out. Chunks may split anywhere (inside a line, inside a UTF-8
 * character, between "\r" and "\n"); a line comes out only once its "\n" has arrived, and
 * always whole, so decoding a line never splits a character. It is makefile()'s line
 * buffer with Python's binary rule (a line ends at "\n"; newline-buffer.ts has the others).
 * Pure: no I/O.
 */
import { NewlineBuffer } from "./newline-buffer.js";

export class LineSplitter extends NewlineBuffer {
  constructor() {
    super("\n");
  }
}
