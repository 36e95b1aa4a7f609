/**
 * The HTTP proxy server's reading of a request, with no I/O: the request line and header
 * fields of a complete head, the absolute URI or CONNECT authority it names, the head
 * rewritten for the origin server, and the framing of a chunked body. Every bad input is
 * a RequestError carrying the status to answer with. Pure.
 */

export class RequestError extends Error {
  override name = "RequestError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The longest request line, and the longest head (request line and fields together). */
export const MAX_REQUEST_LINE = 8 * 1024;
export const MAX_REQUEST_HEAD = 64 * 1024;

/** What the proxy relays; anything else is 405 with this list in Allow. */
export const METHODS = ["CONNECT", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export interface RequestHead {
  method: string;
  target: string;
  /** "HTTP/1.1" as sent. */
  version: string;
  /** Fields in order, names as sent, folded lines joined with one space, values trimmed. */
  fields: [string, string][];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Parses a complete head (through its empty line). */
export function parseRequestHead(head: Uint8Array): RequestHead {
  const lines = Buffer.from(head).toString("latin1").split(/\r?\n/);
  // RFC 9112 2.2: empty lines before the request line are skipped.
  while (lines[0] === "" && lines.length > 1) lines.shift();
  const requestLine = lines[0] ?? "";
  if (requestLine.length > MAX_REQUEST_LINE) throw new RequestError(413, "request line too long");
  const m = /^([^ ]+) +([^ ]+) +(HTTP\/\d\.\d) *$/.exec(requestLine);
  if (!m) throw new RequestError(400, "malformed request line");
  const [, method = "", target = "", version = ""] = m;
  if (!TOKEN.test(method)) throw new RequestError(400, "malformed method");
  if (CONTROL.test(target)) throw new RequestError(400, "control character in the request target");
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line === "") break;
    const last = fields[fields.length - 1];
    if (line.startsWith(" ") || line.startsWith("\t")) {
      // obs-fold: a continuation of the previous field's value.
      if (!last) throw new RequestError(400, "a folded line before any header field");
      last[1] = `${last[1]} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon);
    if (!TOKEN.test(name)) throw new RequestError(400, "malformed header field");
    fields.push([name, line.slice(colon + 1).trim()]);
  }
  for (const [, value] of fields) {
    if (CONTROL.test(value)) throw new RequestError(400, "control character in a header field");
  }
  return { method, target, version, fields };
}

/** Every value of a field, in order (names compared without case). */
export function fieldValues(head: RequestHead, name: string): string[] {
  const lower = name.toLowerCase();
  return head.fields.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

export interface Authority {
  host: string;
  port: number | null;
}

/** host[:port] or [v6][:port]; port null when absent or empty. No user info. */
export function parseAuthority(text: string): Authority {
  if (text === "" || text.includes("@")) throw new RequestError(400, "malformed host");
  let host: string;
  let rest: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new RequestError(400, "malformed IPv6 host");
    host = text.slice(1, close);
    rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw new RequestError(400, "malformed host");
  } else {
    const colon = text.lastIndexOf(":");
    host = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? "" : text.slice(colon);
  }
  if (host === "" || !/^[A-Za-z0-9._:%-]+$/.test(host)) throw new RequestError(400, "malformed host");
  if (rest === "" || rest === ":") return { host, port: null };
  const digits = rest.slice(1);
  const port = /^[0-9]{1,5}$/.test(digits) ? Number(digits) : 0;
  if (port < 1 || port > 65535) throw new RequestError(400, "malformed port");
  return { host, port };
}

export interface AbsoluteUri {
  host: string;
  port: number;
  /** The origin-form target: path and query, "/" when the URI has none. */
  path: string;
  /** Host header value: host, with :port unless 80. */
  hostField: string;
}

/** http://host[:port]/path?query as a proxy is sent it; only the http scheme is relayed. */
export function parseAbsoluteUri(target: string): AbsoluteUri {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/.exec(target);
  if (!m) throw new RequestError(400, "the request target is not an absolute URI");
  if ((m[1] as string).toLowerCase() !== "http")
    throw new RequestError(400, `scheme ${m[1]} is not relayed (http only)`);
  const { host, port } = parseAuthority(m[2] as string);
  const realPort = port ?? 80;
  let path = m[3] as string;
  if (path === "") path = "/";
  else if (path.startsWith("?")) path = `/${path}`;
  const shown = host.includes(":") ? `[${host}]` : host;
  return { host, port: realPort, path, hostField: realPort === 80 ? shown : `${shown}:${realPort}` };
}

/** Fields that concern one connection only (RFC 9110 7.6.1), and the old Proxy-Connection. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
];

export type Framing = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" };

/** How the request's body ends (RFC 9112 6.3); ambiguous framing is refused (smuggling). */
export function bodyFraming(head: RequestHead): Framing {
  const te = fieldValues(head, "Transfer-Encoding");
  const cl = fieldValues(head, "Content-Length");
  if (te.length > 0) {
    if (cl.length > 0) throw new RequestError(400, "both Transfer-Encoding and Content-Length");
    const codings = te
      .join(",")
      .split(",")
      .map((c) => c.trim().toLowerCase());
    if (codings[codings.length - 1] !== "chunked")
      throw new RequestError(400, "a body whose end cannot be found (Transfer-Encoding without chunked last)");
    return { kind: "chunked" };
  }
  if (cl.length === 0) return { kind: "none" };
  const values = new Set(
    cl
      .join(",")
      .split(",")
      .map((v) => v.trim()),
  );
  if (values.size !== 1) throw new RequestError(400, "conflicting Content-Length values");
  const [only = ""] = values;
  if (!/^[0-9]{1,15}$/.test(only)) throw new RequestError(400, "malformed Content-Length");
  return { kind: "length", length: Number(only) };
}

/**
 * The head sent to the origin server: the request line in origin form, hop-by-hop fields
 * and those the Connection fields name removed (all Connection fields combined, as ncat
 * does), Host set to the URI's authority, and "Connection: close" (one request per
 * connection, as ncat). Other repeated fields pass as they came, in order.
 */
export function originHead(head: RequestHead, uri: AbsoluteUri): Buffer {
  const listed = fieldValues(head, "Connection")
    .join(",")
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "");
  for (const t of listed) if (!TOKEN.test(t)) throw new RequestError(400, "malformed Connection field");
  const drop = new Set([...HOP_BY_HOP, ...listed, "host"]);
  const kept = head.fields.filter(([n]) => !drop.has(n.toLowerCase()));
  const lines = [
    `${head.method} ${uri.path} ${head.version}`,
    `Host: ${uri.hostField}`,
    ...kept.map(([n, v]) => `${n}: ${v}`),
    "Connection: close",
  ];
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}

/** The credentials of a Proxy-Authorization field for Basic: true only for an exact match. */
export function basicMatches(head: RequestHead, userPass: string): boolean {
  const values = fieldValues(head, "Proxy-Authorization");
  if (values.length !== 1) return false;
  const m = /^basic +([A-Za-z0-9+/]+={0,2})$/i.exec(values[0] as string);
  if (!m || (m[1] as string).length % 4 !== 0) return false;
  const given = Buffer.from(m[1] as string, "base64");
  // Re-encoding must give the same text: rejects padding tricks and stray bits.
  if (given.toString("base64") !== m[1]) return false;
  const wanted = Buffer.from(userPass, "utf8");
  return given.length === wanted.length && timingSafe(given, wanted);
}

function timingSafe(a: Buffer, b: Buffer): boolean {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** A status line and fields for a refusal; no body, as ncat. */
export function statusReply(status: number, extra: readonly string[] = []): Buffer {
  const reason = REASONS[status] ?? "Error";
  return Buffer.from(`HTTP/1.0 ${status} ${reason}\r\n${extra.map((l) => `${l}\r\n`).join("")}\r\n`, "latin1");
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  405: "Method Not Allowed",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  413: "Request Entity Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The longest chunk-size or trailer line accepted. */
const MAX_CHUNK_LINE = 4096;

/**
 * Finds the end of a chunked body without changing a byte of it: fed what arrived, it
 * says how many of those bytes are still the body, so the proxy relays exactly the body
 * and leaves what follows unread.
 */
export class ChunkedEnd {
  #state: "size" | "data" | "data-crlf" | "trailer" = "size";
  #line = "";
  #left = 0;
  #done = false;

  get done(): boolean {
    return this.#done;
  }

  /** How many bytes of `chunk` belong to the body (all, unless its end is in there). */
  scan(chunk: Uint8Array): number {
    let i = 0;
    while (i < chunk.length && !this.#done) {
      if (this.#state === "data") {
        const take = Math.min(this.#left, chunk.length - i);
        i += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = "data-crlf";
        continue;
      }
      const byte = chunk[i] as number;
      i += 1;
      if (byte !== 0x0a) {
        if (byte !== 0x0d) this.#line += String.fromCharCode(byte);
        if (this.#line.length > MAX_CHUNK_LINE) throw new RequestError(400, "chunk line too long");
        continue;
      }
      const line = this.#line;
      this.#line = "";
      if (this.#state === "data-crlf") {
        if (line !== "") throw new RequestError(400, "malformed chunk end");
        this.#state = "size";
      } else if (this.#state === "size") {
        const m = /^([0-9A-Fa-f]{1,15})[ \t]*(?:;.*)?$/.exec(line);
        if (!m) throw new RequestError(400, "malformed chunk size");
        this.#left = Number.parseInt(m[1] as string, 16);
        this.#state = this.#left === 0 ? "trailer" : "data";
      } else if (line === "") {
        this.#done = true; // the empty line after the last chunk and its trailers
      }
    }
    return i;
  }
}
