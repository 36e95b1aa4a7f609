/**
 * LineSplitter fed every way a stream can cut its input: every single split point, every
 * pair of split points, and byte by byte; lines come out whole and identical.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LineSplitter } from "../../src/index.js";

// "hi\r\n", a line of CJK text (3-byte characters), an empty line, an emoji (4 bytes), no final newline.
const INPUT = Buffer.from(
  "68690d0a" + "e6b49ee4b880e6b49ee4b880210a" + "0a" + "f09f939e20e4bda0e5a5bd0a" + "656e64",
  "hex",
);
const EXPECTED = ["hi\r\n", "洞一洞一!\n", "\n", "📞 你好\n"];
const REST = "end";

function feed(chunks: readonly Buffer[]): { lines: string[]; rest: string } {
  const splitter = new LineSplitter();
  const lines: string[] = [];
  for (const chunk of chunks) {
    splitter.push(chunk);
    for (let line = splitter.line(); line; line = splitter.line()) lines.push(line.toString("utf8"));
  }
  return { lines, rest: splitter.takeAll().toString("utf8") };
}

test("the fixture decodes as expected", () => {
  assert.equal(INPUT.toString("utf8"), EXPECTED.join("") + REST);
});

test("every single split point gives the same lines", () => {
  for (let i = 0; i <= INPUT.length; i++) {
    assert.deepEqual(feed([INPUT.subarray(0, i), INPUT.subarray(i)]), { lines: EXPECTED, rest: REST }, `split at ${i}`);
  }
});

test("every pair of split points gives the same lines", () => {
  for (let i = 0; i <= INPUT.length; i++) {
    for (let j = i; j <= INPUT.length; j++) {
      const chunks = [INPUT.subarray(0, i), INPUT.subarray(i, j), INPUT.subarray(j)];
      assert.deepEqual(feed(chunks), { lines: EXPECTED, rest: REST }, `split at ${i} and ${j}`);
    }
  }
});

test("byte by byte gives the same lines", () => {
  const bytes = Array.from(INPUT, (b) => Buffer.from([b]));
  assert.deepEqual(feed(bytes), { lines: EXPECTED, rest: REST });
});

test("a limit cuts long lines into pieces of at most that many bytes", () => {
  const splitter = new LineSplitter();
  splitter.push(Buffer.from("abcdefg\nxy"));
  assert.equal(splitter.line(3)?.toString(), "abc");
  assert.equal(splitter.line(3)?.toString(), "def");
  assert.equal(splitter.line(3)?.toString(), "g\n");
  assert.equal(splitter.line(3), null, "an incomplete line shorter than the limit waits");
  assert.equal(splitter.size, 2);
  assert.equal(splitter.take(1).toString(), "x");
  assert.equal(splitter.takeAll().toString(), "y");
  assert.equal(splitter.size, 0);
});

test("Uint8Array chunks and empty chunks are accepted", () => {
  const splitter = new LineSplitter();
  splitter.push(new Uint8Array(0));
  splitter.push(new Uint8Array([0x61, 0x0a]));
  assert.equal(splitter.line()?.toString(), "a\n");
});
