/**
 * Which file names a receiver takes, and how any name is shown in a message. Pure.
 *
 * nameProblem implements the rules of the *Names* section of docs/protocol.md that a
 * single name can break on its own; the rules that need the rest of the transfer or the
 * disk (a duplicate, a file where a folder is needed, a symbolic link) belong to the
 * receiver. The name is a Buffer because it came off the wire: it is judged as bytes
 * before anything decodes it, so an invalid byte can never be replaced by U+FFFD and
 * slip through as another name.
 *
 * printableName shows a name, safe or hostile, inside a one-line message: a name is text
 * a stranger chose, so nothing in it may reach the terminal as a control (ESC [ 2 J, an
 * OSC 8 link, a bell, a carriage return that draws over the line) or reorder the line
 * (bidirectional controls), and a 4,096-byte name must not flood it.
 */
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";

/** The longest name a transfer carries, in bytes. */
export const MAX_NAME_BYTES = 4096;
/** The longest part of a name (a file or folder name), in bytes. */
export const MAX_PART_BYTES = 255;
/** What the receiver adds to a file's name while its content is arriving. */
export const PARTIAL_SUFFIX = ".hotline-partial";
/** Hex digits of the name's SHA-256 in a shortened partial name (partialName). */
const PARTIAL_TAG_HEX = 16;
/** How many characters printableName shows before it cuts the name short. */
export const PRINTABLE_MAX_CHARS = 200;

// The bidirectional controls of docs/protocol.md: ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
// C0 controls (NUL included), DEL and the C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
// Characters Windows refuses in a name ('\' is refused everywhere, so it is not here).
const WINDOWS_FORBIDDEN = /[<>:"|?*]/u;
// Device names Windows opens instead of a file, with or without an extension ("nul.txt"),
// in any case. The superscript digits are devices too (COM¹ is a serial port).
const WINDOWS_DEVICES = new Set([
  "CON",
  "PRN",
  "AUX",
  "NUL",
  "CONIN$",
  "CONOUT$",
  ...["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³"].flatMap((d) => [`COM${d}`, `LPT${d}`]),
]);

/** "U+001B": how a character is named in a reason. */
function codePoint(c: string): string {
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Why `name` is not a name a receiver may create, as a short lowercase phrase that reads
 * after the name ("NAME has a '..' part"), or null if it is safe. The Windows-only rules
 * apply when `platform` is "win32".
 */
export function nameProblem(name: Buffer, platform: NodeJS.Platform = process.platform): string | null {
  if (name.length === 0) return "is empty";
  if (name.length > MAX_NAME_BYTES) return `is longer than ${MAX_NAME_BYTES} bytes`;
  // Overlong forms, encoded surrogates, code points past U+10FFFF and cut sequences are all
  // invalid here; checked on the bytes, before any decoding could hide them.
  if (!isUtf8(name)) return "is not valid UTF-8";
  const text = name.toString("utf8");
  if (text.includes("\u0000")) return "holds a NUL (U+0000)";
  const control = CONTROL.exec(text);
  if (control) return `holds a control character (${codePoint(control[0])})`;
  const bidi = BIDI.exec(text);
  if (bidi) return `holds a bidirectional control (${codePoint(bidi[0])})`;
  if (text.startsWith("/")) return "starts with '/'";
  if (text.includes("\\")) return "holds '\\' (a folder separator on Windows)";
  const windows = platform === "win32";
  if (windows) {
    const forbidden = WINDOWS_FORBIDDEN.exec(text);
    if (forbidden) return `holds '${forbidden[0]}', which Windows does not allow in a name`;
  }
  for (const part of text.split("/")) {
    if (part === "") return "has an empty part";
    if (part === "." || part === "..") return `has a '${part}' part`;
    if (Buffer.byteLength(part, "utf8") > MAX_PART_BYTES) return `has a part longer than ${MAX_PART_BYTES} bytes`;
    if (windows) {
      // Windows drops a trailing dot or space, so "a." would open "a".
      if (part.endsWith(".") || part.endsWith(" ")) return "has a part ending in a dot or a space, which Windows drops";
      // The device is named by what comes before the first dot, trailing spaces dropped ("CON .txt").
      const stem = (part.split(".")[0] ?? "").trimEnd().toUpperCase();
      if (WINDOWS_DEVICES.has(stem)) return `is a reserved device name on Windows (${stem})`;
    }
  }
  // Any part: "x.hotline-partial/y" would need a folder where the partial file of "x" goes. On a
  // file system that ignores case (Windows, macOS) "a.HOTLINE-PARTIAL" is the partial of "a".
  const folded = windows || platform === "darwin" ? text.toLowerCase() : text;
  if (folded.split("/").some((part) => part.endsWith(PARTIAL_SUFFIX))) return `has a part ending in ${PARTIAL_SUFFIX}`;
  return null;
}

// What printableName escapes besides invalid bytes: the control characters (Cc), the
// format characters (Cf: the bidirectional controls, including U+061C which the protocol
// does not list, zero-width characters, soft hyphen, BOM, tag characters), the line and
// paragraph separators (Zl, Zp) which would break the line; the quote characters and the
// backslash so a name cannot end the quotes around it or fake an escape.
const ESCAPED = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** The length in bytes of the well-formed UTF-8 sequence at `at`, or 0 if there is none. */
function sequenceLength(bytes: Buffer, at: number): number {
  const lead = bytes[at] ?? 0;
  const need = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : 4;
  if (lead >= 0x80 && (lead < 0xc2 || lead > 0xf4)) return 0;
  if (at + need > bytes.length) return 0;
  // The second byte's range excludes overlong forms (E0, F0), encoded surrogates (ED) and
  // code points past U+10FFFF (F4).
  const second = bytes[at + 1] ?? 0;
  if (need >= 2) {
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (second < low || second > high) return 0;
  }
  for (let i = 2; i < need; i++) {
    const next = bytes[at + i] ?? 0;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return need;
}

/**
 * The name of a file's partial while its content arrives, for the last part of its name: the
 * part and PARTIAL_SUFFIX, or, when that would pass MAX_PART_BYTES (a part of 240 to 255
 * bytes, which the file system holds but not with the suffix), the part's first bytes cut at
 * a character's start, "~", 16 hex digits of the part's SHA-256, and the suffix. Either way
 * the next transfer of the same name finds it, and no sender can send it as a name of its
 * own (a part ending in the suffix is refused).
 */
export function partialName(part: string): string {
  const whole = part + PARTIAL_SUFFIX;
  if (Buffer.byteLength(whole) <= MAX_PART_BYTES) return whole;
  const tag = `~${createHash("sha256").update(part).digest("hex").slice(0, PARTIAL_TAG_HEX)}${PARTIAL_SUFFIX}`;
  const bytes = Buffer.from(part, "utf8");
  let end = MAX_PART_BYTES - tag.length;
  // Not in the middle of a character: back to the start of the one that would be cut.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8") + tag;
}

/**
 * `name` as it may appear in a one-line message. Valid UTF-8 printable characters are shown
 * as they are. A byte that is not part of valid UTF-8 is shown as `\xNN` (two lowercase hex
 * digits: that exact byte); a control, format or separator character as `\u{N}` (its code
 * point in lowercase hex, at least 4 digits: `\u{001b}`, `\u{202e}`); `\`, `"` and `'` as
 * `\\`, `\"`, `\'`. Past PRINTABLE_MAX_CHARS characters of that, the rest is left out and
 * `…(+N bytes)` says how many bytes of the name were not shown.
 */
export function printableName(name: Buffer): string {
  let shown = "";
  let chars = 0;
  let at = 0;
  while (at < name.length) {
    const length = sequenceLength(name, at);
    let piece: string;
    if (length === 0) {
      piece = `\\x${(name[at] ?? 0).toString(16).padStart(2, "0")}`;
    } else {
      const c = name.toString("utf8", at, at + length);
      if (c === "\\" || c === '"' || c === "'") piece = `\\${c}`;
      else if (ESCAPED.test(c)) piece = `\\u{${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}}`;
      else piece = c;
    }
    // An escape is never cut in half: it goes in whole or the name stops before it.
    const pieceChars = [...piece].length;
    if (chars + pieceChars > PRINTABLE_MAX_CHARS) return `${shown}…(+${name.length - at} bytes)`;
    shown += piece;
    chars += pieceChars;
    at += Math.max(length, 1);
  }
  return shown;
}
