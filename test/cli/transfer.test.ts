/**
 * hotline send / hotline receive with the real binary on both sides: files and folder trees
 * arrive whole (SHA-256 per file), a transfer cut by the network, a killed receiver or a
 * killed sender is never a success and resumes from the partial file, existing files are
 * kept, a full disk is a clear error, TLS with a pin, --raw against netcat, bad input.
 */
import assert from "node:assert/strict";
import { createHash, randomFillSync } from "node:crypto";
import {
  chmodSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  utimesSync,
  watch,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, test } from "node:test";
import type { Child, Finished } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { gateProxy } from "../helpers/gate-proxy.js";
import { bash, has, HL as hl, hotline, listening, shellQuote as q } from "../helpers/hotline.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

/** `hotline receive DIR` on a free port, with no meter. */
function receiver(dir: string, extra: readonly string[] = [], lifetimeMs = 30_000): Child {
  return hotline(["receive", dir, "--port", "0", "--no-progress", ...extra], { lifetimeMs });
}

function sender(files: readonly string[], port: string | number, extra: readonly string[] = []): Child {
  return hotline(["send", ...files, "127.0.0.1", String(port), "--no-progress", ...extra], { lifetimeMs: 30_000 });
}

/** Writes files under `dir` from a map of relative names to contents. */
function tree(dir: string, files: Record<string, Buffer | string>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
}

/** Relative name -> SHA-256 of every file under `dir`. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[relative(dir, path)] = sha256(readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

/**
 * Waits, up to a deadline, for a file to hold at least `bytes`: checked at each change the
 * kernel reports in its folder (inotify through fs.watch), not on a timer.
 */
async function grows(path: string, bytes: number, ms = 15_000): Promise<void> {
  const big = (): boolean => existsSync(path) && statSync(path).size >= bytes;
  if (big()) return;
  const watcher = watch(dirname(path));
  try {
    await within(
      new Promise<void>((resolve) => {
        watcher.on("change", () => {
          if (big()) resolve();
        });
        if (big()) resolve(); // it may have grown before the watch began
      }),
      ms,
      `${path} to reach ${bytes} bytes`,
    );
  } finally {
    watcher.close();
  }
}

const MiB = 1024 * 1024;

/**
 * A 16 MiB transfer held part way: a gate proxy lets 4 MiB through, and this returns once
 * the receiver has written 2 MiB of the partial file, for the test to cut it there.
 */
async function heldTransfer(name = "f.bin", partial = `${name}.hotline-partial`) {
  const src = tempDir();
  const dst = tempDir();
  tree(src, { [name]: random(16 * MiB) });
  const recv = receiver(dst);
  const proxy = await gateProxy(Number(await listening(recv)), 4 * MiB);
  const send = sender([join(src, name)], proxy.port);
  await grows(join(dst, partial), 2 * MiB);
  return { src, dst, recv, proxy, send };
}

/** Kills a held transfer's sender, lets the rest of its bytes through, and gives how the receiver ended. */
async function senderKilled(held: Omit<Awaited<ReturnType<typeof heldTransfer>>, "src" | "dst">): Promise<Finished> {
  held.send.kill();
  await held.send.done();
  held.proxy.allow(Number.POSITIVE_INFINITY);
  const r = await held.recv.done();
  await held.proxy.close();
  return r;
}

/** Sends `files` again to a new receiver in `dst`: both succeed, and the receiver says it resumed. */
async function resumes(dst: string, files: readonly string[]): Promise<void> {
  const again = receiver(dst);
  const resend = await sender(files, await listening(again)).done();
  assert.equal(resend.code, 0, resend.stderr);
  const r = await again.done();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /: resuming after the .* already here/);
}

describe("send and receive: what arrives", () => {
  test("a file and a folder tree arrive whole, under their names, with their modes and times", async () => {
    const src = tempDir();
    const dst = tempDir();
    const big = random(9 * MiB + 17); // not a multiple of any buffer size
    tree(src, {
      "big.bin": big,
      "tree/a.txt": "hello\n",
      "tree/empty": "",
      "tree/deep/er/b.txt": "world\n",
      "tree/ünïcødé 名前.txt": "utf-8 names\n",
    });
    chmodSync(join(src, "tree/a.txt"), 0o755);
    const when = new Date("2020-02-29T12:34:56.789Z");
    utimesSync(join(src, "big.bin"), when, when);
    const recv = receiver(dst);
    const port = await listening(recv);
    const send = await sender([join(src, "big.bin"), join(src, "tree")], port).done();
    assert.equal(send.code, 0, send.stderr);
    const got = await recv.done();
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(hashes(dst), hashes(src));
    assert.equal(statSync(join(dst, "tree/a.txt")).mode & 0o777, 0o755, "the execute bits arrive");
    assert.equal(statSync(join(dst, "big.bin")).mtime.getTime(), when.getTime(), "the time arrives");
    assert.match(got.stderr, new RegExp(`saved big.bin \\(9.00 MiB, sha256 ${sha256(big)}\\)`));
    assert.match(got.stderr, /received 5 of 5 files/);
    assert.match(send.stderr, /sent 5 of 5 files/);
    assert.equal(readdirSync(dst).filter((n) => n.endsWith(".hotline-partial")).length, 0, "no partial left");
  });

  test("a folder of 1500 files of every size around the small-file bound arrives whole", async () => {
    const src = tempDir();
    const dst = tempDir();
    const files: Record<string, Buffer> = {};
    // Sizes around 64 KiB (read whole and batched) and above (streamed), and empty ones.
    const sizes = [0, 1, 65535, 65536, 65537, 70000, 300000];
    for (let i = 0; i < 1500; i++) {
      const size = sizes[i % sizes.length] as number;
      files[`many/d${i % 37}/f${i}.bin`] = random(Math.max(0, size - (i % 3)));
    }
    tree(src, files);
    const recv = receiver(dst, [], 60_000);
    const send = await sender([join(src, "many")], await listening(recv)).done(50_000);
    assert.equal(send.code, 0, send.stderr.slice(-500));
    assert.equal((await recv.done(50_000)).code, 0);
    assert.deepEqual(hashes(dst), hashes(src));
  });

  test("-k takes one sender after another", async () => {
    const dst = tempDir();
    const src = tempDir();
    tree(src, { "one.txt": "1\n", "two.txt": "2\n" });
    const recv = receiver(dst, ["-k"]);
    const port = await listening(recv);
    for (const name of ["one.txt", "two.txt"]) {
      const send = await sender([join(src, name)], port).done();
      assert.equal(send.code, 0, send.stderr);
    }
    assert.deepEqual(hashes(dst), hashes(src));
    recv.proc.kill("SIGINT");
    assert.equal((await recv.done()).code, 130);
  });

  test("over TLS, the receiver's throwaway certificate pinned by the sender", async () => {
    const src = tempDir();
    const dst = tempDir();
    tree(src, { "secret.bin": random(3 * MiB) });
    const recv = receiver(dst, ["--ssl"]);
    const [, pin] = await recv.line(/TLS certificate made for this run \(.*\): (sha256:[0-9a-f]{64})/);
    const port = await listening(recv);
    const refused = await sender([join(src, "secret.bin")], port, ["--ssl"]).done();
    assert.equal(refused.code, 1, "an unverified receiver is refused");
    assert.match(refused.stderr, /certificate verify failed/);
    // A failed handshake is a line on the receiver's stderr; it goes on answering.
    await recv.line(/certificate|handshake/);
    const send = await sender([join(src, "secret.bin")], port, ["--ssl-pin", pin as string]).done();
    assert.equal(send.code, 0, send.stderr);
    assert.equal((await recv.done()).code, 0);
    assert.deepEqual(hashes(dst), hashes(src));
  });

  test("through an HTTP proxy (hotline's own), over TLS pinned end to end", async () => {
    const src = tempDir();
    const dst = tempDir();
    tree(src, { "p/a.bin": random(3 * MiB + 5), "p/b.txt": "b\n" });
    const proxy = hotline(["-l", "127.0.0.1", "0", "--proxy-type", "http"], { lifetimeMs: 30_000 });
    const proxyPort = await listening(proxy);
    const recv = receiver(dst, ["--ssl"]);
    const [, pin] = await recv.line(/TLS certificate made for this run \(.*\): (sha256:[0-9a-f]{64})/);
    const port = await listening(recv);
    const via = ["--proxy", `127.0.0.1:${proxyPort}`, "--ssl-pin", pin as string];
    const send = await sender([join(src, "p")], port, via).done();
    const r = await recv.done();
    proxy.kill();
    await proxy.done();
    assert.equal(send.code, 0, send.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(send.stderr, /sent 2 of 2 files/);
    assert.deepEqual(hashes(dst), hashes(src));
  });
});

describe("send and receive: a transfer cut short", () => {
  test("reset by the network mid-file: failure on both sides, the partial kept; sending again resumes", async () => {
    const src = tempDir();
    const dst = tempDir();
    const data = random(24 * MiB);
    tree(src, { "f.bin": data });
    const recv = receiver(dst);
    const port = Number(await listening(recv));
    const proxy = await gateProxy(port, 8 * MiB);
    const send = sender([join(src, "f.bin")], proxy.port);
    await within(proxy.reached(8 * MiB), 15_000, "8 MiB through the proxy");
    await grows(join(dst, "f.bin.hotline-partial"), 6 * MiB);
    proxy.reset();
    const [s, r] = await Promise.all([send.done(), recv.done()]);
    await proxy.close();
    assert.equal(s.code, 1, s.stderr);
    assert.match(s.stderr, /transfer not complete: .*0 of 1 file confirmed \(f\.bin\)/);
    assert.doesNotMatch(s.stderr, /sent 1 of 1/);
    assert.equal(r.code, 1, r.stderr);
    const kept = /f\.bin: .* after (\d+) of 25165824 bytes; kept as f\.bin\.hotline-partial/.exec(r.stderr);
    assert.ok(kept, r.stderr);
    const partial = readFileSync(join(dst, "f.bin.hotline-partial"));
    assert.equal(partial.length, Number(kept[1]), "the message says what the partial holds");
    assert.ok(partial.equals(data.subarray(0, partial.length)), "the partial is a true prefix");
    assert.equal(existsSync(join(dst, "f.bin")), false, "nothing under the real name");

    const again = receiver(dst);
    const port2 = await listening(again);
    const resend = await sender([join(src, "f.bin")], port2).done();
    assert.equal(resend.code, 0, resend.stderr);
    const r2 = await again.done();
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /f\.bin: resuming after the .* already here/);
    assert.equal(sha256(readFileSync(join(dst, "f.bin"))), sha256(data));
    assert.equal(existsSync(join(dst, "f.bin.hotline-partial")), false);
    const moved = /received 1 of 1 file: (\S+) (\S+) in/.exec(r2.stderr);
    assert.ok(moved && !(moved[2] === "MiB" && Number(moved[1]) >= 24), `only the rest moved: ${r2.stderr}`);
  });

  test("a partial file that is not a prefix of the sender's file is sent again from the start, and said so", async () => {
    const src = tempDir();
    const dst = tempDir();
    const data = random(3 * MiB);
    tree(src, { "f.bin": data });
    const stale = Buffer.from(data.subarray(0, MiB));
    stale[12345] = (stale[12345] ?? 0) ^ 1; // one bit differs
    writeFileSync(join(dst, "f.bin.hotline-partial"), stale);
    const recv = receiver(dst);
    const send = await sender([join(src, "f.bin")], await listening(recv)).done();
    const r = await recv.done();
    assert.equal(send.code, 0, send.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(send.stderr, /f\.bin: the part on the receiver differs from this file; sending it from the start/);
    assert.match(r.stderr, /f\.bin: the part here differs; starting again/);
    assert.deepEqual(readFileSync(join(dst, "f.bin")), data);
  });

  test("the receiver killed mid-file: the sender never reports success", async () => {
    const { src, dst, recv, proxy, send } = await heldTransfer();
    recv.kill();
    const s = await send.done();
    await proxy.close();
    assert.equal(s.code, 1, s.stderr);
    assert.match(s.stderr, /transfer not complete/);
    // A new receiver takes the rest.
    await resumes(dst, [join(src, "f.bin")]);
    assert.deepEqual(hashes(dst), hashes(src));
  });

  test("the sender killed mid-file: the receiver keeps the partial and says how much arrived; sending again resumes", async () => {
    const { src, dst, ...held } = await heldTransfer();
    const r = await senderKilled(held);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /transfer not complete: the line ended/);
    assert.match(r.stderr, /f\.bin: the line ended after \d+ of 16777216 bytes; kept as f\.bin\.hotline-partial/);
    assert.equal(existsSync(join(dst, "f.bin")), false);
    await resumes(dst, [join(src, "f.bin")]);
    assert.deepEqual(hashes(dst), hashes(src));
  });

  test("names of 240 to 255 bytes (too long for the suffix): the partial's name is shortened, and found again", async () => {
    const long = `${"n".repeat(246)}.bin`; // 250 bytes: with ".hotline-partial", 266
    const tag = createHash("sha256").update(long).digest("hex").slice(0, 16);
    const partial = `${long.slice(0, 255 - 33)}~${tag}.hotline-partial`; // docs/protocol.md
    const { src, dst, ...held } = await heldTransfer(long, partial);
    const r = await senderKilled(held);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /: the line ended after \d+ of 16777216 bytes; kept as n+…\(\+\d+ bytes\) \(send it again/);
    assert.deepEqual(readdirSync(dst), [partial]);
    // Again, beside a 255-byte name and a short one: all saved, the cut one resumed.
    const longest = `${"m".repeat(251)}.txt`;
    tree(src, { [longest]: "m\n", "short.txt": "s\n" });
    await resumes(dst, [join(src, long), join(src, longest), join(src, "short.txt")]);
    assert.deepEqual(hashes(dst), hashes(src));
  });
});

describe("send and receive: Ctrl-C", () => {
  test("the receiver interrupted mid-file keeps the partial and exits 130; the sender fails", async () => {
    const { recv, proxy, send } = await heldTransfer();
    recv.proc.kill("SIGINT");
    const [r, s] = await Promise.all([recv.done(), send.done()]);
    await proxy.close();
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /f\.bin: interrupted after \d+ of 16777216 bytes; kept as f\.bin\.hotline-partial/);
    assert.equal(s.code, 1, s.stderr);
    assert.match(s.stderr, /transfer not complete/);
  });

  test("the sender interrupted mid-file exits 130 and claims nothing", async () => {
    const { recv, proxy, send } = await heldTransfer();
    send.proc.kill("SIGINT");
    const s = await send.done();
    proxy.allow(Number.POSITIVE_INFINITY);
    const r = await recv.done();
    await proxy.close();
    assert.equal(s.code, 130, s.stderr);
    assert.match(s.stderr, /transfer not complete: interrupted; 0 of 1 file confirmed/);
    assert.equal(r.code, 1, r.stderr);
  });
});

describe("send and receive: files already there", () => {
  test("never replaced without --overwrite; the same file is 'already here'; --overwrite replaces", async () => {
    const src = tempDir();
    const dst = tempDir();
    tree(src, { "same.txt": "same\n", "other.txt": "new content\n", "size.txt": "abc\n" });
    tree(dst, { "same.txt": "same\n", "other.txt": "old content\n", "size.txt": "a longer old one\n" });
    const before = hashes(dst);
    const files = ["same.txt", "other.txt", "size.txt"].map((n) => join(src, n));
    const recv = receiver(dst);
    const send = await sender(files, await listening(recv)).done();
    const r = await recv.done();
    assert.equal(send.code, 1, "two files were not delivered");
    assert.equal(r.code, 1);
    assert.deepEqual(hashes(dst), before, "nothing replaced");
    assert.match(r.stderr, /same\.txt: already here, the same/);
    assert.match(send.stderr, /same\.txt: already on the receiver, the same/);
    assert.match(send.stderr, /other\.txt: not sent: a different file of that name is on the receiver/);
    assert.match(r.stderr, /size\.txt: refused: a different file of that name is here \(--overwrite replaces it\)/);

    const recv2 = receiver(dst, ["--overwrite"]);
    const send2 = await sender(files, await listening(recv2)).done();
    assert.equal(send2.code, 0, send2.stderr);
    assert.equal((await recv2.done()).code, 0);
    assert.deepEqual(hashes(dst), hashes(src));
  });
});

describe("send and receive: the summary lines", () => {
  test("a file sent: both sides give the size, time, rate and SHA-256; a file already there: both still confirm it", async () => {
    const src = tempDir();
    const dst = tempDir();
    const data = random(300 * 1024);
    const digest = sha256(data);
    tree(src, { "f.bin": data });
    const recv = receiver(dst);
    const send = await sender([join(src, "f.bin")], await listening(recv)).done();
    const r = await recv.done();
    assert.equal(send.code, 0, send.stderr);
    assert.equal(r.code, 0, r.stderr);
    const rate = String.raw`in \d+\.\d s \([\d.]+ \S+/s\), sha256 ${digest}\n`;
    assert.match(send.stderr, new RegExp(`sent 1 of 1 file: 300 KiB ${rate}`));
    assert.match(r.stderr, new RegExp(`received 1 of 1 file: 300 KiB ${rate}`));

    const again = receiver(dst);
    const resend = await sender([join(src, "f.bin")], await listening(again)).done();
    const r2 = await again.done();
    assert.equal(resend.code, 0, resend.stderr);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(resend.stderr, new RegExp(`sent 1 of 1 file: 0 B ${rate}`));
    assert.match(r2.stderr, new RegExp(`received 0 of 1 file \\(1 already here, the same\\): 0 B ${rate}`));
  });

  test("--quiet: a transfer that went well prints nothing but where the receiver listens", async () => {
    const src = tempDir();
    const dst = tempDir();
    tree(src, { "a/b.txt": "b\n", "c.txt": "c\n" });
    const recv = receiver(dst, ["--quiet"]);
    const send = await sender([join(src, "a"), join(src, "c.txt")], await listening(recv), ["--quiet"]).done();
    const r = await recv.done();
    assert.equal(send.code, 0, send.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(send.stderr, "");
    assert.match(r.stderr, /^hotline: listening on 127\.0\.0\.1:\d+ \(tcp\)\n$/);
    assert.deepEqual(hashes(dst), hashes(src));
  });
});

describe("send and receive: links in DIR are never followed", () => {
  test("a name through a linked folder, or onto a link, is refused; nothing is written outside DIR", async () => {
    const src = tempDir();
    const dst = tempDir();
    const outside = tempDir();
    tree(src, { "box/evil/x.txt": "through a link\n", "box/trap.txt": "onto a link\n", "box/fine.txt": "fine\n" });
    mkdirSync(join(dst, "box"));
    symlinkSync(outside, join(dst, "box", "evil"));
    symlinkSync(join(outside, "trap.txt"), join(dst, "box", "trap.txt"));
    const recv = receiver(dst);
    const send = await sender([join(src, "box")], await listening(recv)).done();
    const r = await recv.done();
    assert.equal(send.code, 1, "two files were refused");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /box\/evil\/x\.txt: refused: box\/evil is a symbolic link here \(never followed\)/);
    assert.match(r.stderr, /box\/trap\.txt: refused: a symbolic link of that name is here \(never followed\)/);
    assert.match(send.stderr, /box\/evil\/x\.txt: refused by the receiver/);
    assert.deepEqual(readdirSync(outside), [], "nothing outside DIR");
    assert.equal(readFileSync(join(dst, "box", "fine.txt"), "utf8"), "fine\n", "the rest goes on");
  });

  test("a folder swapped for a link during the transfer: nothing is written through it", async () => {
    const src = tempDir();
    const dst = tempDir();
    const outside = tempDir();
    tree(src, { "box/a.bin": random(16 * MiB), "box/b.txt": "after the swap\n" });
    mkdirSync(join(dst, "box")); // there from the start, so its growing partial can be watched
    const recv = receiver(dst);
    const proxy = await gateProxy(Number(await listening(recv)), 4 * MiB);
    const send = sender([join(src, "box")], proxy.port);
    let s: Finished;
    let r: Finished;
    try {
      await grows(join(dst, "box", "a.bin.hotline-partial"), 2 * MiB);
      // Someone who can write in DIR swaps box, checked already, for a link out.
      renameSync(join(dst, "box"), join(dst, "moved"));
      symlinkSync(outside, join(dst, "box"));
      proxy.allow(Number.POSITIVE_INFINITY);
      [s, r] = await Promise.all([send.done(), recv.done()]);
    } finally {
      await proxy.close();
    }
    assert.equal(s.code, 1, s.stderr);
    assert.equal(r.code, 1, r.stderr);
    // The file in flight is not renamed through the link; the next has no folder made through it.
    assert.match(
      r.stderr,
      /box\/a\.bin: could not be put in place: its partial file was moved or replaced during the transfer/,
    );
    assert.match(r.stderr, /box\/b\.txt: could not be written: a folder of its name became a link during the transfer/);
    assert.deepEqual(readdirSync(outside), [], "nothing outside DIR");
    assert.deepEqual(readdirSync(join(dst, "moved")), ["a.bin.hotline-partial"], "what arrived is kept where it went");
  });
});

describe("send and receive: a full disk", () => {
  test("refused before any byte when the size is known; a disk that fills meanwhile is a clear error", async (t) => {
    const dir = tempDir();
    const mount = await bash(`mount -t tmpfs -o size=4m tmpfs ${q(dir)}`).done();
    if (mount.code !== 0) {
      t.skip(`cannot mount a small tmpfs here: ${mount.stderr.trim()}`);
      return;
    }
    try {
      const src = tempDir();
      tree(src, { "big.bin": random(6 * MiB), "three.bin": random(3 * MiB) });
      const recv = receiver(dir);
      const send = await sender([join(src, "big.bin")], await listening(recv)).done();
      const r = await recv.done();
      assert.equal(send.code, 1);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /not enough space in .*: 6\.00 MiB to write, .* free/);
      assert.match(send.stderr, /the receiver gave up: not enough space/);
      assert.deepEqual(readdirSync(dir), [], "nothing written");

      // 3 MiB fits when offered; the disk is then filled before the content comes.
      const recv2 = receiver(dir);
      const port = Number(await listening(recv2));
      const proxy = await gateProxy(port, 0);
      const send2 = sender([join(src, "three.bin")], proxy.port);
      proxy.allow(200); // the opening and the list, not the content
      await within(proxy.returned(5 + 51), 10_000, "the receiver's opening and offer"); // offered: space checked
      await recv2.line(/sends 1 file/);
      writeFileSync(join(dir, "filler"), Buffer.alloc(3 * MiB));
      proxy.allow(Number.POSITIVE_INFINITY);
      const [s2, r2] = await Promise.all([send2.done(), recv2.done()]);
      await proxy.close();
      assert.equal(s2.code, 1, s2.stderr);
      assert.equal(r2.code, 1, r2.stderr);
      assert.match(r2.stderr, /three\.bin: could not be written: no space left on device/i);
      assert.equal(existsSync(join(dir, "three.bin")), false, "never named");
    } finally {
      await bash(`umount ${q(dir)}`).done();
    }
  });
});

describe("send and receive: --raw, with netcat", () => {
  test("hotline send --raw into nc -l, and nc into hotline receive --raw", async (t) => {
    if (!has("nc")) {
      t.skip("nc (netcat-openbsd) is not installed");
      return;
    }
    const src = tempDir();
    const data = random(5 * MiB + 3);
    tree(src, { "f.bin": data });
    const out = join(src, "out.bin");
    // nc -l on a port of our choosing: take a free one from the system first.
    const probe = hotline(["listen", "127.0.0.1", "0"], { lifetimeMs: 5000 });
    const port = await listening(probe);
    probe.kill();
    await probe.done();
    const nc = bash(`nc -l 127.0.0.1 ${port} > ${q(out)} < /dev/null`, { lifetimeMs: 20_000 });
    let sent: Awaited<ReturnType<Child["done"]>> | null = null;
    for (let attempt = 0; attempt < 200 && sent === null; attempt++) {
      const s = await sender([join(src, "f.bin")], port, ["--raw"]).done();
      if (s.code === 0) sent = s;
      else if (!/refused/.test(s.stderr)) assert.fail(s.stderr);
    }
    assert.ok(sent, "nc never answered");
    assert.match(
      sent.stderr,
      new RegExp(`sent 5.00 MiB .* sha256 ${sha256(data)}; --raw: the receiver cannot confirm it`),
    );
    assert.equal((await nc.done()).code, 0);
    assert.equal(sha256(readFileSync(out)), sha256(data));

    const recv = hotline(["receive", "--raw", "--port", "0", "--no-progress"], { lifetimeMs: 20_000 });
    const port2 = await listening(recv);
    const ncSend = await bash(`nc -N 127.0.0.1 ${port2} < ${q(join(src, "f.bin"))}`).done();
    assert.equal(ncSend.code, 0, ncSend.stderr);
    const r = await recv.done();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(r.stdout), sha256(data));
    assert.match(r.stderr, new RegExp(`received 5.00 MiB \\(${data.length} bytes\\) in .* sha256 ${sha256(data)}`));
  });
});

describe("send and receive: bad input", () => {
  test("a missing file, a missing folder, --raw with two files, and usage mistakes are exit 2 with one line", async () => {
    const src = tempDir();
    tree(src, { "a.txt": "a", "b.txt": "b" });
    const cases: [string[], RegExp][] = [
      [["send", join(src, "nope.txt"), "127.0.0.1", "9"], /nope\.txt: no such file or folder/],
      [["receive", join(src, "no", "where"), "--port", "0"], /no\/where: no such folder/],
      [["receive", join(src, "a.txt"), "--port", "0"], /a\.txt: not a folder/],
      [["send", "--raw", join(src, "a.txt"), join(src, "b.txt"), "127.0.0.1"], /--raw sends one FILE/],
      [["send", join(src, "a.txt")], /send needs FILE\.\.\. and HOST/],
      [["send", join(src, "a.txt"), join(src, "a.txt"), "127.0.0.1"], /two files would have the same name/],
      [["receive", "--overwrite", "--raw", "--port", "0"], /--overwrite does not apply to --raw/],
      [["send", "--overwrite", join(src, "a.txt"), "127.0.0.1"], /--overwrite does not apply to 'hotline send'/],
      [["receive", "--ssl-pin", `sha256:${"0".repeat(64)}`], /--ssl-pin does not apply to 'hotline receive'/],
    ];
    for (const [args, pattern] of cases) {
      const r = await hotline(args).done();
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length <= 2, true, `one line (and the usage hint): ${r.stderr}`);
    }
  });

  test("a DIR that is not there is made when the folder it would be in is (only the last part)", async () => {
    const src = tempDir();
    const root = tempDir();
    tree(src, { "a.txt": "a\n" });
    const inbox = join(root, "inbox");
    const recv = receiver(inbox);
    await recv.line(/hotline: made the folder .*inbox/);
    const send = await sender([join(src, "a.txt")], await listening(recv)).done();
    const r = await recv.done();
    assert.equal(send.code, 0, send.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(inbox, "a.txt"), "utf8"), "a\n");
  });

  test("a caller that does not speak the protocol gets nothing written, and a clear line", async () => {
    const dst = tempDir();
    const recv = receiver(dst);
    const port = await listening(recv);
    // The caller is answered with an ERROR message, which it shows, and the line ends.
    const talk = await bash(`printf 'GET / HTTP/1.1\\r\\n\\r\\n' | ${hl} connect 127.0.0.1 ${port}`).done();
    assert.match(talk.stdout.toString("latin1"), /^E\0\0\0.not a hotline file transfer \(it began with "GET \/"\)$/s);
    const r = await recv.done();
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /transfer not complete: protocol error: not a hotline file transfer \(it began with "GET \/"\)/,
    );
    assert.deepEqual(readdirSync(dst), []);
  });

  test("sending to something that is not a receiver fails, never claims success", async () => {
    const src = tempDir();
    tree(src, { "a.txt": "a\n" });
    const listener = hotline(["listen", "127.0.0.1", "0"], { stdin: "HTTP/1.1 400 Bad Request\r\n\r\n" });
    const port = await listening(listener);
    const send = await sender([join(src, "a.txt")], port).done();
    assert.equal(send.code, 1, send.stderr);
    assert.match(send.stderr, /not a hotline file transfer/);
    await listener.done();
  });

  test("sending to a listener that never answers says what may be there, and goes on waiting", async () => {
    const src = tempDir();
    tree(src, { "a.txt": "a\n" });
    // A plain listener, as `nc -l` would be: it reads and says nothing.
    const listener = hotline(["listen", "127.0.0.1", "0"]);
    const send = sender([join(src, "a.txt")], await listening(listener));
    await send.line(
      /no answer from a hotline receiver yet: .*plain netcat never will \(send to it with --raw\)/,
      15_000,
    );
    assert.equal(send.proc.exitCode, null, "the sender still waits: a busy -k receiver answers later");
    send.kill();
    listener.kill();
    const [s, l] = await Promise.all([send.done(), listener.done()]);
    assert.doesNotMatch(s.stderr, /sent 1 of 1/);
    assert.equal(l.stdout.subarray(0, 5).toString("latin1"), "HLFT\x01", "the sender spoke first");
  });
});

describe("send and receive: a large transfer", () => {
  test("1 GiB of random bytes, SHA-256 equal", async () => {
    const src = tempDir();
    const dst = tempDir();
    const path = join(src, "gig.bin");
    // Written in 16 MiB pieces, each of fresh random bytes, hashed as written.
    const hash = createHash("sha256");
    const piece = Buffer.allocUnsafe(16 * MiB);
    writeFileSync(path, "");
    for (let i = 0; i < 64; i++) {
      randomFillSync(piece);
      hash.update(piece);
      writeFileSync(path, piece, { flag: "a" });
    }
    const recv = receiver(dst, [], 120_000);
    const send = hotline(["send", path, "127.0.0.1", await listening(recv), "--no-progress"], { lifetimeMs: 120_000 });
    const [s, r] = await Promise.all([send.done(110_000), recv.done(110_000)]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(r.code, 0, r.stderr);
    const digest = hash.digest("hex");
    assert.match(r.stderr, new RegExp(`sha256 ${digest}`));
    const check = createHash("sha256");
    for await (const chunk of createReadStream(join(dst, "gig.bin"), { highWaterMark: 4 * MiB })) check.update(chunk);
    assert.equal(check.digest("hex"), digest);
  });
});
