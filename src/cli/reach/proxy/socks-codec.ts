/**
 * The bytes of SOCKS4/4a (the 1990s protocol and its extension for names) and SOCKS5
 * (RFC 1928, with RFC 1929's user name and password), with no I/O: requests encoded,
 * replies decoded into a result or one line saying what went wrong. Pure.
 */
import { isIPv4, isIPv6 } from "node:net";

/** Where the proxy is asked to connect: an address, or a name it resolves itself. */
export interface Target {
  host: string;
  port: number;
}

/** A reply that ends the handshake, turned into the line the user reads. */
export class SocksError extends Error {
  override name = "SocksError";
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, "0")}`;

function port16(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(port);
  return b;
}

function ipv4Bytes(host: string): Buffer {
  return Buffer.from(host.split(".").map(Number));
}

function ipv6Bytes(host: string): Buffer {
  const out = Buffer.alloc(16);
  let text = host.split("%")[0] as string;
  // A trailing dotted quad (::ffff:1.2.3.4) is two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = ipv4Bytes(quad[1] as string);
    text = `${text.slice(0, -(quad[1] as string).length)}${(((a ?? 0) << 8) | (b ?? 0)).toString(16)}:${(((c ?? 0) << 8) | (d ?? 0)).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [...left, ...new Array(8 - left.length - right.length).fill("0"), ...right];
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}

// ---- SOCKS4 / 4a --------------------------------------------------------------------------

/**
 * CONNECT: version 4, command 1, port, IPv4 address, user id, NUL. A name (4a) goes after
 * the user id, with the address 0.0.0.1 saying "look at the name".
 */
export function socks4Request(target: Target, userId: string): Buffer {
  if (isIPv6(target.host))
    throw new SocksError("SOCKS4 cannot carry an IPv6 address (use --proxy-type socks5 or http)");
  const named = !isIPv4(target.host);
  const head = Buffer.concat([
    Buffer.from([4, 1]),
    port16(target.port),
    named ? Buffer.from([0, 0, 0, 1]) : ipv4Bytes(target.host),
  ]);
  const parts = [head, Buffer.from(userId, "utf8"), Buffer.from([0])];
  if (named) parts.push(Buffer.from(target.host, "ascii"), Buffer.from([0]));
  return Buffer.concat(parts);
}

/** The reply is always 8 bytes. */
export const SOCKS4_REPLY_LENGTH = 8;

/** Checks a SOCKS4 reply: returns when the request was granted (0x5a), else throws. */
export function socks4Reply(reply: Uint8Array): void {
  const [version = -1, code = -1] = reply;
  // RFC-less but universal: the reply's version byte is 0 (some proxies echo 4).
  if (version !== 0 && version !== 4) throw new SocksError(`not a SOCKS4 reply (it starts ${hex(version)})`);
  switch (code) {
    case 0x5a:
      return;
    case 0x5b:
      throw new SocksError("request rejected or failed (SOCKS4 reply 0x5b)");
    case 0x5c:
      throw new SocksError("request rejected: the proxy could not reach identd on this host (SOCKS4 reply 0x5c)");
    case 0x5d:
      throw new SocksError("request rejected: identd reports a different user id (SOCKS4 reply 0x5d)");
    default:
      throw new SocksError(`unknown SOCKS4 reply code ${hex(code)}`);
  }
}

// ---- SOCKS5 -------------------------------------------------------------------------------

export const NO_AUTH = 0x00;
export const USER_PASS = 0x02;

/** The greeting: the methods this side can do (no authentication; user/pass if given). */
export function socks5Greeting(withUserPass: boolean): Buffer {
  return withUserPass ? Buffer.from([5, 2, NO_AUTH, USER_PASS]) : Buffer.from([5, 1, NO_AUTH]);
}

/** The proxy's choice of method (2 bytes): NO_AUTH or USER_PASS, or throws. */
export function socks5Method(reply: Uint8Array, offeredUserPass: boolean): number {
  const [version = -1, method = -1] = reply;
  if (version !== 5) throw new SocksError(`not a SOCKS5 proxy (its reply starts ${hex(version)})`);
  if (method === NO_AUTH) return method;
  if (method === USER_PASS && offeredUserPass) return method;
  if (method === 0xff) {
    throw new SocksError(
      offeredUserPass
        ? "the proxy accepts none of the authentication methods offered (none, user/password)"
        : "the proxy wants authentication: give --proxy-auth USER:PASS",
    );
  }
  throw new SocksError(`the proxy chose authentication method ${hex(method)}, which was not offered`);
}

/** RFC 1929: version 1, the user name and the password, each with its length. */
export function socks5UserPass(user: string, pass: string): Buffer {
  const u = Buffer.from(user, "utf8");
  const p = Buffer.from(pass, "utf8");
  if (u.length > 255 || p.length > 255) throw new SocksError("SOCKS5 user names and passwords are at most 255 bytes");
  return Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]);
}

/** RFC 1929's answer (2 bytes): status 0 is success. */
export function socks5UserPassReply(reply: Uint8Array): void {
  const [version = -1, status = -1] = reply;
  if (version !== 1 && version !== 5)
    throw new SocksError(`malformed authentication reply (it starts ${hex(version)})`);
  if (status !== 0)
    throw new SocksError(`authentication failed: user name or password refused (status ${hex(status)})`);
}

/** CONNECT with an IPv4 (1), a name (3) or an IPv6 (4) address. */
export function socks5Connect(target: Target): Buffer {
  let address: Buffer;
  if (isIPv4(target.host)) address = Buffer.concat([Buffer.from([1]), ipv4Bytes(target.host)]);
  else if (isIPv6(target.host)) address = Buffer.concat([Buffer.from([4]), ipv6Bytes(target.host)]);
  else {
    const name = Buffer.from(target.host, "ascii");
    if (name.length > 255) throw new SocksError("SOCKS5 carries names of at most 255 bytes");
    address = Buffer.concat([Buffer.from([3, name.length]), name]);
  }
  return Buffer.concat([Buffer.from([5, 1, 0]), address, port16(target.port)]);
}

const SOCKS5_REPLIES: Record<number, string> = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

/** The first 4 bytes of the reply (VER REP RSV ATYP): succeeds or throws the reason. */
export function socks5ReplyHead(head: Uint8Array): void {
  const [version = -1, code = -1] = head;
  if (version !== 5) throw new SocksError(`not a SOCKS5 reply (it starts ${hex(version)})`);
  if (code === 0) return;
  const why = SOCKS5_REPLIES[code] ?? `unassigned reply code ${hex(code)}`;
  throw new SocksError(`${why} (SOCKS5 reply ${code})`);
}

/**
 * How many bytes of the reply follow its first 5 (VER REP RSV ATYP and one more): the
 * bound address and port. The fifth byte is a name's length, or the address's first.
 */
export function socks5ReplyRest(first5: Uint8Array): number {
  switch (first5[3]) {
    case 1:
      return 4 - 1 + 2;
    case 4:
      return 16 - 1 + 2;
    case 3:
      return (first5[4] ?? 0) + 2;
    default:
      throw new SocksError(`malformed SOCKS5 reply: address type ${hex(first5[3] ?? 0)}`);
  }
}
