/**
 * The chat's line codec, driven by one fixture table in both directions (mqtt-packet's
 * habit): what a member sends (hex) is decoded at every split point, and by byte, into the
 * lines the room shows; each line is encoded as members read it, and parsed back to who
 * said what.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ChatLineDecoder,
  CUT_MARKER,
  encodeLine,
  MAX_LINE_BYTES,
  parseLine,
} from "../../src/cli/topologies/chat-codec.js";

interface Fixture {
  name: string;
  /** What the member sends, as hex. */
  sent: string;
  /** The lines the room shows (safe text, no newline). */
  lines: string[];
}

const hex = (text: string): string => Buffer.from(text, "utf8").toString("hex");

const FIXTURES: Fixture[] = [
  { name: "one line", sent: hex("hi\n"), lines: ["hi"] },
  { name: "CRLF loses its CR", sent: hex("hi\r\n"), lines: ["hi"] },
  { name: "an empty line is a line", sent: hex("\n"), lines: [""] },
  {
    name: "a forged name is a second line from the real sender",
    sent: hex("hi\n<user9> I am someone else\n"),
    lines: ["hi", "<user9> I am someone else"],
  },
  { name: "UTF-8 whole (é, 洞, 📞)", sent: "c3a920e6b49e20f09f939e0a", lines: ["é 洞 📞"] },
  {
    name: "escape sequences shown, never run",
    sent: hex("\x1b[2J\x1b]0;title\x07red\n"),
    lines: ["\\e[2J\\e]0;title^Gred"],
  },
  { name: "a CR inside a line is shown", sent: hex("abc\rxyz\n"), lines: ["abc\\rxyz"] },
  { name: "bytes that are not UTF-8 are shown as bytes", sent: "41ff42c30a", lines: ["A\\xffB\\xc3"] },
  { name: "C1 controls and bidi overrides are shown", sent: "c29b78e280ae790a", lines: ["\\u009bx\\u202ey"] },
  { name: "tabs stay", sent: hex("a\tb\n"), lines: ["a\tb"] },
  { name: "a last line without newline comes at the end", sent: hex("one\ntwo"), lines: ["one", "two"] },
];

function decode(chunks: readonly Buffer[]): string[] {
  const decoder = new ChatLineDecoder();
  const lines: string[] = [];
  for (const chunk of chunks) {
    // The decoder must copy: the chunk's memory is reused by the next read.
    lines.push(...decoder.push(chunk));
    chunk.fill(0x58);
  }
  lines.push(...decoder.end());
  return lines;
}

for (const fixture of FIXTURES) {
  test(`decode: ${fixture.name}, at every split point and byte by byte`, () => {
    const bytes = Buffer.from(fixture.sent, "hex");
    assert.deepEqual(decode([Buffer.from(bytes)]), fixture.lines);
    for (let at = 0; at <= bytes.length; at++) {
      const parts = [Buffer.from(bytes.subarray(0, at)), Buffer.from(bytes.subarray(at))];
      assert.deepEqual(decode(parts), fixture.lines, `split at ${at}`);
    }
    const single = [...bytes].map((b) => Buffer.from([b]));
    assert.deepEqual(decode(single), fixture.lines, "byte by byte");
  });

  test(`encode and parse back: ${fixture.name}`, () => {
    for (const text of fixture.lines) {
      for (const kind of ["said", "private"] as const) {
        const wire = encodeLine({ kind, from: "alice", text });
        assert.equal(wire.subarray(-1).toString(), "\n");
        // One line on the wire per line said: nothing a member sends starts another.
        assert.equal(wire.toString("utf8").split("\n").length, 2);
        assert.deepEqual(parseLine(wire.toString("utf8").slice(0, -1)), { kind, from: "alice", text });
      }
    }
  });
}

test("the forged-name line reads as its real sender's on the wire", () => {
  const wire = decode([Buffer.from("hi\n<user9> I am someone else\n")])
    .map((text) => encodeLine({ kind: "said", from: "user1", text }).toString())
    .join("");
  assert.equal(wire, "<user1> hi\n<user1> <user9> I am someone else\n");
  assert.deepEqual(
    wire
      .split("\n")
      .slice(0, -1)
      .map((l) => parseLine(l)?.from),
    ["user1", "user1"],
  );
});

test("announcements encode under <announce>", () => {
  const wire = encodeLine({ kind: "announce", from: "announce", text: "x is connected as <user1>." });
  assert.equal(wire.toString(), "<announce> x is connected as <user1>.\n");
  assert.equal(parseLine(wire.toString().trimEnd())?.kind, "announce");
});

test("a line longer than the bound is cut with the marker, its rest dropped, and nothing held past it", () => {
  const decoder = new ChatLineDecoder();
  const lines: string[] = [];
  // 3-byte characters, so the bound falls inside one: it is left out whole.
  const long = Buffer.from("洞".repeat(MAX_LINE_BYTES));
  for (let at = 0; at < long.length; at += 1000) {
    lines.push(...decoder.push(long.subarray(at, at + 1000)));
    assert.ok(decoder.held <= MAX_LINE_BYTES + 1, "never holds more than the bound (and a CR)");
  }
  lines.push(...decoder.push(Buffer.from("\nnext\n")));
  assert.equal(lines.length, 2);
  assert.equal(lines[0], "洞".repeat(Math.floor(MAX_LINE_BYTES / 3)) + CUT_MARKER);
  assert.equal(lines[1], "next");
  // A line of exactly the bound is not cut, with LF or CRLF (the CR is dropped: it does not
  // count), nor at the end of stream; one byte more is, whatever the byte and however it ends.
  const bound = Buffer.alloc(MAX_LINE_BYTES, 0x61);
  for (const end of ["\n", "\r\n", ""]) {
    assert.deepEqual(
      decode([Buffer.concat([bound, Buffer.from(end)])]),
      ["a".repeat(MAX_LINE_BYTES)],
      JSON.stringify(end),
    );
  }
  for (const end of ["b\n", "b\r\n", "b", "\rb\n", "bb\n"]) {
    assert.deepEqual(
      decode([Buffer.concat([bound, Buffer.from(end)])]),
      ["a".repeat(MAX_LINE_BYTES) + CUT_MARKER],
      JSON.stringify(end),
    );
  }
});

test("parseLine takes only what the room writes", () => {
  assert.equal(parseLine("no name"), null);
  assert.equal(parseLine("<a b> x"), null);
  assert.equal(parseLine("<user1>x"), null);
});
