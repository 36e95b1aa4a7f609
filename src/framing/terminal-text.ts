/**
 * What a peer's bytes may do to a terminal: nothing but print, in the order they came.
 * Control characters are shown escaped, so a peer cannot clear the screen, set the
 * title or move the cursor; bidirectional controls are shown escaped too, so a peer
 * cannot make text read in another order than it was sent (a right-to-left override
 * shows "photo\u202egnp.exe" as "photoexe.png"). Tabs stay tabs. Pure.
 *
 * How each is shown: ESC as `\e`, CR as `\r`, other C0 controls as `^G` (caret
 * notation), DEL as `\x7f`; a byte that was not valid UTF-8 (a lone surrogate
 * U+DC80-U+DCFF from Utf8Decoder) as `\xNN`, that exact byte; C1 controls and
 * bidirectional controls and the line and paragraph separators, which are characters of
 * two or three bytes, as `\u009b`, `\u202e`, `\u2028`. So `\xNN` always stands for one byte as it came.
 */

// C0 controls but tab and newline; DEL; C1 controls (U+0080-U+009F); the line and paragraph
// separators (U+2028, U+2029: a line break to some viewers, so a forged line); the bidirectional
// controls (ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI); lone surrogates (with
// the u flag a surrogate pair is one character and does not match).
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;

export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (code === 0x1b) return "\\e";
    if (code === 0x0d) return "\\r";
    if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
    if (code === 0x7f) return "\\x7f";
    if (code >= 0xdc80 && code <= 0xdcff) return `\\x${(code - 0xdc00).toString(16).padStart(2, "0")}`;
    return `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
