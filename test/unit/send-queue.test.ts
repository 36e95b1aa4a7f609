/**
 * A broker caller's queue on its own, with a send function the test completes by hand: order
 * kept while small chunks are joined, several writes in flight up to the window, what a
 * chunk costs (CHUNK_COST beyond its bytes), the hard limit at once, the soft limit after its
 * time (and not when the queue falls back under it), the pacing callback, drained().
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CHUNK_COST, SEND_CHUNK, SEND_WINDOW, SendQueue } from "../../src/cli/topologies/send-queue.js";
import { eventually, within } from "../helpers/within.js";

/** A send that waits for the test to let each write finish (in order, as a socket's do). */
function hand(): {
  sent: Buffer[];
  finish: () => void;
  fail: () => void;
  inFlight: () => number;
  send: (chunk: Buffer) => Promise<void>;
} {
  const sent: Buffer[] = [];
  const waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  return {
    sent,
    finish: () => waiting.shift()?.resolve(),
    fail: () => waiting.shift()?.reject(new Error("EPIPE")),
    inFlight: () => waiting.length,
    send: (chunk) => {
      sent.push(Buffer.from(chunk));
      return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("small chunks are joined up to SEND_CHUNK, in order, and nothing is lost", async () => {
  const h = hand();
  const q = new SendQueue(h.send, { hard: 20 * SEND_CHUNK, soft: null, softMs: 0 }, () => assert.fail("cut"));
  const parts = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i};`.padEnd(64, "."))); // 192,000 bytes
  for (const part of parts) q.push(part);
  assert.equal(q.queued, 192_000 + 3000 * CHUNK_COST, "each chunk counts its bytes and what holding it costs");
  while (q.queued > 0) {
    h.finish();
    await tick();
  }
  assert.equal(Buffer.concat(h.sent).toString(), Buffer.concat(parts).toString());
  assert.ok(h.sent.every((w) => w.length <= SEND_CHUNK));
  assert.ok(h.sent.length <= 5, `${h.sent.length} writes for 3000 messages`);
  await within(q.drained(), 1000, "drained");
});

test("over the hard limit: cut at once, with the reason, and nothing more is taken", () => {
  const h = hand();
  const cuts: string[] = [];
  const q = new SendQueue(h.send, { hard: 4096, soft: null, softMs: 0 }, (why) => cuts.push(why));
  assert.equal(q.push(Buffer.alloc(3000)), true);
  assert.equal(q.push(Buffer.alloc(1000)), false);
  assert.deepEqual(cuts, ["4 KiB queued (reader too slow)"]);
  assert.equal(q.closed, true);
  assert.equal(q.push(Buffer.alloc(1)), false);
  assert.equal(cuts.length, 1);
});

test("over the soft limit for its time: cut then, with the reason", async () => {
  const h = hand();
  const cuts: string[] = [];
  const q = new SendQueue(h.send, { hard: 1 << 20, soft: 2000, softMs: 50 }, (why) => cuts.push(why));
  const over = performance.now();
  q.push(Buffer.alloc(800));
  await tick(); // taken by the first write, still counted until it finishes
  q.push(Buffer.alloc(800)); // 2 x (800 + CHUNK_COST) queued: over the soft limit
  await eventually(() => (cuts.length > 0 ? true : undefined), 2000, "the soft cut");
  // Node's timers keep whole milliseconds, and may fire a little before performance.now() says.
  assert.ok(performance.now() - over >= 40, "not before its time");
  assert.deepEqual(cuts, ["over 2000 bytes queued for 50 ms (reader too slow)"]);
});

test("back under the soft limit: its clock stops (a queue that dips under it is not cut)", async () => {
  const h = hand();
  const cuts: string[] = [];
  const q = new SendQueue(h.send, { hard: 1 << 20, soft: 2000, softMs: 30_000 }, (why) => cuts.push(why));
  q.push(Buffer.alloc(800));
  await tick();
  q.push(Buffer.alloc(800)); // over: the 30 s clock runs
  assert.equal(q.softClockRunning, true);
  h.finish(); // one chunk queued: under again, the clock is stopped
  await tick();
  assert.equal(q.softClockRunning, false);
  h.finish();
  await tick();
  await within(q.drained(), 1000, "drained");
  assert.deepEqual(cuts, []);
  assert.equal(q.softClockRunning, false);
});

test("onBelow wakes the pacer when the queue falls under the mark; close() settles drained()", async () => {
  const h = hand();
  let woken = 0;
  const q = new SendQueue(h.send, { hard: 1 << 20, soft: null, softMs: 0 }, () => {});
  q.onBelow(1000, () => {
    woken += 1;
  });
  q.push(Buffer.alloc(150));
  q.push(Buffer.alloc(SEND_CHUNK)); // not joined to the first: over SEND_CHUNK together
  await tick(); // the first written; the second waits for it (one write at a time)
  h.finish();
  await tick();
  assert.equal(woken, 0, `${q.queued} queued is still over the mark`);
  h.finish();
  await tick();
  assert.equal(woken, 1);
  q.push(Buffer.alloc(10));
  const drained = q.drained();
  q.close();
  await within(drained, 1000, "drained after close");
});

test("one write in flight at a time by default; what came meanwhile goes out joined in the next", async () => {
  const h = hand();
  const q = new SendQueue(h.send, { hard: 1 << 24, soft: null, softMs: 0 }, () => assert.fail("cut"));
  q.push(Buffer.from("a"));
  assert.equal(h.inFlight(), 1, "written at once, not a turn later");
  q.push(Buffer.from("b"));
  q.push(Buffer.from("c"));
  await tick();
  assert.equal(h.inFlight(), 1, "the rest waits for the first write");
  h.finish();
  await tick();
  assert.deepEqual(h.sent.map(String), ["a", "bc"]);
  h.finish();
  await within(q.drained(), 1000, "drained");
});

test("a TLS caller's window: several writes in flight; the rest follow as they finish, in order", async () => {
  const h = hand();
  const q = new SendQueue(h.send, { hard: 1 << 24, soft: null, softMs: 0 }, () => assert.fail("cut"), SEND_WINDOW);
  const parts = Array.from({ length: 8 }, (_, i) => Buffer.alloc(SEND_CHUNK, i));
  for (const part of parts) q.push(part);
  await tick();
  const window = Math.ceil(SEND_WINDOW / (SEND_CHUNK + CHUNK_COST));
  assert.equal(h.inFlight(), window, "as many writes as fit in the window, at once");
  h.finish();
  await tick();
  assert.equal(h.inFlight(), window, "one finished, the next one handed over");
  while (q.queued > 0) {
    h.finish();
    await tick();
  }
  assert.equal(h.sent.length, 8);
  assert.deepEqual(Buffer.concat(h.sent), Buffer.concat(parts));
});

test("tiny chunks count what holding them costs: a frozen reader of one-byte chunks is cut by the bound", () => {
  const h = hand();
  const cuts: string[] = [];
  const hard = 1 << 20;
  const q = new SendQueue(h.send, { hard, soft: null, softMs: 0 }, (why) => cuts.push(why));
  let pushed = 0;
  while (q.push(Buffer.from("x"))) pushed += 1;
  assert.equal(pushed, Math.floor(hard / (1 + CHUNK_COST)), "cut once the chunks cost the limit, not at 1 MiB of them");
  assert.deepEqual(cuts, ["1 MiB queued (reader too slow)"]);
  assert.equal(SendQueue.cost(Buffer.alloc(10)), 10 + CHUNK_COST);
});

test("a write that fails closes the queue: nothing more is sent, drained() settles", async () => {
  const h = hand();
  const q = new SendQueue(h.send, { hard: 1 << 24, soft: null, softMs: 0 }, () => assert.fail("cut"));
  q.push(Buffer.alloc(SEND_CHUNK));
  q.push(Buffer.alloc(SEND_CHUNK));
  const drained = q.drained();
  await tick();
  h.fail();
  await within(drained, 1000, "drained after the failure");
  assert.equal(q.closed, true);
  assert.equal(q.push(Buffer.alloc(1)), false);
});
