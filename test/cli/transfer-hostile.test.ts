/**
 * The real `hotline receive` against a sender written apart from hotline, in Python
 * (test/fixtures/python/hlft_sender.py), that misbehaves on purpose: unsafe names, a wrong
 * digest, a cut in mid-file, broken framing, silence. Nothing is written outside DIR, no
 * false file takes a name, every refusal is one line with the name escaped, and a -k
 * receiver goes on to the next sender. And `hotline send` against the Python receiver.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type Child, type Finished, python } from "../helpers/child.js";
import { has, hotline, listening } from "../helpers/hotline.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";
import { tempDir } from "../helpers/transports.js";

const SENDER = `${PYTHON_FIXTURES}hlft_sender.py`;
const RECEIVER = `${PYTHON_FIXTURES}hlft_receiver.py`;
const skip = !has("python3") && "python3 is not installed";

/** The fixture's seeded content: SHAKE-256 of the seed's text, `length` bytes. */
function seeded(seed: number, length: number): Buffer {
  return createHash("shake256", { outputLength: length }).update(String(seed)).digest();
}

function receiver(dir: string, extra: readonly string[] = []): Child {
  return hotline(["receive", dir, "--port", "0", "--no-progress", ...extra], { lifetimeMs: 30_000 });
}

/** Runs the Python sender with `script`; resolves with its JSON events and exit code. */
async function hostile(
  port: string,
  script: object,
): Promise<{ code: number | null; events: Record<string, unknown>[] }> {
  const child = python(SENDER, ["127.0.0.1", port, "--timeout", "10"], {
    stdin: JSON.stringify(script),
    lifetimeMs: 25_000,
  });
  const done = await child.done(24_000);
  const events = done.stdout
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: done.code, events };
}

describe("hotline receive against a hostile sender", { skip }, () => {
  test("unsafe names are refused one by one, never written outside DIR, shown escaped; the rest arrives", async () => {
    const root = tempDir();
    const dir = join(root, "inbox");
    mkdirSync(dir);
    const names: [string | { hex: string }, RegExp][] = [
      ["../escape.txt", /\.\.\/escape\.txt: refused: the name has a '\.\.' part/],
      ["/etc/hotline-test", /\/etc\/hotline-test: refused: the name starts with '\/'/],
      ["a/../../b.txt", /a\/\.\.\/\.\.\/b\.txt: refused: the name has a '\.\.' part/],
      [
        "\u001b[2Jwiped\u0007",
        /\\u\{001b\}\[2Jwiped\\u\{0007\}: refused: the name holds a control character \(U\+001B\)/,
      ],
      ["evil\u202eexe.txt", /evil\\u\{202e\}exe\.txt: refused: the name holds a bidirectional control \(U\+202E\)/],
      [{ hex: "ff6e616d65" }, /\\xffname: refused: the name is not valid UTF-8/],
      ["x.hotline-partial", /x\.hotline-partial: refused: the name has a part ending in \.hotline-partial/],
      ["back\\slash", /back\\\\slash: refused: the name holds '\\'/],
      ["a".repeat(300), /refused: the name has a part longer than 255 bytes/],
      [{ hex: "610062" }, /a\\u\{0000\}b: refused: the name holds a NUL \(U\+0000\)/],
      ["", /refused: the name is empty/],
      [".", /\.: refused: the name has a '\.' part/],
      ["a//b", /a\/\/b: refused: the name has an empty part/],
      ["a/", /a\/: refused: the name has an empty part/],
      [`d/${"x".repeat(4095)}`, /refused: the name is longer than 4096 bytes/],
      ["good/twice.txt", /./], // accepted the first time...
      ["good/twice.txt", /good\/twice\.txt: refused: the name comes twice in this transfer/],
      ["good/twice.txt/under", /refused: good\/twice\.txt is a file of this transfer, not a folder/],
    ];
    const files = names.map(([name], i) => ({
      ...(typeof name === "string" ? { name } : { name_hex: name.hex }),
      content_len: 100 + i,
      seed: i,
    }));
    const recv = receiver(dir);
    const sent = await hostile(await listening(recv), { files });
    const r = await recv.done();
    assert.equal(r.code, 1, "refusals make the transfer a failure");
    assert.equal(sent.code, 1);
    for (const [name, pattern] of names.slice(0, -3).concat(names.slice(-2))) {
      assert.match(r.stderr, pattern, JSON.stringify(name));
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control may reach the terminal
    assert.doesNotMatch(r.stderr.replace(/\n/g, ""), /[\u0000-\u001f\u007f-\u009f\u202e]/, "nothing raw on stderr");
    assert.deepEqual(readdirSync(root), ["inbox"], "nothing beside DIR");
    assert.deepEqual(readdirSync(dir), ["good"]);
    const good = names.findIndex(([name]) => name === "good/twice.txt"); // the first one arrives
    assert.deepEqual(readFileSync(join(dir, "good", "twice.txt")), seeded(good, 100 + good));
    const refused = sent.events.filter((e) => e.event === "offer" && e.kind === 3).length;
    assert.equal(refused, names.length - 1, "every unsafe name was refused in its offer");
  });

  test("a wrong digest: the file is not put in place, no partial is kept, the verdict says so", async () => {
    const dir = tempDir();
    const recv = receiver(dir);
    const sent = await hostile(await listening(recv), {
      files: [
        { name: "forged.bin", content_len: 200_000, seed: 1, wrong_digest: true },
        { name: "honest.bin", content_len: 1000, seed: 2 },
      ],
    });
    const r = await recv.done();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /forged\.bin: SHA-256 mismatch: what arrived is not what was sent; not saved/);
    assert.deepEqual(readdirSync(dir), ["honest.bin"]);
    const verdict = sent.events.find((e) => e.event === "verdict" && e.index === 0);
    assert.equal(verdict?.result, 2);
  });

  test("a cut in mid-file keeps a true prefix; the next sender resumes from it", async () => {
    const dir = tempDir();
    const file = { name: "movie.bin", content_len: 3_000_000, seed: 5 };
    const recv = receiver(dir);
    const cut = await hostile(await listening(recv), { files: [{ ...file, cut_after: 1_234_567, reset: true }] });
    const r = await recv.done();
    assert.equal(r.code, 1);
    assert.equal(cut.code, 1);
    const partial = readFileSync(join(dir, "movie.bin.hotline-partial"));
    assert.ok(partial.length > 0 && partial.length <= 1_234_567, `partial of ${partial.length} bytes`);
    assert.deepEqual(partial, seeded(5, 3_000_000).subarray(0, partial.length));

    const again = receiver(dir);
    const resumed = await hostile(await listening(again), { files: [file] });
    const r2 = await again.done();
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(resumed.code, 0);
    const offer = resumed.events.find((e) => e.event === "offer");
    assert.equal(offer?.kind, 1);
    assert.equal(offer?.offset, partial.length);
    assert.deepEqual(readFileSync(join(dir, "movie.bin")), seeded(5, 3_000_000));
    assert.equal(existsSync(join(dir, "movie.bin.hotline-partial")), false);
  });

  test("broken framing and silence: one line each, and a -k receiver goes on to the next sender", async () => {
    const dir = tempDir();
    const recv = receiver(dir, ["-k", "-i", "1"]);
    const port = await listening(recv);
    const cases: [object, RegExp][] = [
      [{ magic: "HTTP", files: [] }, /protocol error: not a hotline file transfer \(it began with "HTTP\\u0001"\)/],
      [{ version: 2, files: [] }, /the sender speaks version 2 of the file protocol; this hotline speaks 1/],
      [{ oversized_frame: 70000, files: [] }, /protocol error: a message of 70000 bytes \(at most 65536\)/],
      [
        { list_count_mismatch: true, files: [{ name: "a", content_len: 1 }] },
        /protocol error: the list ends with 2 files and 1 bytes, but held 1 and 1/,
      ],
      [
        { garbage_after_hello: true, files: [] },
        /protocol error: (message \d+ before the end of the list|a message of)/,
      ],
      [{ silent: true }, /transfer not complete: nothing moved for 1 s \(-i\)/],
      [
        { files: [{ name: "a", offset: 5, content_len: 10 }] },
        /protocol error: DATA for file 0 from 5, which was not offered/,
      ],
    ];
    for (const [script, pattern] of cases) {
      const before = recv.stderr.length;
      const sent = await hostile(port, script);
      assert.equal(sent.code, 1, JSON.stringify(script));
      await recv.line(/transfer not complete: [^\n]*\n/, 5000);
      const said = recv.stderr.slice(before);
      assert.match(said, pattern, JSON.stringify(script));
    }
    // After all that, an honest sender is served.
    const ok = await hostile(port, { files: [{ name: "after.bin", content_len: 5000, seed: 3 }] });
    assert.equal(ok.code, 0);
    assert.deepEqual(readFileSync(join(dir, "after.bin")), seeded(3, 5000));
    recv.proc.kill("SIGINT");
    assert.equal((await recv.done()).code, 130);
  });
});

/**
 * DIR changed by someone else between the receiver's offers and the content (the offers go
 * out when the list arrives, a file's content maybe hours later): the Python sender holds
 * after the offers while the test changes DIR, then sends.
 */
describe("hotline receive when DIR changes between the offers and the content", { skip }, () => {
  const SIZE = 1 << 20;
  const HALF = SIZE / 2;

  /** Runs the held sender against a receiver of `dir`: `change` runs while it holds. */
  async function heldTransfer(
    dir: string,
    change: () => void,
  ): Promise<{ receiver: Finished; sender: number | null; events: Record<string, unknown>[] }> {
    const script = join(tempDir(), "script.json");
    writeFileSync(
      script,
      JSON.stringify({ files: [{ name: "b.bin", content_len: SIZE, seed: 7 }], hold_after_offers: true }),
    );
    const recv = receiver(dir);
    const sender = python(SENDER, ["127.0.0.1", await listening(recv), "--timeout", "10", "--script", script], {
      lifetimeMs: 25_000,
    });
    await sender.line(/"event": "held"/);
    change();
    sender.proc.stdin?.end("go\n");
    const receiver_ = await recv.done();
    const sent = await sender.done();
    const events = sent.stdout
      .toString("utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { receiver: receiver_, sender: sent.code, events };
  }

  /** DIR with the first half of b.bin as its partial file. */
  function withHalf(): string {
    const dir = tempDir();
    writeFileSync(join(dir, "b.bin.hotline-partial"), seeded(7, SIZE).subarray(0, HALF));
    return dir;
  }

  const changes: [string, (partial: string) => void][] = [
    ["removed", (partial) => unlinkSync(partial)],
    [
      "replaced by other bytes of the same length",
      (partial) => {
        writeFileSync(`${partial}.new`, Buffer.alloc(HALF, 0x41));
        renameSync(`${partial}.new`, partial);
      },
    ],
    ["written to in place", (partial) => writeFileSync(partial, Buffer.alloc(HALF, 0x42), { flag: "r+" })],
  ];
  for (const [what, change] of changes) {
    test(`a partial file offered for a resume and then ${what}: the file fails, nothing false takes its name`, async () => {
      const dir = withHalf();
      const partial = join(dir, "b.bin.hotline-partial");
      const { receiver: r, sender, events } = await heldTransfer(dir, () => change(partial));
      const offer = events.find((e) => e.event === "offer");
      assert.equal(offer?.kind, 1, "offered as a partial file");
      assert.equal(offer?.offset, HALF);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(sender, 1);
      assert.match(
        r.stderr,
        /b\.bin: could not be written: its partial file changed since it was offered \(send it again\)/,
      );
      assert.equal(existsSync(join(dir, "b.bin")), false, "no file took the name");
      const verdict = events.find((e) => e.event === "verdict");
      assert.notEqual(verdict?.result, 0, "the sender is not told it was saved");
    });
  }

  test("a FIFO put where the partial file goes: that file fails at once, the receiver never blocks on it", async () => {
    const dir = tempDir();
    const { receiver: r, sender } = await heldTransfer(dir, () => {
      execFileSync("mkfifo", [join(dir, "b.bin.hotline-partial")]);
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(sender, 1);
    assert.match(r.stderr, /b\.bin: could not be written: its partial file is here and is not a plain file/);
    assert.equal(existsSync(join(dir, "b.bin")), false);
  });

  test("a partial file left as it was is resumed: the check lets the honest case through", async () => {
    const dir = withHalf();
    const { receiver: r, sender } = await heldTransfer(dir, () => {});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sender, 0);
    assert.match(r.stderr, /b\.bin: resuming after the 512 KiB already here/);
    assert.deepEqual(readFileSync(join(dir, "b.bin")), seeded(7, SIZE));
  });
});

describe("hotline send against the Python receiver", { skip }, () => {
  test("files arrive whole; the Python receiver's resume offer is honoured", async () => {
    const src = tempDir();
    const dst = tempDir();
    const data = seeded(11, 2_000_000);
    writeFileSync(join(src, "f.bin"), data);
    writeFileSync(join(dst, "f.bin.hotline-partial"), data.subarray(0, 700_000));
    const py = python(RECEIVER, [dst, "--port", "0", "--timeout", "10"], { lifetimeMs: 25_000 });
    const [, port = ""] = await py.line(/"event": ?"listening", ?"port": ?(\d+)/);
    const send = await hotline(["send", join(src, "f.bin"), "127.0.0.1", port, "--no-progress"]).done();
    assert.equal(send.code, 0, send.stderr);
    const done = await py.done();
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout.toString("utf8"), /"event": ?"offer"[^\n]*"kind": ?1/);
    assert.deepEqual(readFileSync(join(dst, "f.bin")), data);
    assert.match(send.stderr, /sent 1 of 1 file: 1\.23 MiB/, "only the rest was sent");
  });
});
