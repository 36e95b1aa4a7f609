/**
 * The bytes of an HTTP CONNECT exchange, with no I/O: the request a client sends, where
 * the proxy's reply head ends, and what the head says. Pure, so every split of a reply
 * can be tested.
 */

/** A proxy's reply head longer than this is refused: a CONNECT reply is a few lines. */
export const MAX_REPLY_HEAD = 64 * 1024;

/** The reply head could not be read as HTTP. */
export class ReplyError extends Error {
  override name = "ReplyError";
}

/** host:port as a request target; IPv6 addresses in brackets. */
export function authority(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** "CONNECT host:port HTTP/1.0", with a Proxy-Authorization line when one is given. */
export function connectRequest(target: string, authorization: string | null = null): Buffer {
  const auth = authorization === null ? "" : `Proxy-Authorization: ${authorization}\r\n`;
  return Buffer.from(`CONNECT ${target} HTTP/1.0\r\n${auth}\r\n`, "latin1");
}

/**
 * Where a head ends in `buf`: the index just past its empty line ("\r\n\r\n" or "\n\n",
 * as lenient peers send either), or -1 when it is not all there yet. `from` lets a
 * caller that already searched a prefix skip it (it should back off by 3 bytes).
 */
export function headEnd(buf: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

export interface ReplyHead {
  status: number;
  /** The status line as the proxy sent it, without its line end. */
  statusLine: string;
  /** Header fields in order, names as sent; folded lines joined with a space. */
  headers: [string, string][];
}

/** The status and headers of a complete reply head (as headEnd found it). */
export function parseReplyHead(head: Uint8Array): ReplyHead {
  const lines = Buffer.from(head).toString("latin1").split(/\r?\n/);
  const statusLine = lines[0] ?? "";
  const m = /^HTTP\/\d+(?:\.\d+)? +(\d{3})(?: .*)?$/.exec(statusLine);
  if (!m) throw new ReplyError(`not an HTTP reply: "${printable(statusLine)}"`);
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line === "") break;
    const last = headers[headers.length - 1];
    if ((line.startsWith(" ") || line.startsWith("\t")) && last) {
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new ReplyError(`malformed header line in the proxy's reply: "${printable(line)}"`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { status: Number(m[1]), statusLine, headers };
}

/** Every value of a header, in order (names compared without case). */
export function headerValues(head: ReplyHead, name: string): string[] {
  const lower = name.toLowerCase();
  return head.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** A peer's text made safe for one line on a terminal, and short. */
export function printable(text: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return safe.length > max ? `${safe.slice(0, max)}...` : safe;
}
