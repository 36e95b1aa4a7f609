/**
 * Reading a proxy's reply from a real socket pair without taking a byte more: whatever
 * follows the reply in the same write (the target speaking at once) is still there for
 * the call, at every split of the reply into writes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { HeadTooLong, readExactly, readHead } from "../../src/cli/reach/proxy/wire.js";
import { socketpair } from "../../src/index.js";

test("readHead takes the head and leaves what follows, at every split point", async () => {
  const head = Buffer.from("HTTP/1.0 200 OK\r\nVia: x\r\n\r\n");
  const all = Buffer.concat([head, Buffer.from("SSH-2.0-early\r\n")]);
  for (let cut = 1; cut < all.length; cut++) {
    const [a, b] = await socketpair();
    try {
      await a.sendall(all.subarray(0, cut));
      const reading = readHead(b, 1024);
      await a.sendall(all.subarray(cut));
      a.shutdown(1);
      assert.deepEqual(await reading, head, `split at ${cut}`);
      const rest: Buffer[] = [];
      for (let d = await b.recv(100); d; d = await b.recv(100)) rest.push(d);
      assert.equal(Buffer.concat(rest).toString(), "SSH-2.0-early\r\n", `split at ${cut}`);
    } finally {
      await a.close();
      await b.close();
    }
  }
});

test("readHead refuses a head over its limit, and readExactly a short reply", async () => {
  const [a, b] = await socketpair();
  try {
    await a.sendall(Buffer.alloc(3000, 0x41));
    await assert.rejects(readHead(b, 2048), HeadTooLong);
  } finally {
    await a.close();
    await b.close();
  }
  const [c, d] = await socketpair();
  try {
    await c.sendall(Buffer.from([0, 0x5a, 0]));
    c.shutdown(1);
    await assert.rejects(
      readExactly(d, 8, "SOCKS4 reply"),
      /closed the connection after 3 of the 8 bytes of its SOCKS4 reply/,
    );
  } finally {
    await c.close();
    await d.close();
  }
});
