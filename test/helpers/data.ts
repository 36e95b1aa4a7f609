/** Test data and its fingerprints. */
import { createHash, randomBytes } from "node:crypto";

export function sha256(...parts: readonly Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

export function random(bytes: number): Buffer {
  return randomBytes(bytes);
}
