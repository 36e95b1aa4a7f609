/**
 * Python's input() for the examples: print a prompt, read one line of stdin. Returns null
 * at end of input, where Python would raise EOFError. Lines are queued by an async
 * iterator, so input piped in all at once is never lost between prompts.
 */
import { createInterface } from "node:readline";

const reader = createInterface({ input: process.stdin, terminal: false });
const lines = reader[Symbol.asyncIterator]();

export async function input(prompt: string): Promise<string | null> {
  process.stdout.write(prompt);
  const next = await lines.next();
  return next.done ? null : next.value;
}

/** Stops reading stdin, so the program can end. */
export function closeInput(): void {
  reader.close();
}
