/**
 * Names in a chat, pure. Every member gets `userN` when it joins, N counting up from 1
 * and never reused (ncat names members after their descriptor, so a newcomer takes the
 * name of someone who just left); the listener is `user0`. `/nick NAME` picks another:
 * letters, digits, `_`, `.` and `-`, at most MAX_NAME characters, unique regardless of
 * case, and neither `announce` nor `user` and digits (those are handed out).
 */
import { ANNOUNCE } from "./chat-codec.js";

export const MAX_NAME = 24;

/** Why `name` cannot be taken, or null when it can. `taken` says whether a member has it (any case). */
export function nameProblem(name: string, taken: (lowerCase: string) => boolean): string | null {
  if (name === "") return "a name is needed: /nick NAME";
  const length = [...name].length;
  if (length > MAX_NAME) return `a name has at most ${MAX_NAME} characters (that one has ${length})`;
  if (!/^[\p{L}\p{N}_.-]+$/u.test(name)) return "a name holds letters, digits, '_', '.' and '-' only";
  const lower = name.toLowerCase();
  if (lower === ANNOUNCE || /^user[0-9]+$/.test(lower)) return `'${name}' is kept for the room itself`;
  if (taken(lower)) return `'${name}' is taken`;
  return null;
}
