/**
 * What a peer's bytes may do to a terminal: nothing but print. Control characters are
 * shown escaped (ESC as \e, others as \xNN or ^X), so a peer cannot clear the screen, set
 * the title or move the cursor. Tabs stay tabs. Pure.
 */
export function escapeControls(text: string): string {
  // C0 controls but tab and newline, DEL, and C1 controls (U+0080-U+009F).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code === 0x1b) return "\\e";
    if (code === 0x0d) return "\\r";
    if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
    return `\\x${code.toString(16).padStart(2, "0")}`;
  });
}
