/**
 * Reading a proxy's reply from a library Socket without taking one byte more: the target
 * may speak at once, in the same read as the reply, and those bytes belong to the call
 * (and, for --ssl through a proxy, to TLS). Fixed-size replies are read exactly
 * (MSG_WAITALL); an HTTP head is found by peeking (MSG_PEEK), then only it is taken.
 */
import { MSG_PEEK, MSG_WAITALL, type Socket } from "../../../index.js";
import { headEnd } from "./http-codec.js";

/** The proxy ended the connection (or broke a rule of framing) during the handshake. */
export class HandshakeError extends Error {
  override name = "HandshakeError";
}

/** A head longer than the limit given to readHead. */
export class HeadTooLong extends HandshakeError {
  override name = "HeadTooLong";
}

/** Exactly `n` bytes, or a HandshakeError when the proxy hangs up first. */
export async function readExactly(sock: Socket, n: number, what: string): Promise<Buffer> {
  const got = (await sock.recv(n, MSG_WAITALL)) ?? Buffer.alloc(0);
  if (got.length < n) {
    throw new HandshakeError(`the proxy closed the connection after ${got.length} of the ${n} bytes of its ${what}`);
  }
  return got;
}

/** An HTTP reply head through its empty line, and not a byte of what follows it. */
export async function readHead(sock: Socket, limit: number): Promise<Buffer> {
  let head = Buffer.alloc(0);
  for (;;) {
    const peeked = await sock.recv(65536, MSG_PEEK);
    if (!peeked || peeked.length === 0) {
      throw new HandshakeError(
        head.length === 0
          ? "the proxy closed the connection without a reply"
          : "the proxy closed the connection in its reply",
      );
    }
    const seen = Buffer.concat([head, peeked]);
    const end = headEnd(seen, head.length - 3);
    const take = end < 0 ? peeked.length : end - head.length;
    if (head.length + take > limit) throw new HeadTooLong(`the reply head is longer than ${limit} bytes`);
    // Bytes peeked are queued in the socket: this read takes them at once.
    head = Buffer.concat([head, await readExactly(sock, take, "reply")]);
    if (end >= 0) return head;
  }
}
