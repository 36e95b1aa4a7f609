/**
 * close() with SO_LINGER 0 ends the connection at once on every stream transport: a
 * reset for TCP, a plain close for Unix sockets, which have no reset (Node throws for
 * them, and the socket used to stay open, so the peer never saw the end).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as socket from "../../src/index.js";
import { pair, TRANSPORTS } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const LINGER_ZERO = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

for (const t of TRANSPORTS) {
  test(`${t.name}: close() with SO_LINGER 0 ends the connection at once (Unix sockets stayed open)`, async () => {
    const [a, b] = await pair(t);
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ZERO);
    await a.close();
    // TCP sees a reset, Unix an end of stream; either way the peer's read ends now.
    const outcome = await within(
      b.recv(10).then(
        (data) => (data === null ? "end" : "data"),
        (err: { code?: string }) => err.code,
      ),
      5000,
      "the peer to see the connection end",
    );
    assert.ok(outcome === "end" || outcome === "ECONNRESET", String(outcome));
    await b.close();
  });
}
