/**
 * The Python fixtures of the file protocol (hlft_sender.py, hlft_receiver.py) agree with
 * each other and with docs/protocol.md: files arrive whole (SHA-256 of what went in and
 * what came out), a cut transfer resumes from its partial, a file already there is not
 * sent again, a wrong digest or a differing partial is caught. Tests of `hotline send` and
 * `hotline receive` trust these fixtures, so the fixtures are tested first.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type Child, python } from "../helpers/child.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";

const NO_PYTHON = spawnSync("python3", ["--version"]).status === 0 ? false : "python3 is not installed";
const SENDER = `${PYTHON_FIXTURES}hlft_sender.py`;
const RECEIVER = `${PYTHON_FIXTURES}hlft_receiver.py`;

type Event = { event: string } & Record<string, unknown>;

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");
/** What the sender sends for content_len + seed: SHAKE-256 of the seed's decimal text. */
const seeded = (length: number, seed: number | string): Buffer =>
  createHash("shake256", { outputLength: length }).update(String(seed)).digest();

function events(child: Child): Event[] {
  return child.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Event);
}

function find(list: Event[], event: string, index?: number): Event {
  const found = list.find((e) => e.event === event && (index === undefined || e.index === index));
  assert.ok(found, `no ${event} event${index === undefined ? "" : ` for ${index}`} in ${JSON.stringify(list)}`);
  return found;
}

/** One transfer: a fresh receiver into `dir`, the sender with `script`; both run to their end. */
async function transfer(
  dir: string,
  script: object,
  receiverArgs: readonly string[] = [],
): Promise<{ sender: Event[]; receiver: Event[]; senderCode: number | null; receiverCode: number | null }> {
  const receiver = python(RECEIVER, [dir, "--timeout", "10", ...receiverArgs]);
  const [, port] = await receiver.line(/"port": (\d+)/);
  const sender = python(SENDER, ["127.0.0.1", port ?? "0", "--timeout", "10"], { stdin: JSON.stringify(script) });
  const [sent, received] = await Promise.all([sender.done(), receiver.done()]);
  return { sender: events(sender), receiver: events(receiver), senderCode: sent.code, receiverCode: received.code };
}

describe("the Python fixtures of the file protocol", { skip: NO_PYTHON }, () => {
  const root = mkdtempSync(join(tmpdir(), "hlft-fixture-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  let dirs = 0;
  const freshDir = (): string => join(root, String(dirs++));

  test("files arrive whole: SHA-256 of what went in equals what came out", async () => {
    const dir = freshDir();
    const files = [
      { name: "big.bin", content_len: 1_000_000, seed: 1, want: seeded(1_000_000, 1) },
      { name: "sub/folder/hi.txt", content_hex: "68690a", mode: 0o755, want: Buffer.from("hi\n") },
      { name: "empty", content_hex: "", want: Buffer.alloc(0) },
      {
        name_hex: Buffer.from("日本語.bin").toString("hex"),
        content_len: 70_001,
        seed: "x",
        want: seeded(70_001, "x"),
      },
    ];
    const run = await transfer(dir, { files: files.map(({ want: _, ...spec }) => spec) });
    assert.equal(run.senderCode, 0, JSON.stringify(run.sender));
    assert.equal(run.receiverCode, 0, JSON.stringify(run.receiver));
    const names = ["big.bin", "sub/folder/hi.txt", "empty", "日本語.bin"];
    for (const [i, file] of files.entries()) {
      const onDisk = readFileSync(join(dir, names[i] ?? ""));
      assert.equal(sha256(onDisk), sha256(file.want), names[i]);
      assert.equal(find(run.sender, "file", i).sha256, sha256(file.want), names[i]);
      assert.equal(find(run.sender, "verdict", i).result, 0);
    }
    assert.equal(statSync(join(dir, "sub/folder/hi.txt")).mode & 0o777, 0o755);
    assert.deepEqual([find(run.sender, "done").saved, find(run.sender, "done").bytes], [4, 1_000_000 + 3 + 70_001]);
  });

  test("a cut transfer resumes from its partial; a third run finds the file present", async () => {
    const dir = freshDir();
    const want = seeded(1_000_000, 9);
    const cut = await transfer(dir, {
      files: [{ name: "a.bin", content_len: 1_000_000, seed: 9, cut_after: 300_000 }],
    });
    assert.equal(cut.senderCode, 1);
    assert.equal(cut.receiverCode, 1);
    assert.equal(find(cut.sender, "cut").sent, 300_000);
    assert.equal(find(cut.receiver, "cut").received, 300_000);
    assert.equal(existsSync(join(dir, "a.bin")), false);
    assert.equal(sha256(readFileSync(join(dir, "a.bin.hotline-partial"))), sha256(want.subarray(0, 300_000)));

    const resumed = await transfer(dir, { files: [{ name: "a.bin", content_len: 1_000_000, seed: 9 }] });
    assert.equal(resumed.senderCode, 0, JSON.stringify(resumed.sender));
    assert.deepEqual([find(resumed.sender, "offer", 0).kind, find(resumed.sender, "offer", 0).offset], [1, 300_000]);
    assert.equal(find(resumed.sender, "send", 0).offset, 300_000);
    assert.equal(find(resumed.sender, "done").bytes, 700_000);
    assert.equal(sha256(readFileSync(join(dir, "a.bin"))), sha256(want));
    assert.equal(existsSync(join(dir, "a.bin.hotline-partial")), false);

    const again = await transfer(dir, { files: [{ name: "a.bin", content_len: 1_000_000, seed: 9 }] });
    assert.equal(again.senderCode, 0);
    assert.equal(find(again.sender, "offer", 0).kind, 2);
    assert.equal(find(again.sender, "verdict", 0).result, 1);
    assert.equal(find(again.sender, "done").bytes, 0);
  });

  test("a reset mid-file keeps a partial no longer than what was sent", async () => {
    const dir = freshDir();
    const run = await transfer(dir, {
      files: [{ name: "r.bin", content_len: 500_000, seed: 3, cut_after: 100_000, reset: true }],
    });
    assert.equal(run.senderCode, 1);
    assert.equal(run.receiverCode, 1);
    assert.equal(find(run.sender, "cut").reset, true);
    assert.equal(existsSync(join(dir, "r.bin")), false);
    const partial = join(dir, "r.bin.hotline-partial");
    find(run.receiver, "cut");
    if (existsSync(partial)) {
      const kept = readFileSync(partial);
      assert.ok(kept.length <= 100_000);
      assert.equal(sha256(kept), sha256(seeded(500_000, 3).subarray(0, kept.length)));
    }
  });

  test("a partial that differs is sent again from 0; a wrong digest leaves nothing", async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, "p.bin.hotline-partial"), Buffer.alloc(1000, 7));
    const want = seeded(5000, 4);
    const run = await transfer(dir, { files: [{ name: "p.bin", content_len: 5000, seed: 4 }] });
    assert.equal(run.senderCode, 0, JSON.stringify(run.sender));
    assert.equal(find(run.sender, "offer", 0).kind, 1);
    assert.deepEqual(
      [find(run.sender, "send", 0).offset, find(run.sender, "send", 0).note],
      [0, "the part there differed"],
    );
    assert.equal(sha256(readFileSync(join(dir, "p.bin"))), sha256(want));

    const wrong = await transfer(dir, { files: [{ name: "w.bin", content_len: 5000, seed: 5, wrong_digest: true }] });
    assert.equal(wrong.senderCode, 1);
    assert.equal(wrong.receiverCode, 1);
    assert.equal(find(wrong.sender, "verdict", 0).result, 2);
    assert.equal(existsSync(join(dir, "w.bin")), false);
    assert.equal(existsSync(join(dir, "w.bin.hotline-partial")), false);
  });

  test("another version or magic is refused at the opening, by both sides", async () => {
    const dir = freshDir();
    const version = await transfer(dir, { version: 2, files: [{ name: "v", content_hex: "00" }] });
    assert.equal(version.senderCode, 1);
    assert.equal(version.receiverCode, 1);
    assert.equal(find(version.sender, "hello").version, 1);
    const said = version.sender.find((e) => e.event === "error" && e.source === "receiver");
    assert.match(String(said?.message), /version 2/, JSON.stringify(version.sender));
    assert.match(String(find(version.receiver, "error").message), /version 2/);
    const magic = await transfer(dir, { magic: "GET ", files: [] });
    assert.equal(magic.senderCode, 1);
    assert.match(String(find(magic.receiver, "error").message), /^not a hotline sender/);
    find(magic.sender, "eof");
  });

  // Each misbehaviour the sender can play, and what an honest receiver makes of it.
  const MISBEHAVIOURS: readonly (readonly [what: string, script: object, receiverSays: RegExp | null])[] = [
    [
      "list_count_mismatch",
      { list_count_mismatch: true, files: [{ name: "m", content_hex: "00" }] },
      /LIST END says 2/,
    ],
    ["oversized_frame", { oversized_frame: true }, /a frame of 65537 bytes/],
    ["garbage_after_hello", { garbage_after_hello: true }, /a frame of \d+ bytes|frame 'G'/],
    [
      "ignore_offers on a refused name",
      { ignore_offers: true, files: [{ name: "../x", content_hex: "00" }] },
      /refused/,
    ],
    ["skip", { files: [{ name: "s", content_hex: "00", skip: true }] }, null],
    ["no_done", { no_done: true, files: [{ name: "n", content_hex: "00" }] }, null],
    [
      "order",
      {
        order: [1, 0],
        files: [
          { name: "o1", content_hex: "01" },
          { name: "o2", content_hex: "02" },
        ],
      },
      /for file 1 where 0 was due/,
    ],
    ["offset", { files: [{ name: "f", content_hex: "0102", offset: 1 }] }, /does not allow/],
    ["file_index", { files: [{ name: "i", content_hex: "00", file_index: 5 }] }, /FILE 5 where 0 was due/],
    ["list_total", { list_total: 99, files: [{ name: "t", content_hex: "00" }] }, /99 bytes/],
  ];
  for (const [what, script, receiverSays] of MISBEHAVIOURS) {
    test(`the sender's ${what} fails the transfer on both sides`, async () => {
      const run = await transfer(freshDir(), script);
      assert.equal(run.senderCode, 1, JSON.stringify(run.sender));
      assert.equal(run.receiverCode, 1, JSON.stringify(run.receiver));
      if (receiverSays) assert.match(String(find(run.receiver, "error").message), receiverSays);
      find(run.sender, "end");
    });
  }

  for (const script of [
    { silent: true },
    ...["after_hello", "before_list_end", "after_offers"].map((stall) => ({
      stall,
      files: [{ name: "x", content_hex: "00" }],
    })),
  ]) {
    test(`a sender that stalls (${JSON.stringify(script).slice(0, 40)}) is closed by the receiver's timeout, and sees the end`, async () => {
      const run = await transfer(freshDir(), script, ["--timeout", "1"]);
      assert.equal(run.receiverCode, 1);
      assert.equal(run.senderCode, 1);
      find(run.receiver, "timeout");
      find(run.sender, "eof");
    });
  }
});
