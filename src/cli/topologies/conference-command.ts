/**
 * How a line you type to a conference is read as a command, the one reading shared by
 * the -k talk switchboard (endpoints/terminal.ts) and the chat room (chat-room.ts). Pure.
 *
 * - A line starting with `/` is a command; `//text` is not (it says `/text`).
 * - A command is its word (up to the first blank) and the rest (after that blank).
 * - `/msg TO text`: TO is the first word of the rest (blanks before it skipped), the text
 *   everything after the one blank that ends TO, kept as it is.
 *
 * What each command does stays with each: the switchboard's /msg takes a caller's number
 * and needs text, the room's takes a name or a number; /to is the switchboard's, /nick
 * the room's.
 */

/** Whether `line` is a command rather than words to say. */
export function isCommand(line: string): boolean {
  return line.startsWith("/") && !line.startsWith("//");
}

/** "/msg bob hi there" to ["/msg", "bob hi there"]: split at the first blank, which is dropped. */
export function splitFirst(text: string): [string, string] {
  const space = text.search(/\s/);
  return space < 0 ? [text, ""] : [text.slice(0, space), text.slice(space + 1)];
}

/** /msg's rest to whom and what: " bob hi there" to bob and "hi there"; text null when nothing, not even a blank, follows TO. */
export function msgArgs(rest: string): { to: string; text: string | null } {
  const start = rest.trimStart();
  const space = start.search(/\s/);
  return space < 0 ? { to: start, text: null } : { to: start.slice(0, space), text: start.slice(space + 1) };
}
