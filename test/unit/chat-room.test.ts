/** The chat room's rules without sockets: names, /nick, /who, /msg, joins and leaves. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatLine } from "../../src/cli/topologies/chat-codec.js";
import { lookalike, MAX_NAME, nameProblem } from "../../src/cli/topologies/chat-names.js";
import { ChatRoom, type Seat } from "../../src/cli/topologies/chat-room.js";

class Ear implements Seat {
  readonly heard: string[] = [];
  readonly lines: ChatLine[] = [];
  constructor(readonly address: string) {}
  deliver(bytes: Buffer, lines: readonly ChatLine[]): void {
    this.heard.push(bytes.toString("utf8"));
    this.lines.push(...lines);
  }
  take(): string[] {
    return this.heard.splice(0);
  }
}

test("names are userN, never reused after a leave", () => {
  const room = new ChatRoom();
  const [a, b, c] = [new Ear("10.0.0.1"), new Ear("10.0.0.2"), new Ear("10.0.0.3")];
  assert.equal(room.join(a), "user1");
  assert.equal(room.join(b), "user2");
  room.leave(b);
  assert.equal(room.join(c), "user3");
  assert.deepEqual(a.take().slice(-3), [
    "<announce> 10.0.0.2 is connected as <user2>.\n",
    "<announce> <user2> is disconnected.\n",
    "<announce> 10.0.0.3 is connected as <user3>.\n",
  ]);
  assert.deepEqual(c.take(), [
    "<announce> 10.0.0.3 is connected as <user3>.\n",
    "<announce> already connected: 10.0.0.1 as <user1>.\n",
  ]);
});

test("a line goes to everyone else, never back; /msg to one, shown as private", () => {
  const room = new ChatRoom();
  const [me, a, b] = [new Ear("the listener"), new Ear("a"), new Ear("b")];
  room.join(me, true);
  room.join(a);
  room.join(b);
  for (const ear of [me, a, b]) ear.take();
  room.said(a, ["hello"]);
  assert.deepEqual(me.take(), ["<user1> hello\n"]);
  assert.deepEqual(b.take(), ["<user1> hello\n"]);
  assert.deepEqual(a.take(), []);
  room.said(a, ["/msg user0 just you"]);
  assert.deepEqual(me.take(), ["*user1* just you\n"]);
  assert.equal(me.lines.at(-1)?.kind, "private");
  assert.deepEqual(b.take(), []);
  room.said(a, ["/msg nobody hi"]);
  assert.match(a.take()[0] ?? "", /nobody here is <nobody>; not sent/);
  room.said(a, ["//nick is a word"]);
  assert.deepEqual(b.take(), ["<user1> /nick is a word\n"]);
  room.said(a, ["/frobnicate"]);
  assert.match(a.take()[0] ?? "", /unknown command \/frobnicate/);
  assert.deepEqual(b.take(), []);
  room.said(b, ["/who"]);
  assert.deepEqual(b.take(), ["<announce> here: <user0> the listener, <user1> a, <user2> b.\n"]);
});

test("the lines of one read go to each member as one Buffer (one object queued, not one per line); a command splits the run, in order", () => {
  const room = new ChatRoom();
  const [a, b, c] = [new Ear("a"), new Ear("b"), new Ear("c")];
  for (const ear of [a, b, c]) room.join(ear);
  for (const ear of [a, b, c]) {
    ear.take();
    ear.lines.length = 0;
  }
  const flood = Array.from({ length: 1000 }, () => "x");
  room.said(a, [...flood, "/nick alice", "y", "z"]);
  const heard = b.take();
  assert.equal(heard.length, 3, "the run before the command, the rename, the run after it");
  assert.equal(heard[0], "<user1> x\n".repeat(1000));
  assert.equal(heard[1], "<announce> <user1> is now known as <alice>.\n");
  assert.equal(heard[2], "<alice> y\n<alice> z\n");
  assert.deepEqual(c.take(), heard, "every member hears the same");
  assert.equal(b.lines.length, 1003, "each line read back, with its sender");
  assert.deepEqual(b.lines.at(-1), { kind: "said", from: "alice", text: "z" });
  assert.deepEqual(a.take(), ["<announce> <user1> is now known as <alice>.\n"], "never back to the sender");
});

test("/nick: unique (any case), printable, bounded, not a name the room hands out; refusals go to the asker only", () => {
  const room = new ChatRoom();
  const [a, b] = [new Ear("a"), new Ear("b")];
  room.join(a);
  room.join(b);
  a.take();
  b.take();
  room.said(a, ["/nick alice"]);
  assert.deepEqual(b.take(), ["<announce> <user1> is now known as <alice>.\n"]);
  assert.deepEqual(a.take(), ["<announce> <user1> is now known as <alice>.\n"]);
  for (const [name, why] of [
    ["ALICE", /is taken/],
    ["user7", /kept for the room/],
    ["announce", /kept for the room/],
    ["x".repeat(MAX_NAME + 1), /at most 24/],
    ["bob\\e[31m", /letters, the digits 0-9/],
    ["<bob>", /letters, the digits 0-9/],
    ["", /a name is needed/],
  ] as const) {
    room.said(b, [`/nick ${name}`]);
    const heard = b.take();
    assert.equal(heard.length, 1, name);
    assert.match(heard[0] ?? "", why);
    assert.match(heard[0] ?? "", /^<announce> not renamed/);
    assert.deepEqual(a.take(), [], `nobody else hears the refusal of ${name}`);
  }
  room.said(b, ["/nick Łukasz_2"]);
  assert.equal(room.nameOf(b), "Łukasz_2");
  room.leave(a, "32 MiB queued (reader too slow)");
  assert.deepEqual(b.take().slice(-1), ["<announce> <alice> was cut: 32 MiB queued (reader too slow).\n"]);
});

test("nameProblem accepts plain names", () => {
  assert.equal(
    nameProblem("bob", () => false),
    null,
  );
  assert.equal(
    nameProblem("x".repeat(MAX_NAME), () => false),
    null,
  );
});

test("a name that looks like a room name or a member's is refused: fullwidth, Cyrillic, Greek, l for 1", () => {
  const kept = /is kept for the room itself/;
  assert.match(nameProblem("userl", () => false) ?? "", kept, "l for 1");
  assert.match(nameProblem("USERO", () => false) ?? "", kept, "O for 0: the listener");
  assert.match(nameProblem("user_1", () => false) ?? "", kept, "punctuation inside");
  assert.match(nameProblem("ann.ounce", () => false) ?? "", kept, "punctuation inside");
  const members = new Set(["bob", "alice", "h", "tom"].map(lookalike));
  const taken = (key: string): boolean => members.has(key);
  // Whole names in one script that are drawn like a member's: Cyrillic, Greek capitals,
  // capitals whose small letters look Latin (Һ), case, 1/I/l.
  for (const name of ["ВОВ", "ЬОВ", "Bob", "ΤΟΜ", "aIice", "a1ice", "ɑlıce", "Һ", "b.ob"]) {
    assert.match(nameProblem(name, taken) ?? "", /is taken, or looks like a name that is/, name);
  }
  // The table's keys: each of these is one name with its Latin twin.
  for (const [name, twin] of [
    ["ｕｓｅｒ1", "user1"],
    ["usеr1", "user1"],
    ["userӀ", "user1"],
    ["αlice", "alice"],
    ["ϳoe", "joe"],
    ["Ьob", "bob"],
  ]) {
    assert.equal(lookalike(name as string), lookalike(twin as string), name);
  }
  // Names in other scripts that look like nobody's are fine.
  for (const name of ["Алиса", "Βασίλης", "日本語", "Łukasz_2", "users", "rob", "a.b", "x-y_z"]) {
    assert.equal(nameProblem(name, taken), null, name);
  }
});

test("names that could pass for another are refused before any look-alike key: mixed scripts, blank letters, other digits, edge punctuation", () => {
  const none = (): boolean => false;
  const cases: [string, RegExp][] = [
    ["usеr1", /does not mix Latin letters/], // a Cyrillic е
    ["bօb", /does not mix Latin letters/], // an Armenian օ
    ["bοb", /does not mix Latin letters/], // a Greek ο
    ["user1\u1160", /drawn as nothing/], // a Hangul filler: a letter of no width
    ["bob\u3164", /drawn as nothing/],
    ["user۱", /the digits 0-9/], // an Extended Arabic-Indic one
    ["user１", /the digits 0-9/], // a fullwidth one
    ["user1.", /does not start or end/],
    [".user1", /does not start or end/],
    ["-bob", /does not start or end/],
  ];
  for (const [name, why] of cases) assert.match(nameProblem(name, none) ?? "", why, JSON.stringify(name));
});
