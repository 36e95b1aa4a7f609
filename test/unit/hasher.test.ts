/**
 * The content hash off the main thread (hasher.ts): the same digest as node:crypto for every
 * way bytes can arrive (tiny pieces, pieces across the worker's 1 MiB blocks, more than its
 * pool holds at once, nothing at all), several streams at once, and a process that still
 * ends by itself afterwards. The worker is used whatever the number of cores here.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { inlineHash, offThreadHash } from "../../src/cli/commands/transfer/hasher.js";
import { Child } from "../helpers/child.js";
import { random } from "../helpers/data.js";

const MiB = 1024 * 1024;

/** Feeds `data` in pieces of the given sizes (cycled), waiting whenever update() asks to. */
async function feed(hash: ReturnType<typeof offThreadHash>, data: Buffer, sizes: number[]): Promise<Buffer> {
  let i = 0;
  for (let at = 0; at < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length] as number, data.length - at);
    // A copy that is then overwritten: update() must have taken the bytes by the time it
    // returns, or its promise settles.
    const piece = Buffer.from(data.subarray(at, at + n));
    const waiting = hash.update(piece);
    if (waiting) await waiting;
    piece.fill(0);
    at += n;
  }
  return hash.digest();
}

test("off the main thread: the digest node:crypto gives, however the bytes are cut", async () => {
  const data = random(9 * MiB + 123); // more than the pool of 4 blocks, and not a whole block
  const expected = createHash("sha256").update(data).digest();
  for (const sizes of [[1, 7, 65536], [MiB], [MiB - 1, 2], [3 * MiB], [9 * MiB + 123]]) {
    assert.deepEqual(await feed(offThreadHash(), data, sizes), expected, `pieces of ${sizes.join(", ")}`);
  }
  assert.deepEqual(await offThreadHash().digest(), createHash("sha256").digest(), "nothing at all");
  assert.deepEqual(await feed(inlineHash(), data, [65536]), expected, "inline");
});

test("several streams at once keep their own state", async () => {
  const inputs = [random(3 * MiB), random(5 * MiB + 1), random(10)];
  const digests = await Promise.all(inputs.map((data) => feed(offThreadHash(), data, [256 * 1024 + 3])));
  digests.forEach((digest, i) => {
    assert.deepEqual(
      digest,
      createHash("sha256")
        .update(inputs[i] as Buffer)
        .digest(),
    );
  });
});

test("a process that used the worker ends by itself, and one waiting on it does not end early", async () => {
  // The module's ref counting on its own: a script that awaits a digest prints it (the worker
  // kept the process alive while it worked) and then exits (an idle worker does not keep it).
  const code = `
    const { offThreadHash } = await import(${JSON.stringify(new URL("../../src/cli/commands/transfer/hasher.js", import.meta.url).href)});
    const h = offThreadHash();
    await h.update(Buffer.alloc(5 * 1024 * 1024, 1));
    console.log((await h.digest()).toString("hex"));
  `;
  const child = new Child(process.execPath, ["--input-type=module", "-e", code], { lifetimeMs: 15_000 });
  const done = await child.done(14_000);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(
    done.stdout.toString().trim(),
    createHash("sha256")
      .update(Buffer.alloc(5 * MiB, 1))
      .digest("hex"),
  );
});
