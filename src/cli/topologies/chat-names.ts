/**
 * Names in a chat, pure. Every member gets `userN` when it joins, N counting up from 1
 * and never reused (ncat names members after their descriptor, so a newcomer takes the
 * name of someone who just left); the listener is `user0`. `/nick NAME` picks another:
 * letters, the digits 0-9, and `_`, `.` and `-` inside (not first or last), at most
 * MAX_NAME characters, no letter that is drawn as nothing (Hangul fillers and other default
 * ignorables), Latin letters not mixed with letters of other scripts, and neither
 * `announce` nor `user` and digits (those are handed out), nor like a name a member has.
 *
 * "Like" is by look, not by code point: two names are the same when their lookalike() keys
 * are, so nobody takes `user１` (fullwidth digit), `usеr1` (a Cyrillic е), `ВОВ` (Cyrillic
 * capitals) beside `bob`, or `userl` beside `user1`, and passes for someone else. The key is
 * a small, deliberate approximation of Unicode's confusable skeletons (UTS #39): NFKC (which
 * folds fullwidth and compatibility forms), the Cyrillic and Greek letters that are drawn
 * like Latin ones mapped to those, lower case, the same map again (a capital whose small
 * letter is drawn like a Latin one, `Ӏ` or `Һ`, is caught there), then `1`/`i`/`l`/`|` as
 * one, `0`/`o` as one, `rn` as `m`, and `_`, `.`, `-` left out (`user_1` is `user1`).
 * What the table does not cover, mixed scripts mostly are: `bօb` with an Armenian `օ` is
 * refused as Latin mixed with another script before any key is made.
 */
import { ANNOUNCE } from "./chat-codec.js";

export const MAX_NAME = 24;

/**
 * Cyrillic and Greek letters drawn like Latin ones, and those Latin letters, in step:
 * Cyrillic capitals, Cyrillic small letters, Greek capitals, Greek small letters, then a
 * few more. Capitals map as capitals (Greek `Η` is drawn like `H`, its small `η` is not).
 */
const LOOKS_LATIN = new Map(
  [
    ["АВЕКМНОРСТУХЅІЈԚԜЬ", "abekmhopctyxsijqwb"],
    ["аеорсухѕіјһԁԛԝӏ", "aeopcyxsijhdqwl"],
    ["ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "abezhikmnoptyx"],
    ["ονικρτυχαϳ", "ovikptuxaj"],
    // Latin letters drawn like others: dotless i, script a.
    ["ıɑ", "ia"],
  ].flatMap(([from, to]) => [...(from as string)].map((c, i) => [c, (to as string)[i] as string] as const)),
);

/** The key under which names that look alike are one name (see the header). */
export function lookalike(name: string): string {
  const latin = (text: string): string => [...text].map((c) => LOOKS_LATIN.get(c) ?? c).join("");
  return latin(latin(name.normalize("NFKC")).toLowerCase())
    .replace(/[1il|]/g, "l")
    .replace(/[0o]/g, "o")
    .replace(/rn/g, "m")
    .replace(/[._-]/g, "");
}

const ROOM_NAMES = [new RegExp(`^${lookalike(ANNOUNCE)}$`), /^user[lo2-9]+$/];

/** Why `name` cannot be taken, or null when it can. `taken` says whether a member has a name with this lookalike() key. */
export function nameProblem(name: string, taken: (key: string) => boolean): string | null {
  if (name === "") return "a name is needed: /nick NAME";
  const length = [...name].length;
  if (length > MAX_NAME) return `a name has at most ${MAX_NAME} characters (that one has ${length})`;
  if (!/^[\p{L}0-9_.-]+$/u.test(name)) return "a name holds letters, the digits 0-9, '_', '.' and '-' only";
  if (/^[_.-]|[_.-]$/.test(name)) return "a name does not start or end with '_', '.' or '-'";
  if (/\p{Default_Ignorable_Code_Point}/u.test(name)) return "a name holds no letter that is drawn as nothing";
  if (/\p{Script=Latin}/u.test(name) && /(?![\p{Script=Latin}])\p{L}/u.test(name))
    return "a name does not mix Latin letters with letters of other scripts (it could pass for another)";
  const key = lookalike(name);
  if (ROOM_NAMES.some((kept) => kept.test(key))) return `'${name}' is kept for the room itself`;
  if (taken(key)) return `'${name}' is taken, or looks like a name that is`;
  return null;
}
