/**
 * SHA-256 of a file's first bytes, read in large blocks: what a receiver offers for the
 * part of a file it holds, and what a sender checks that offer against. The Hash is
 * returned undigested, so the receiver can go on feeding it the rest of the content.
 */
import { createHash, type Hash } from "node:crypto";
import { open } from "node:fs/promises";

const BLOCK = 1024 * 1024;

/** The hash of the first `length` bytes of `path`; fewer if the file is shorter (the caller compares sizes). */
export async function hashFile(path: string, length: number): Promise<Hash> {
  const hash = createHash("sha256");
  const fh = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(Math.min(BLOCK, Math.max(1, length)));
    let position = 0;
    while (position < length) {
      const { bytesRead } = await fh.read(buffer, 0, Math.min(buffer.length, length - position), position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    return hash;
  } finally {
    await fh.close();
  }
}
