/** makefile(): line-by-line reading and writing, in text and binary modes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as socket from "../../src/index.js";

test("text mode reads lines whole even when a character is split across sends", async () => {
  const [a, b] = await socket.socketpair();
  const text = Buffer.from("第一行\n第二行 📞\nlast");
  const reader = b.makefile("r");
  const sending = (async () => {
    for (let i = 0; i < text.length; i += 2) await a.sendall(text.subarray(i, i + 2));
    await a.close();
  })();
  assert.equal(await reader.readline(), "第一行\n");
  const rest: string[] = [];
  for await (const line of reader) rest.push(line as string);
  await sending;
  assert.deepEqual(rest, ["第二行 📞\n", "last"]);
  assert.equal(await reader.readline(), "", "empty at end of stream, as in Python");
  await b.close();
});

test("binary mode reads sizes and lines as Buffers; writes go out whole", async () => {
  const [a, b] = await socket.socketpair();
  const writer = a.makefile("wb");
  assert.equal(await writer.write(Buffer.from("0123456789\nabc")), 14);
  await writer.flush();
  await a.close();
  const reader = b.makefile("rb");
  assert.deepEqual(await reader.read(4), Buffer.from("0123"));
  assert.deepEqual(await reader.readline(), Buffer.from("456789\n"));
  assert.deepEqual(await reader.read(), Buffer.from("abc"));
  await b.close();
});

test("modes are checked: writing a read-only file or the wrong type fails", async () => {
  const [a, b] = await socket.socketpair();
  await assert.rejects(a.makefile("r").write("x"), { code: "EBADF" });
  await assert.rejects(a.makefile("w").write(Buffer.from("x")), TypeError);
  assert.throws(() => a.makefile("rt+"), RangeError);
  const file = a.makefile("rw");
  file.close();
  await assert.rejects(file.readline(), { code: "EBADF" });
  await Promise.all([a.close(), b.close()]);
});
