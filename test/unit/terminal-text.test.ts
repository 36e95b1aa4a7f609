/**
 * What a peer's bytes look like in talk mode: Utf8Decoder fed every way a stream can cut
 * its input (every split point, every pair, byte by byte) gives the same text, with each
 * invalid byte kept byte-exact; escapeControls then shows controls, bidirectional
 * controls and invalid bytes escaped, and nothing else.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeControls, Utf8Decoder } from "../../src/index.js";

/** Each part: its bytes as they go over the wire, and how talk mode shows them. */
const PARTS: readonly (readonly [hex: string, shown: string])[] = [
  ["68690a", "hi\n"], // ASCII and a newline
  ["e6b49ee4b880", "洞一"], // 3-byte characters
  ["f09f939e", "📞"], // a 4-byte character (a surrogate pair in JS)
  ["9b", "\\x9b"], // C1 CSI as a bare byte: invalid UTF-8
  ["c29b", "\\u009b"], // U+009B CSI as a character
  ["e2808e", "\\u200e"], // LEFT-TO-RIGHT MARK
  ["e280ae", "\\u202e"], // RIGHT-TO-LEFT OVERRIDE
  ["d89c", "\\u061c"], // ARABIC LETTER MARK
  ["e281a6", "\\u2066"], // LEFT-TO-RIGHT ISOLATE
  ["e281a9", "\\u2069"], // POP DIRECTIONAL ISOLATE
  ["e280a8", "\\u2028"], // LINE SEPARATOR: a line break to some viewers
  ["e280a9", "\\u2029"], // PARAGRAPH SEPARATOR
  ["1b5b324a", "\\e[2J"], // ESC
  ["07090d", "^G\t\\r"], // BEL, tab kept, CR
  ["7f", "\\x7f"], // DEL
  ["ff", "\\xff"], // never valid in UTF-8
  ["c0af", "\\xc0\\xaf"], // an overlong "/"
  ["e080af", "\\xe0\\x80\\xaf"], // an overlong "/" in three bytes
  ["f08080af", "\\xf0\\x80\\x80\\xaf"], // and in four
  ["eda080", "\\xed\\xa0\\x80"], // an encoded surrogate
  ["f4908080", "\\xf4\\x90\\x80\\x80"], // past U+10FFFF
  ["e4bd41", "\\xe4\\xbdA"], // a 3-byte character cut short by an ASCII byte
  ["f09f9320", "\\xf0\\x9f\\x93 "], // a 4-byte character cut short by a space
  ["80bf", "\\x80\\xbf"], // continuation bytes with no lead
  ["d7a9d79c", "של"], // right-to-left letters are text, not controls
  ["e4bda0", "你"],
  ["f09f", "\\xf0\\x9f"], // truncated at the very end of the stream
];
const INPUT = Buffer.from(PARTS.map(([hex]) => hex).join(""), "hex");
const SHOWN = PARTS.map(([, shown]) => shown).join("");

function decode(chunks: readonly Uint8Array[]): string {
  const decoder = new Utf8Decoder();
  let text = "";
  for (const chunk of chunks) text += decoder.write(chunk);
  return text + decoder.end();
}

test("each part of the fixture is shown as expected", () => {
  for (const [hex, shown] of PARTS) assert.equal(escapeControls(decode([Buffer.from(hex, "hex")])), shown, hex);
});

test("the fixture in one chunk: valid UTF-8 decodes as Node decodes it", () => {
  const text = decode([INPUT]);
  assert.equal(escapeControls(text), SHOWN);
  // Without its invalid bytes, the text is what Node's own decoder makes of the valid parts.
  const valid = PARTS.filter(([hex]) => !Buffer.from(hex, "hex").toString("utf8").includes("\ufffd"));
  assert.equal(
    decode([Buffer.from(valid.map(([hex]) => hex).join(""), "hex")]),
    Buffer.from(valid.map(([hex]) => hex).join(""), "hex").toString("utf8"),
  );
});

test("every single split point gives the same text", () => {
  for (let i = 0; i <= INPUT.length; i++) {
    assert.equal(escapeControls(decode([INPUT.subarray(0, i), INPUT.subarray(i)])), SHOWN, `split at ${i}`);
  }
});

test("every pair of split points gives the same text", () => {
  for (let i = 0; i <= INPUT.length; i++) {
    for (let j = i; j <= INPUT.length; j++) {
      const chunks = [INPUT.subarray(0, i), INPUT.subarray(i, j), INPUT.subarray(j)];
      assert.equal(escapeControls(decode(chunks)), SHOWN, `split at ${i} and ${j}`);
    }
  }
});

test("byte by byte gives the same text", () => {
  assert.equal(escapeControls(decode(Array.from(INPUT, (b) => Uint8Array.of(b)))), SHOWN);
});

test("a character cut by a chunk boundary waits for its rest, and comes out whole", () => {
  const decoder = new Utf8Decoder();
  assert.equal(decoder.write(Buffer.from("f09f", "hex")), "");
  assert.equal(decoder.write(Buffer.from("93", "hex")), "");
  assert.equal(decoder.write(Buffer.from("9e21", "hex")), "📞!");
  assert.equal(decoder.end(), "");
});

test("a chunk the caller reuses afterwards does not change what was held", () => {
  const decoder = new Utf8Decoder();
  const chunk = Buffer.from("61e4bd", "hex");
  assert.equal(decoder.write(chunk), "a");
  chunk.fill(0x41);
  assert.equal(decoder.write(Buffer.from("a0", "hex")), "你");
});

test("invalid bytes stay distinct from the same text typed literally and from U+FFFD", () => {
  const shown = escapeControls(decode([Buffer.from("9befbfbd", "hex")]));
  assert.equal(shown, "\\x9b\ufffd", "a real U+FFFD is text; the invalid byte is not replaced by one");
});

test("escapeControls leaves text alone: emoji, CJK, right-to-left letters, backslashes", () => {
  const text = "📞 洞一 שלום \\x9b C:\\temp\ttab";
  assert.equal(escapeControls(text), text);
});

test("escapeControls shows a lone surrogate outside the escaped bytes as \\uXXXX", () => {
  assert.equal(escapeControls("a\ud83db\udc00"), "a\\ud83db\\udc00");
});
