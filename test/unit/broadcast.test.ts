/** The -k fan-out's stdin: one read per chunk, every member gets it, nobody holds up the rest. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Broadcast } from "../../src/cli/topologies/broadcast.js";

/** A source that counts its reads and reuses one buffer, as stdin does. */
function source(chunks: string[]): { iterable: AsyncIterable<Buffer>; reads: () => number } {
  let reads = 0;
  const buffer = Buffer.alloc(64);
  return {
    reads: () => reads,
    iterable: {
      async *[Symbol.asyncIterator]() {
        for (const text of chunks) {
          reads += 1;
          const n = buffer.write(text);
          yield buffer.subarray(0, n);
        }
      },
    },
  };
}

async function take(it: AsyncIterator<Buffer>): Promise<string | null> {
  const r = await it.next();
  return r.done ? null : r.value.toString();
}

test("every member gets every chunk, and each is read once", async () => {
  const src = source(["a", "b", "c"]);
  const b = new Broadcast(src.iterable);
  const one = b.join()[Symbol.asyncIterator]();
  const two = b.join()[Symbol.asyncIterator]();
  for (const want of ["a", "b", "c"]) {
    const [x, y] = await Promise.all([take(one), take(two)]);
    assert.deepEqual([x, y], [want, want]);
  }
  assert.deepEqual(await Promise.all([take(one), take(two)]), [null, null]);
  assert.equal(src.reads(), 3);
});

test("nothing is read while nobody is on the line", async () => {
  const src = source(["a"]);
  const b = new Broadcast(src.iterable);
  await Promise.resolve();
  assert.equal(src.reads(), 0);
  const one = b.join()[Symbol.asyncIterator]();
  assert.equal(await take(one), "a");
});

test("the next chunk waits until every holder is done with the last (the buffer is reused)", async () => {
  const src = source(["a", "b"]);
  const b = new Broadcast(src.iterable);
  const fast = b.join()[Symbol.asyncIterator]();
  const slow = b.join()[Symbol.asyncIterator]();
  assert.equal(await take(fast), "a");
  const held = await slow.next(); // slow holds "a"
  let fastGot: string | null | undefined;
  const pending = take(fast).then((v) => {
    fastGot = v;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(fastGot, undefined, "no new read while slow still holds a chunk");
  assert.equal((held.value as Buffer).toString(), "a", "slow's chunk is intact");
  assert.equal(await take(slow), "b");
  await pending;
  assert.equal(fastGot, "b");
});

test("a member that leaves while holding a chunk never holds the others up; a late one gets what follows", async () => {
  const src = source(["a", "b", "c"]);
  const b = new Broadcast(src.iterable);
  const stays = b.join()[Symbol.asyncIterator]();
  const leaves = b.join();
  assert.equal(await take(leaves[Symbol.asyncIterator]()), "a");
  assert.equal(await take(stays), "a");
  leaves.leave();
  assert.equal(await take(stays), "b");
  const late = b.join()[Symbol.asyncIterator]();
  const [x, y] = await Promise.all([take(stays), take(late)]);
  assert.deepEqual([x, y], ["c", "c"]);
});

test("end() ends every member's input (the drain at an interrupt)", async () => {
  const b = new Broadcast(source(["a", "b"]).iterable);
  const one = b.join()[Symbol.asyncIterator]();
  assert.equal(await take(one), "a");
  b.end();
  assert.equal(await take(one), null);
});

test("a chunk read just as the last member left goes to the next one (--serial and -k lost it)", async () => {
  const src = source(["a", "b"]);
  const b = new Broadcast(src.iterable);
  const first = b.join();
  const it = first[Symbol.asyncIterator]();
  assert.equal(await take(it), "a");
  const orphan = it.next(); // the call ends while this read is pending
  first.leave();
  assert.equal((await orphan).done, true);
  const next = b.join()[Symbol.asyncIterator]();
  assert.equal(await take(next), "b");
  assert.equal(await take(next), null);
});
