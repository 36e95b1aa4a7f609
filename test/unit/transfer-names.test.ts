/**
 * The names a receiver takes (docs/protocol.md, *Names*), rule by rule, each with names it
 * takes and names it refuses, on Linux and on Windows; and how printableName shows a
 * hostile name: no control byte of it reaches the terminal, however it is encoded.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MAX_NAME_BYTES,
  MAX_PART_BYTES,
  nameProblem,
  PARTIAL_SUFFIX,
  PRINTABLE_MAX_CHARS,
  partialName,
  printableName,
} from "../../src/cli/commands/transfer/names.js";

type Row = readonly [name: Buffer, reason: RegExp | null, note: string];

const utf8 = (text: string): Buffer => Buffer.from(text, "utf8");
const hex = (bytes: string): Buffer => Buffer.from(bytes.replace(/ /g, ""), "hex");
const ok = (name: Buffer | string, note = ""): Row => [typeof name === "string" ? utf8(name) : name, null, note];
const no = (name: Buffer | string, reason: RegExp, note = ""): Row => [
  typeof name === "string" ? utf8(name) : name,
  reason,
  note,
];

/** Rules that hold on every platform. */
const EVERYWHERE: readonly Row[] = [
  // Plain names, folders, dots inside names, non-ASCII text.
  ok("a"),
  ok("file.txt"),
  ok("dir/sub/file.tar.gz"),
  ok(".hidden"),
  ok("..hidden", "starts with two dots but is not '..'"),
  ok("日本語/ファイル.txt"),
  ok("📞 call.log", "a 4-byte character"),
  ok("שלום.txt", "right-to-left letters are text, not controls"),
  ok("\ufffd.bin", "U+FFFD itself is a valid character"),
  ok("a\u00a0b", "a no-break space"),
  ok("x.hotline-partial.txt", "the suffix inside the name"),
  // Empty names and empty parts.
  no("", /^is empty$/),
  no("/etc/passwd", /^starts with '\/'$/),
  no("/", /^starts with '\/'$/),
  no("a//b", /^has an empty part$/),
  no("a/", /^has an empty part$/),
  // Dot parts.
  no(".", /^has a '\.' part$/),
  no("..", /^has a '\.\.' part$/),
  no("../x", /^has a '\.\.' part$/),
  no("a/../../x", /^has a '\.\.' part$/),
  no("a/./b", /^has a '\.' part$/),
  no("a/..", /^has a '\.\.' part$/),
  // Invalid UTF-8.
  no(hex("ff"), /^is not valid UTF-8$/),
  no(hex("61 80"), /^is not valid UTF-8$/, "a continuation byte with no lead"),
  no(hex("c0 af"), /^is not valid UTF-8$/, "an overlong '/'"),
  no(hex("2e c0 ae"), /^is not valid UTF-8$/, "an overlong '.' after a '.': '..' in disguise"),
  no(hex("e0 80 af"), /^is not valid UTF-8$/, "an overlong '/' in three bytes"),
  no(hex("f0 80 80 af"), /^is not valid UTF-8$/, "an overlong '/' in four bytes"),
  no(hex("c1 bf"), /^is not valid UTF-8$/, "C1 is never a lead byte"),
  no(hex("ed a0 80"), /^is not valid UTF-8$/, "an encoded high surrogate"),
  no(hex("ed bf bf"), /^is not valid UTF-8$/, "an encoded low surrogate"),
  no(hex("ed a0 bd ed b2 a9"), /^is not valid UTF-8$/, "a surrogate pair in CESU-8"),
  no(hex("f4 90 80 80"), /^is not valid UTF-8$/, "past U+10FFFF"),
  no(hex("f5 80 80 80"), /^is not valid UTF-8$/),
  no(hex("61 e4 bd"), /^is not valid UTF-8$/, "a 3-byte character cut at the end"),
  no(hex("e4 bd 41"), /^is not valid UTF-8$/, "a 3-byte character cut by ASCII"),
  no(hex("f0 9f 93"), /^is not valid UTF-8$/, "a 4-byte character cut at the end"),
  ok(hex("ef bf bd"), "U+FFFD as bytes"),
  ok(hex("f4 8f bf bf"), "U+10FFFF, the last code point"),
  ok(hex("ed 9f bf"), "U+D7FF, just below the surrogates"),
  ok(hex("ef bb bf 61"), "a leading BOM is a character like any other"),
  // NUL and controls.
  no(hex("61 00 62"), /^holds a NUL \(U\+0000\)$/),
  no("a\u0001", /^holds a control character \(U\+0001\)$/),
  no("a\tb", /^holds a control character \(U\+0009\)$/),
  no("a\nb", /^holds a control character \(U\+000A\)$/),
  no("a\rb", /^holds a control character \(U\+000D\)$/),
  no("\u001b[2J", /^holds a control character \(U\+001B\)$/),
  no("a\u001f", /^holds a control character \(U\+001F\)$/),
  no("a\u007f", /^holds a control character \(U\+007F\)$/),
  no("a\u0080", /^holds a control character \(U\+0080\)$/),
  no("a\u009b2J", /^holds a control character \(U\+009B\)$/, "C1 CSI"),
  no("a\u009f", /^holds a control character \(U\+009F\)$/),
  ok("a\u00a0", "U+00A0 is past the C1 controls"),
  // Bidirectional controls.
  no("photo\u202egnp.exe", /^holds a bidirectional control \(U\+202E\)$/),
  no("a\u200e", /^holds a bidirectional control \(U\+200E\)$/),
  no("a\u200f", /^holds a bidirectional control \(U\+200F\)$/),
  no("a\u202a", /^holds a bidirectional control \(U\+202A\)$/),
  no("a\u2066", /^holds a bidirectional control \(U\+2066\)$/),
  no("a\u2069", /^holds a bidirectional control \(U\+2069\)$/),
  ok("a\u200d", "a zero-width joiner is not in the protocol's list"),
  ok("a\u2065", "just below the isolates"),
  ok("a\u206a", "just above the isolates"),
  ok("a\u2010b", "a hyphen"),
  // Backslash, everywhere.
  no("a\\b", /^holds '\\' \(a folder separator on Windows\)$/),
  no("..\\..\\x", /^holds '\\'/),
  // The receiver's suffix.
  no(`x${PARTIAL_SUFFIX}`, /^has a part ending in \.hotline-partial$/),
  no(`dir/x${PARTIAL_SUFFIX}`, /^has a part ending in \.hotline-partial$/),
  no(PARTIAL_SUFFIX, /^has a part ending in \.hotline-partial$/),
  no(`x${PARTIAL_SUFFIX}/y`, /^has a part ending in \.hotline-partial$/), // a folder where the partial of x goes
];

/** Rules that differ between Linux and Windows: [name, on linux, on win32]. */
const BY_PLATFORM: readonly (readonly [name: string, linux: RegExp | null, win32: RegExp | null])[] = [
  ["a:b", null, /^holds ':', which Windows does not allow in a name$/],
  ["file.txt:stream", null, /^holds ':'/],
  ["C:/x", null, /^holds ':'/],
  ["a<b", null, /^holds '<'/],
  ["a>b", null, /^holds '>'/],
  ['a"b', null, /^holds '"'/],
  ["a|b", null, /^holds '\|'/],
  ["a?b", null, /^holds '\?'/],
  ["a*b", null, /^holds '\*'/],
  ["a/.../b", null, /^has a part ending in a dot or a space/], // '...' is a name off Windows, not a parent
  ["dot.", null, /^has a part ending in a dot or a space, which Windows drops$/],
  ["space ", null, /^has a part ending in a dot or a space/],
  ["dir./x", null, /^has a part ending in a dot or a space/],
  ["dir /x", null, /^has a part ending in a dot or a space/],
  ["CON", null, /^is a reserved device name on Windows \(CON\)$/],
  ["con", null, /^is a reserved device name on Windows \(CON\)$/],
  ["Nul.txt", null, /^is a reserved device name on Windows \(NUL\)$/],
  ["dir/aux.tar.gz", null, /^is a reserved device name on Windows \(AUX\)$/],
  ["PRN/x", null, /^is a reserved device name on Windows \(PRN\)$/],
  ["COM1", null, /\(COM1\)$/],
  ["com9.log", null, /\(COM9\)$/],
  ["LPT1", null, /\(LPT1\)$/],
  ["lpt¹", null, /\(LPT¹\)$/],
  ["COM² .txt", null, /\(COM²\)$/],
  ["CON .txt", null, /\(CON\)$/],
  ["conin$", null, /\(CONIN\$\)$/],
  ["CONOUT$", null, /\(CONOUT\$\)$/],
  ["x.HOTLINE-PARTIAL", null, /^has a part ending in \.hotline-partial$/],
  ["CONSOLE", null, null],
  ["COM10", null, null],
  ["LPT", null, null],
  ["xcon", null, null],
  ["con_x.txt", null, null],
  [".con", null, null],
  ["a.b c", null, null],
  ["a b", null, null],
];

function check(rows: readonly Row[], platform: NodeJS.Platform): void {
  for (const [name, reason, note] of rows) {
    const got = nameProblem(name, platform);
    const what = `${platform} ${name.toString("hex")} ${note}`;
    if (reason === null) assert.equal(got, null, what);
    else assert.match(got ?? "(null: accepted)", reason, what);
  }
}

test("names: the rules of every platform hold on Linux", () => check(EVERYWHERE, "linux"));

test("names: the rules of every platform hold on Windows", () => check(EVERYWHERE, "win32"));

test("names: Windows refuses what only Windows cannot hold; Linux takes it", () => {
  for (const [name, linux, win32] of BY_PLATFORM) {
    check([[utf8(name), linux, "linux"]], "linux");
    check([[utf8(name), win32, "win32"]], "win32");
  }
});

test("names: the platform defaults to this process's", () => {
  assert.equal(nameProblem(utf8("a:b")), nameProblem(utf8("a:b"), process.platform));
});

test("names: macOS folds case for the partial suffix, Linux does not", () => {
  assert.equal(nameProblem(utf8("x.Hotline-Partial"), "darwin"), "has a part ending in .hotline-partial");
  assert.equal(nameProblem(utf8("x.Hotline-Partial"), "linux"), null);
});

/** A name of exactly `bytes` bytes: parts of `unit` repeated (under 255 bytes), then ASCII to fill. */
function nameOf(bytes: number, unit: string): Buffer {
  const chunk = unit.repeat(Math.floor(200 / Buffer.byteLength(unit)));
  const chunkBytes = Buffer.byteLength(chunk);
  let name = "";
  while (bytes - Buffer.byteLength(name) - chunkBytes - 1 > MAX_PART_BYTES) name += `${chunk}/`;
  let left = bytes - Buffer.byteLength(name);
  if (left > MAX_PART_BYTES) {
    name += `${chunk}/`;
    left -= chunkBytes + 1;
  }
  return utf8(name + "a".repeat(left));
}

test("names: the limits are exact, in bytes, whatever the characters' width", () => {
  assert.equal(MAX_NAME_BYTES, 4096);
  assert.equal(MAX_PART_BYTES, 255);
  for (const unit of ["a", "é", "日", "📞"]) {
    const whole = nameOf(MAX_NAME_BYTES, unit);
    assert.equal(whole.length, 4096, unit);
    assert.equal(nameProblem(whole, "linux"), null, `${unit} 4096`);
    const over = Buffer.concat([whole, utf8("a")]);
    assert.equal(nameProblem(over, "linux"), "is longer than 4096 bytes", `${unit} 4097`);
  }
  // One part at exactly 255 bytes, built from characters of each width.
  const parts: readonly (readonly [unit: string, fill: string])[] = [
    ["a", ""],
    ["é", "a"], // 127 × 2 + 1
    ["日", ""], // 85 × 3
    ["📞", "aaa"], // 63 × 4 + 3
  ];
  for (const [unit, fill] of parts) {
    const part = unit.repeat(Math.floor(255 / Buffer.byteLength(unit))) + fill;
    assert.equal(Buffer.byteLength(part), 255, unit);
    assert.equal(nameProblem(utf8(`dir/${part}`), "linux"), null, `${unit} 255`);
    assert.equal(nameProblem(utf8(`dir/${part}a`), "linux"), "has a part longer than 255 bytes", `${unit} 256`);
    assert.equal(nameProblem(utf8(`${part}a/x`), "win32"), "has a part longer than 255 bytes", `${unit} 256 folder`);
  }
  // 256 bytes because the last character does not fit: refused, not cut.
  assert.equal(nameProblem(utf8(`${"a".repeat(253)}日`), "linux"), "has a part longer than 255 bytes");
});

/** Every byte of `shown` that could start a terminal sequence or move the cursor. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/u;

test("printableName: terminal sequences arrive escaped, never raw", () => {
  const cases: readonly (readonly [name: Buffer, shown: string])[] = [
    [utf8("\u001b[2Jcleared"), "\\u{001b}[2Jcleared"],
    [
      utf8("\u001b]8;;https://evil.example/\u001b\\click\u001b]8;;\u001b\\"),
      "\\u{001b}]8;;https://evil.example/\\u{001b}\\\\click\\u{001b}]8;;\\u{001b}\\\\",
    ],
    [utf8("\u001b]8;;http://x\u0007link\u001b]8;;\u0007"), "\\u{001b}]8;;http://x\\u{0007}link\\u{001b}]8;;\\u{0007}"],
    [utf8("ring\u0007"), "ring\\u{0007}"],
    [utf8("innocent.txt\rmalware.exe"), "innocent.txt\\u{000d}malware.exe"],
    [utf8("a\nb"), "a\\u{000a}b"],
    [utf8("a\u009b2J"), "a\\u{009b}2J"],
    [hex("61 9b 32 4a"), "a\\x9b2J"],
    [utf8("photo\u202egnp.exe"), "photo\\u{202e}gnp.exe"],
    [utf8("a\u061cb"), "a\\u{061c}b"],
    [utf8("a\u2028b"), "a\\u{2028}b"],
    [utf8("a\u200bb"), "a\\u{200b}b"],
    [hex("61 00 62"), "a\\u{0000}b"],
  ];
  for (const [name, shown] of cases) {
    const got = printableName(name);
    assert.equal(got, shown, name.toString("hex"));
    assert.doesNotMatch(got, RAW_CONTROL, name.toString("hex"));
  }
});

test("printableName: text is kept, invalid bytes shown byte by byte, quotes and backslashes escaped", () => {
  const cases: readonly (readonly [name: Buffer, shown: string])[] = [
    [utf8("dir/file.txt"), "dir/file.txt"],
    [utf8("日本語/📞 שלום"), "日本語/📞 שלום"],
    [utf8("\ufffd"), "\ufffd"],
    [hex("ff fe"), "\\xff\\xfe"],
    [hex("c0 af"), "\\xc0\\xaf"],
    [hex("e0 80 af"), "\\xe0\\x80\\xaf"],
    [hex("ed a0 80"), "\\xed\\xa0\\x80"],
    [hex("f4 90 80 80"), "\\xf4\\x90\\x80\\x80"],
    [hex("e4 bd 41"), "\\xe4\\xbdA"],
    [hex("f0 9f 93"), "\\xf0\\x9f\\x93"],
    [utf8('say "hi"'), 'say \\"hi\\"'],
    [utf8("it's"), "it\\'s"],
    [utf8("a\\x1b"), "a\\\\x1b"],
    [utf8(""), ""],
  ];
  for (const [name, shown] of cases) assert.equal(printableName(name), shown, name.toString("hex"));
});

test("printableName: every single byte and every two-byte pair is shown without a raw control", () => {
  for (let a = 0; a < 256; a++) {
    assert.doesNotMatch(printableName(Buffer.from([a])), RAW_CONTROL, a.toString(16));
    for (let b = 0; b < 256; b++) assert.doesNotMatch(printableName(Buffer.from([a, b])), RAW_CONTROL);
  }
  // Every escaped character of the Basic Multilingual Plane, as a character.
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    assert.doesNotMatch(printableName(utf8(String.fromCodePoint(c))), RAW_CONTROL, c.toString(16));
  }
});

test("printableName: a long name is cut, on an escape's edge, and says how much is left out", () => {
  const long = printableName(utf8("a".repeat(4096)));
  assert.equal(long, `${"a".repeat(PRINTABLE_MAX_CHARS)}…(+${4096 - PRINTABLE_MAX_CHARS} bytes)`);
  const escapes = printableName(utf8("\u001b".repeat(100)));
  // 200 characters hold 25 escapes of 8 ("\u{001b}"); the 26th does not go in.
  assert.equal(escapes, `${"\\u{001b}".repeat(25)}…(+75 bytes)`);
  // After "a", 24 escapes make 193 characters: the 25th would pass 200 and is not cut in half.
  assert.equal(printableName(utf8(`a${"\u001b".repeat(100)}`)), `a${"\\u{001b}".repeat(24)}…(+76 bytes)`);
  const invalid = printableName(Buffer.alloc(1000, 0xff));
  assert.equal(invalid, `${"\\xff".repeat(50)}…(+950 bytes)`);
  assert.equal(printableName(utf8("a".repeat(PRINTABLE_MAX_CHARS))), "a".repeat(PRINTABLE_MAX_CHARS));
  const wide = printableName(utf8("📞".repeat(300)));
  assert.equal(wide, `${"📞".repeat(200)}…(+400 bytes)`);
});

test("partialName: the suffix when it fits in 255 bytes; else a cut part, a tag of the name's hash, the suffix", () => {
  assert.equal(partialName("a.txt"), "a.txt.hotline-partial");
  const fits = "f".repeat(MAX_PART_BYTES - PARTIAL_SUFFIX.length);
  assert.equal(partialName(fits), fits + PARTIAL_SUFFIX, "239 bytes take the suffix whole");
  const names = [
    "g".repeat(240),
    "h".repeat(MAX_PART_BYTES),
    "é".repeat(127), // 254 bytes of two-byte characters: the cut must not split one
    `${"x".repeat(220)}😀😀😀😀😀😀😀😀`, // four-byte characters across the cut
  ];
  const seen = new Set<string>();
  for (const name of names) {
    const partial = partialName(name);
    const bytes = utf8(partial);
    assert.ok(bytes.length <= MAX_PART_BYTES, `${bytes.length} bytes`);
    assert.equal(bytes.toString("utf8"), partial, "valid UTF-8: no character cut in two");
    assert.match(partial, /~[0-9a-f]{16}\.hotline-partial$/);
    assert.ok(name.startsWith(partial.slice(0, partial.indexOf("~"))), "the name's own start");
    assert.equal(nameProblem(utf8(partial)), "has a part ending in .hotline-partial", "no sender can send it");
    assert.equal(partialName(name), partial, "the same for the same name");
    seen.add(partial);
  }
  assert.equal(seen.size, names.length);
  // Two long names with the same first 222 bytes still get two partials.
  const a = `${"s".repeat(230)}-a`;
  const b = `${"s".repeat(230)}-b`;
  assert.notEqual(partialName(a), partialName(b));
});
