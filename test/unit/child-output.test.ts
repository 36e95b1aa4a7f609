/**
 * The child's stdout as the call's input (readUntilEnd in endpoints/child.ts): after the
 * child exited, stdout that stays open with nothing coming out ends the input after
 * STDOUT_AFTER_EXIT_MS of reading; time spent while the call is still sending an earlier
 * chunk (a slow peer) never counts, or the pipe's last bytes would be thrown away. Timers
 * are node:test's mock timers, so the quiet spell is exact and nothing waits for real. And
 * ncatVariables when the ends are not known.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, mock, test } from "node:test";
import { ncatVariables, readUntilEnd, STDOUT_AFTER_EXIT_MS } from "../../src/cli/endpoints/child.js";

beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
afterEach(() => mock.timers.reset());

test("a slow peer: what the pipe still holds after the child exited is read, however long the last send took", async () => {
  const stdout = new PassThrough();
  const exited = Promise.resolve();
  const { input, finished } = readUntilEnd(stdout, exited);
  const it = input[Symbol.asyncIterator]();
  stdout.write("first ");
  assert.equal(String((await it.next()).value), "first ");
  await exited;
  // The child is gone; its last bytes are in the pipe while "first " is still being sent.
  stdout.write("last");
  stdout.end();
  mock.timers.tick(STDOUT_AFTER_EXIT_MS * 3);
  const rest: string[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(String(r.value));
  assert.equal(rest.join(""), "last");
  await finished;
});

test("stdout held open by something the child started: the input ends after the quiet spell of reading", async () => {
  const stdout = new PassThrough();
  const exited = Promise.resolve();
  const { input, finished } = readUntilEnd(stdout, exited);
  const it = input[Symbol.asyncIterator]();
  stdout.write("said");
  assert.equal(String((await it.next()).value), "said");
  await exited;
  const next = it.next();
  await new Promise((r) => setImmediate(r)); // the iterator is waiting, reading
  mock.timers.tick(STDOUT_AFTER_EXIT_MS - 1);
  let settled = false;
  void next.then(() => {
    settled = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, "not before the quiet spell is over");
  mock.timers.tick(1);
  assert.equal((await next).done, true);
  await finished;
  assert.equal(stdout.destroyed, true);
});

test("ends that are not known (the caller left first) give empty NCAT_* variables, never hotline's own", () => {
  const vars = ncatVariables(null);
  for (const name of ["NCAT_REMOTE_ADDR", "NCAT_REMOTE_PORT", "NCAT_LOCAL_ADDR", "NCAT_LOCAL_PORT", "NCAT_PROTO"]) {
    assert.equal(vars[name], "", name);
  }
});
