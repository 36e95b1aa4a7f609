/**
 * openInput() on real descriptors: a FIFO made with mkfifo and a regular file, read the way
 * pipe mode reads stdin. Each chunk is checked against what was written, in order.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { test } from "node:test";
import { openInput } from "../../src/cli/io.js";
import { random, sha256 } from "../helpers/data.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const noStream = (): Readable => {
  throw new Error("a pipe or file must not fall back to the stdin stream");
};

/**
 * A FIFO with a reader descriptor (O_RDWR, so opening does not block) and a non-blocking
 * writer, so a full pipe is EAGAIN instead of a stalled test.
 */
function fifo(): { reader: number; writer: number } {
  const path = join(tempDir(), "fifo");
  execFileSync("mkfifo", [path]);
  const reader = openSync(path, "r+");
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return { reader, writer };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Writes all of `data`, yielding to the event loop whenever the pipe is full. */
async function writeAll(fd: number, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; ) {
    try {
      at += writeSync(fd, data, at, Math.min(16 * 1024, data.length - at));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    }
    await turn();
  }
}

test("a pipe: chunks arrive in order, and a second loop goes on where the first stopped", async () => {
  const { reader, writer } = fifo();
  const input = openInput(reader, noStream);
  try {
    await writeAll(writer, Buffer.from("first"));
    for await (const chunk of input) {
      assert.equal(chunk.toString(), "first");
      break;
    }
    await writeAll(writer, Buffer.from("second"));
    const rest: Buffer[] = [];
    // The reader descriptor is O_RDWR, so the pipe never reports EOF: stop at the bytes expected.
    await within(
      (async () => {
        for await (const chunk of input) {
          rest.push(Buffer.from(chunk));
          if (Buffer.concat(rest).length >= 6) break;
        }
      })(),
      5000,
      "the second loop",
    );
    assert.equal(Buffer.concat(rest).toString(), "second");
  } finally {
    input.close(); // on failure too: a live reader would keep the test process alive
    closeSync(writer);
  }
});

test("a pipe: 4 MiB through the reused buffers, each chunk kept until the next is taken", async () => {
  const { reader, writer } = fifo();
  const input = openInput(reader, noStream);
  try {
    const data = random(4 * 1024 * 1024);
    const got: Buffer[] = [];
    let total = 0;
    const reading = (async () => {
      for await (const chunk of input) {
        // Use the chunk only after a few turns of the event loop, while reading goes on
        // behind it: a buffer handed back too early would be overwritten by then.
        for (let i = 0; i < 4; i++) await turn();
        got.push(Buffer.from(chunk));
        total += chunk.length;
        if (total >= data.length) break;
      }
    })();
    await within(Promise.all([writeAll(writer, data), reading]), 20_000, "4 MiB through the pipe");
    assert.equal(sha256(Buffer.concat(got)), sha256(data));
  } finally {
    input.close();
    closeSync(writer);
  }
});

test("a regular file: read from its current offset to the end", async () => {
  const path = join(tempDir(), "file");
  const data = random(700_000); // two full reads and an odd-sized last one
  writeFileSync(path, data);
  const fd = openSync(path, "r");
  readSync(fd, Buffer.alloc(1000), 0, 1000, null); // someone read the first 1000 bytes
  const got: Buffer[] = [];
  for await (const chunk of openInput(fd, noStream)) got.push(Buffer.from(chunk));
  assert.equal(sha256(Buffer.concat(got)), sha256(data.subarray(1000)));
  assert.ok(got.length > 1, `${got.length} chunk(s): the one buffer must be read into again`);
  closeSync(fd);
});
