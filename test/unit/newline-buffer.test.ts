/**
 * makefile()'s newline handling as a pure codec: Python's line endings for each `newline`
 * value, fed whole, at every split point and a byte at a time. (Python itself is the
 * reference in test/integration/python-parity.test.ts.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { NEWLINES, type Newline, NewlineBuffer } from "../../src/framing/newline-buffer.js";

/** Every line `chunks` make, with the end of the stream after the last one. */
function lines(newline: Newline, chunks: readonly Buffer[]): string[] {
  const buffer = new NewlineBuffer(newline);
  const out: string[] = [];
  for (const chunk of chunks) {
    buffer.push(chunk);
    for (let line = buffer.line(); line; line = buffer.line()) out.push(line.toString());
  }
  buffer.end();
  for (let line = buffer.line(); line; line = buffer.line()) out.push(line.toString());
  if (buffer.size > 0) out.push(buffer.takeAll().toString());
  return out;
}

/** What Python's TextIOWrapper gives for each newline value (checked with python3 3.11). */
const EXPECTED: [text: string, byNewline: Record<string, string[]>][] = [
  [
    "a\r\nb\rc\nd",
    {
      null: ["a\n", "b\n", "c\n", "d"],
      '""': ["a\r\n", "b\r", "c\n", "d"],
      '"\\n"': ["a\r\n", "b\rc\n", "d"],
      '"\\r"': ["a\r", "\nb\r", "c\nd"],
      '"\\r\\n"': ["a\r\n", "b\rc\nd"],
    },
  ],
  [
    "x\r\r\ny\n\rz\r",
    {
      null: ["x\n", "\n", "y\n", "\n", "z\n"],
      '""': ["x\r", "\r\n", "y\n", "\r", "z\r"],
      '"\\n"': ["x\r\r\n", "y\n", "\rz\r"],
      '"\\r"': ["x\r", "\r", "\ny\n\r", "z\r"],
      '"\\r\\n"': ["x\r\r\n", "y\n\rz\r"],
    },
  ],
];

test("each newline value ends lines where Python's does, whole or split at any byte", () => {
  for (const [text, byNewline] of EXPECTED) {
    const bytes = Buffer.from(text);
    for (const newline of NEWLINES) {
      const expected = byNewline[JSON.stringify(newline)];
      const what = `${JSON.stringify(text)} newline=${JSON.stringify(newline)}`;
      assert.deepEqual(lines(newline, [bytes]), expected, `${what}, whole`);
      for (let at = 0; at <= bytes.length; at++) {
        assert.deepEqual(
          lines(newline, [bytes.subarray(0, at), bytes.subarray(at)]),
          expected,
          `${what}, split at ${at}`,
        );
      }
      const single = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
      assert.deepEqual(lines(newline, single), expected, `${what}, a byte at a time`);
    }
  }
});

test("a \\r received last waits for the next byte where \\r\\n may follow (was: read as a line's end too early)", () => {
  for (const newline of [null, "", "\r\n"] as const) {
    const buffer = new NewlineBuffer(newline);
    buffer.push(Buffer.from("a\r"));
    assert.equal(buffer.line(), null, `newline=${JSON.stringify(newline)}: "a\\r" alone is not a line yet`);
    buffer.push(Buffer.from("\nb"));
    assert.equal(buffer.line()?.toString(), newline === null ? "a\n" : "a\r\n");
  }
  const cr = new NewlineBuffer("\r");
  cr.push(Buffer.from("a\r"));
  assert.equal(cr.line()?.toString(), "a\r", 'newline="\\r": the line ends at once');
});

test("translation holds a final \\r until the end of the stream, then gives \\n", () => {
  const buffer = new NewlineBuffer(null);
  buffer.push(Buffer.from("end\r"));
  assert.equal(buffer.size, 3);
  buffer.end();
  assert.equal(buffer.line()?.toString(), "end\n");
});

test("a limit cuts a long line into pieces, as Python's readline(limit)", () => {
  const buffer = new NewlineBuffer("");
  buffer.push(Buffer.from("abcdef\r\ng"));
  assert.equal(buffer.line(4)?.toString(), "abcd");
  assert.equal(buffer.line(4)?.toString(), "ef\r\n");
  assert.equal(buffer.line(4), null);
});
