/**
 * --broker with the real binary: the relay among callers (SHA-256), stdin to every caller,
 * a frozen reader cut while the others go on at full speed with the listener's memory
 * bounded, a TLS reader that keeps up never cut by a sender at full speed, --max-conns and
 * a slot freed by a caller that vanished with RST, keepalive armed for one that vanishes
 * without a word, an interrupt's goodbye (FIN at once to whoever has everything, a reset
 * only for a caller still owed bytes), and what is refused as ncat refuses it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import * as ssl from "../../src/ssl/index.js";
import { testPki } from "../helpers/certs.js";
import { Child } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { bash, HL, hotline, listening, shellQuote } from "../helpers/hotline.js";
import { procNetReadable, tcpTimer } from "../helpers/proc-net.js";
import { watchRss } from "../helpers/rss.js";
import { tempDir } from "../helpers/transports.js";
import { eventually, within } from "../helpers/within.js";

async function dial(port: string | number): Promise<socket.Socket> {
  const s = socket.socket();
  s.settimeout(20);
  await s.connect(["127.0.0.1", Number(port)]);
  return s;
}

/** A TLS caller that verifies the listener by the test CA. */
async function dialTls(port: string | number): Promise<socket.Socket> {
  const context = ssl.createDefaultContext();
  context.loadVerifyLocations({ cafile: testPki().ca.certPath });
  const s = await context.wrapSocket(await dial(port), { serverHostname: "127.0.0.1" });
  s.settimeout(20);
  return s;
}

/** Reads until `bytes` have come; resolves to their SHA-256 (and fails on more, or an early end). */
async function receive(s: socket.Socket, bytes: number): Promise<string> {
  const hash = createHash("sha256");
  let got = 0;
  while (got < bytes) {
    const chunk = await s.recv(Math.min(256 * 1024, bytes - got));
    if (!chunk) throw new Error(`the end of stream after ${got} of ${bytes} bytes`);
    hash.update(chunk);
    got += chunk.length;
  }
  return hash.digest("hex");
}

/** Waits until the listener's -v has counted `n` callers on the line. */
const onTheLine = (listener: Child, n: number): Promise<RegExpMatchArray> =>
  listener.line(new RegExp(`\\(${n} on the line\\)`));

/** A Python caller that never reads, with a 4 KiB receive buffer, until its stdin ends; then says how its line ended. */
const FROZEN = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
print("connected", flush=True)
sys.stdin.read()
try:
    while s.recv(65536):
        pass
    print("eof", flush=True)
except ConnectionResetError:
    print("reset", flush=True)
`;

/**
 * A Python TLS caller that, once its stdin gives a line, sends FILE as fast as it can, then
 * says "sent" and stays until its stdin ends.
 */
const TLS_SENDER = `
import socket, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[2])
s = context.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
print("connected", flush=True)
sys.stdin.readline()
with open(sys.argv[3], "rb") as f:
    while True:
        block = f.read(1 << 20)
        if not block:
            break
        s.sendall(block)
print("sent", flush=True)
sys.stdin.read()
s.close()
`;

describe("--broker", () => {
  test("each caller's bytes reach every other caller, whole, never itself (SHA-256, three callers)", async () => {
    const listener = hotline(["--broker", "-v", "127.0.0.1", "0"], { lifetimeMs: 60_000 });
    const port = await listening(listener);
    const callers = [await dial(port), await dial(port), await dial(port)];
    await onTheLine(listener, 3);
    const parts = [random(1024 * 1024), random(1024 * 1024 + 7), random(512 * 1024 + 3)];
    const heard: Buffer[][] = [[], [], []];
    // Each in turn, so what each hears is the others' parts in order.
    for (const [i, part] of parts.entries()) {
      const others = [0, 1, 2].filter((j) => j !== i);
      const [, got] = await Promise.all([
        (callers[i] as socket.Socket).sendall(part),
        Promise.all(
          others.map(async (j) => {
            const s = callers[j] as socket.Socket;
            let n = 0;
            const chunks: Buffer[] = [];
            while (n < part.length) {
              const chunk = await s.recv(65536);
              assert.ok(chunk, "end of stream too early");
              chunks.push(chunk);
              n += chunk.length;
            }
            return [j, Buffer.concat(chunks)] as const;
          }),
        ),
      ]);
      for (const [j, bytes] of got) heard[j]?.push(bytes);
    }
    for (const i of callers.keys()) {
      const expected = parts.filter((_, j) => j !== i);
      assert.equal(sha256(...(heard[i] as Buffer[])), sha256(...expected), `caller ${i} heard the others whole`);
    }
    // Nothing came back to a sender: after a last marker from caller 0, caller 1 holds only that marker.
    await (callers[0] as socket.Socket).sendall(Buffer.from("end\n"));
    assert.equal((await (callers[1] as socket.Socket).recv(100))?.toString(), "end\n");
    (callers[0] as socket.Socket).settimeout(0.3);
    await assert.rejects((callers[0] as socket.Socket).recv(100), { code: "ETIMEDOUT" });
    for (const s of callers) await s.close();
    assert.equal(listener.stdout, "", "a plain broker writes nothing on stdout, as ncat's");
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("a caller as the sender: a frozen reader holds back neither the sender nor the two others (20 MB, SHA-256)", async () => {
    const listener = hotline(["--broker", "-v", "127.0.0.1", "0"], { lifetimeMs: 120_000 });
    const port = await listening(listener);
    const frozen = new Child("python3", ["-u", "-c", FROZEN, port], { lifetimeMs: 120_000 });
    await frozen.line(/connected/);
    const sender = await dial(port);
    const readers = [await dial(port), await dial(port)];
    await onTheLine(listener, 4);
    // Below the 32 MiB queue limit: nobody is cut, so this is only about not waiting.
    const data = random(20 * 1000 * 1000);
    const received = readers.map((s) => receive(s, data.length));
    await within(sender.sendall(data), 60_000, "the sender to be taken all 20 MB, the frozen reader notwithstanding");
    const hashes = await within(Promise.all(received), 60_000, "both readers to get 20 MB");
    for (const hash of hashes) assert.equal(hash, sha256(data));
    frozen.proc.stdin?.end();
    await sender.close();
    for (const s of readers) await s.close();
    listener.proc.kill("SIGINT");
    await listener.done();
    await frozen.done();
  });

  test("a frozen reader is cut at 32 MiB while two others take 50 MB each from stdin, and memory stays bounded", async () => {
    const listener = hotline(["--broker", "-v", "127.0.0.1", "0"], { lifetimeMs: 120_000 });
    const port = await listening(listener);
    const frozen = new Child("python3", ["-u", "-c", FROZEN, port], { lifetimeMs: 120_000 });
    await frozen.line(/connected/);
    const readers = [await dial(port), await dial(port)];
    await onTheLine(listener, 3);
    const data = random(50 * 1024 * 1024);
    const memory = watchRss(listener.proc.pid as number);
    let peak = 0;
    try {
      const received = readers.map((s) => receive(s, data.length));
      const stdin = listener.proc.stdin;
      assert.ok(stdin);
      for (let at = 0; at < data.length; at += 1024 * 1024) {
        if (!stdin.write(data.subarray(at, at + 1024 * 1024))) {
          await within(
            new Promise((resolve) => stdin.once("drain", resolve)),
            30_000,
            "the listener to read its stdin",
          );
        }
      }
      const hashes = await within(Promise.all(received), 60_000, "both readers to get 50 MB");
      for (const hash of hashes) assert.equal(hash, sha256(data));
    } finally {
      peak = memory.stop();
    }
    const [, peer] = await listener.line(/hotline: cut (127\.0\.0\.1:\d+): 32 MiB queued \(reader too slow\)/);
    assert.ok(peer);
    // The bound, documented in docs/cli.md: Node itself (~45 MiB), the frozen caller's 32 MiB
    // queue, and the readers' in-flight chunks (measured: about 90 MiB at the peak).
    assert.ok(peak < 128 * 1024 * 1024, `listener RSS peaked at ${(peak / 1048576).toFixed(1)} MiB`);
    frozen.proc.stdin?.end();
    await frozen.line(/reset/);
    for (const s of readers) await s.close();
    listener.proc.kill("SIGINT");
    const l = await listener.done();
    assert.equal(l.code, 130);
    assert.match(l.stderr, /3 callers in all; 1 cut for reading too slowly/);
  });

  test("ten frozen readers hold one shared backlog, not ten copies (RSS with 60 MB through)", async () => {
    const listener = hotline(["--broker", "-v", "127.0.0.1", "0"], { lifetimeMs: 120_000 });
    const port = await listening(listener);
    const frozen: socket.Socket[] = [];
    for (let i = 0; i < 10; i++) frozen.push(await dial(port)); // never read
    const reader = await dial(port);
    await onTheLine(listener, 11);
    const data = random(60 * 1024 * 1024);
    const memory = watchRss(listener.proc.pid as number);
    let peak = 0;
    try {
      const received = receive(reader, data.length);
      const stdin = listener.proc.stdin;
      assert.ok(stdin);
      for (let at = 0; at < data.length; at += 1024 * 1024) {
        if (!stdin.write(data.subarray(at, at + 1024 * 1024))) {
          await within(new Promise((resolve) => stdin.once("drain", resolve)), 30_000, "stdin drain");
        }
      }
      assert.equal(await within(received, 60_000, "the reader's 60 MB"), sha256(data));
    } finally {
      peak = memory.stop();
    }
    // Copied per caller, ten backlogs of up to 32 MiB would pass 300 MiB.
    assert.ok(peak < 160 * 1024 * 1024, `listener RSS peaked at ${(peak / 1048576).toFixed(1)} MiB`);
    for (const s of [...frozen, reader]) await s.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("over TLS, a reader that keeps up is not cut however fast the sender goes (100 MB, SHA-256)", async () => {
    // Before: one write at a time per caller, and a TLS write is reported done only on the
    // next turn of the event loop, so the reader got 64 KiB a turn while a turn read up to
    // 1.25 MiB from the sender: cut at 32 MiB queued with its own receive queue empty.
    const pki = testPki();
    const tls = ["--ssl-cert", pki.server.certPath, "--ssl-key", pki.server.keyPath];
    const listener = hotline(["--broker", "-v", ...tls, "127.0.0.1", "0"], { lifetimeMs: 120_000 });
    const port = await listening(listener);
    const reader = await dialTls(port);
    const data = random(100 * 1000 * 1000);
    const file = join(tempDir(), "data");
    writeFileSync(file, data);
    const sender = new Child("python3", ["-u", "-c", TLS_SENDER, port, pki.ca.certPath, file], { lifetimeMs: 120_000 });
    await sender.line(/connected/);
    await onTheLine(listener, 2);
    const received = receive(reader, data.length);
    sender.proc.stdin?.write("go\n");
    assert.equal(await within(received, 90_000, "the reader's 100 MB"), sha256(data));
    await sender.line(/sent/);
    assert.doesNotMatch(listener.stderr, /cut/);
    sender.proc.stdin?.end();
    await sender.done();
    await reader.close();
    listener.proc.kill("SIGINT");
    const l = await listener.done();
    assert.equal(l.code, 130);
    assert.match(l.stderr, /2 callers in all; 0 cut/);
  });

  test("a reader over the soft limit for its time is cut then, while the hard limit is not reached", async () => {
    const listener = hotline(
      ["--broker", "--queue-limit", "16M", "--queue-soft-limit", "64K/500ms", "127.0.0.1", "0"],
      {
        lifetimeMs: 60_000,
      },
    );
    const port = await listening(listener);
    const frozen = new Child("python3", ["-u", "-c", FROZEN, port], { lifetimeMs: 60_000 });
    await frozen.line(/connected/);
    const reader = await dial(port);
    // 8 MiB: more than the kernel's buffers hold for the frozen one, less than the hard limit.
    const data = random(8 * 1024 * 1024);
    const received = receive(reader, data.length);
    listener.proc.stdin?.write(data);
    assert.equal(await within(received, 30_000, "the reader's 8 MiB"), sha256(data));
    await listener.line(/hotline: cut 127\.0\.0\.1:\d+: over 64 KiB queued for 500 ms \(reader too slow\)/);
    frozen.proc.stdin?.end();
    await frozen.line(/reset/);
    await reader.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("a file on stdin goes out at the reader's pace, not into its queue (nobody is cut for a file)", async () => {
    const dir = tempDir();
    const data = random(24 * 1024 * 1024);
    writeFileSync(join(dir, "file"), data);
    // A 1 MiB limit: without pacing the file would be read into the queue at once, and the reader cut.
    const listener = bash(`exec ${HL} --broker --queue-limit 1M -v 127.0.0.1 0 < ${shellQuote(join(dir, "file"))}`, {
      lifetimeMs: 60_000,
    });
    const port = await listening(listener);
    const reader = await dial(port);
    assert.equal(await within(receive(reader, data.length), 40_000, "the file"), sha256(data));
    await reader.close();
    listener.proc.kill("SIGINT");
    const l = await listener.done();
    assert.equal(l.code, 130);
    assert.doesNotMatch(l.stderr, /hotline: cut /);
  });

  test("--max-conns refuses the next caller, and a caller that vanishes with RST frees its slot", async () => {
    const listener = hotline(["--broker", "--max-conns", "2", "-v", "127.0.0.1", "0"]);
    const port = await listening(listener);
    const a = await dial(port);
    const b = await dial(port);
    await onTheLine(listener, 2);
    // The third caller is reset: at connect already (the reset can beat the connect's
    // completion on a busy machine: seen once on Node 24), or at a read.
    const refused = (async () => {
      const c = await dial(port);
      try {
        while (await c.recv(100));
        throw Object.assign(new Error("a clean end"), { code: "EOF" });
      } finally {
        await c.close();
      }
    })();
    await listener.line(/refused 127\.0\.0\.1:\d+: --max-conns 2 reached/);
    await assert.rejects(refused, { code: "ECONNRESET" });
    // b vanishes without a FIN.
    b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    await b.close();
    await listener.line(/127\.0\.0\.1:\d+ is gone: connection reset/);
    const d = await dial(port);
    await eventually(() => (listener.stderr.match(/\(2 on the line\)/g)?.length === 2 ? true : undefined), 10_000, "d");
    await a.sendall(Buffer.from("to d\n"));
    assert.equal((await d.recv(100))?.toString(), "to d\n");
    await Promise.all([a.close(), d.close()]);
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("each caller is probed after 60 s of silence (TCP keepalive), so one that vanishes without FIN or reset is found", async (t) => {
    if (!procNetReadable()) return t.skip("/proc/net/tcp is Linux's");
    const listener = hotline(["--broker", "-v", "127.0.0.1", "0"]);
    const port = Number(await listening(listener));
    const a = await dial(port);
    await onTheLine(listener, 1);
    const [, mine] = a.getsockname() as socket.Inet4Address;
    const timer = tcpTimer(port, mine);
    assert.equal(timer?.kind, 2, `keepalive armed on the listener's side: ${JSON.stringify(timer)}`);
    assert.ok((timer?.seconds ?? 0) <= 60 && (timer?.seconds ?? 0) > 50, `${timer?.seconds} s`);
    assert.equal(tcpTimer(mine, port)?.kind, 0, "the caller's own socket is its business");
    await a.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("the call pipeline's rules apply per caller: -C on what each gets, -i ends a quiet one and frees its slot", async () => {
    const listener = hotline(["--broker", "-C", "-i", "1", "--max-conns", "1", "-v", "127.0.0.1", "0"]);
    const port = await listening(listener);
    const a = await dial(port);
    await onTheLine(listener, 1);
    listener.proc.stdin?.write("hi\n");
    assert.equal((await a.recv(100))?.toString(), "hi\r\n");
    // a says nothing: -i cuts it off after a second, and the one slot is free again.
    await listener.line(/127\.0\.0\.1:\d+ was cut off: idle timeout/);
    await assert.rejects(
      (async () => {
        while (await a.recv(100));
        throw Object.assign(new Error("a clean end"), { code: "EOF" });
      })(),
      { code: "ECONNRESET" },
    );
    await a.close();
    const b = await dial(port);
    await eventually(() => (listener.stderr.match(/\(1 on the line\)/g)?.length === 2 ? true : undefined), 10_000, "b");
    listener.proc.stdin?.write("again\n");
    assert.equal((await b.recv(100))?.toString(), "again\r\n");
    await b.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("-o logs what each caller was sent and sent", async () => {
    const dir = tempDir();
    const log = join(dir, "log");
    const listener = hotline(["--broker", "-o", log, "-v", "127.0.0.1", "0"]);
    const port = await listening(listener);
    const [a, b] = [await dial(port), await dial(port)];
    await onTheLine(listener, 2);
    await a.sendall(Buffer.from("from a\n"));
    assert.equal((await b.recv(100))?.toString(), "from a\n");
    await Promise.all([a.close(), b.close()]);
    await listener.line(/hung up[\s\S]*hung up/);
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
    // Received from a once, sent to b once.
    assert.equal(readFileSync(log, "utf8"), "from a\nfrom a\n");
  });

  test("--send-only is a one-way broadcast: callers are not relayed, and the end of input ends it once all have it", async () => {
    const listener = hotline(["--broker", "--send-only", "-v", "127.0.0.1", "0"]);
    const port = await listening(listener);
    const [a, b] = [await dial(port), await dial(port)];
    await onTheLine(listener, 2);
    await a.sendall(Buffer.from("from a\n"));
    listener.proc.stdin?.end("one-way\n");
    for (const s of [a, b]) {
      const got: Buffer[] = [];
      for await (const chunk of s.chunks()) got.push(chunk);
      assert.equal(Buffer.concat(got).toString(), "one-way\n", "only stdin, then FIN");
    }
    await Promise.all([a.close(), b.close()]);
    assert.equal((await listener.done()).code, 0);
  });

  test("the end of stdin ends nothing; a caller's FIN is its leaving", async () => {
    const listener = hotline(["--broker", "-v", "127.0.0.1", "0"], { stdin: "hello\n" });
    const port = await listening(listener);
    const a = await dial(port);
    assert.equal((await a.recv(100))?.toString(), "hello\n");
    const b = await dial(port);
    await onTheLine(listener, 2);
    await b.sendall(Buffer.from("still here\n"));
    assert.equal((await a.recv(100))?.toString(), "still here\n");
    a.shutdown(socket.SHUT_WR);
    assert.equal(await a.recv(100), null, "the broker hangs up on a caller that sent FIN, as ncat does");
    await listener.line(/127\.0\.0\.1:\d+ hung up/);
    await Promise.all([a.close(), b.close()]);
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("at an interrupt a caller with nothing queued gets its FIN at once, not a reset when a stuck one is reset", async () => {
    // Before: FIN waited for every queue to drain or the 2 s deadline, and then the same
    // expired deadline reset everyone at once, the FIN just sent included.
    const listener = hotline(["--broker", "-v", "127.0.0.1", "0"], { lifetimeMs: 60_000 });
    const port = await listening(listener);
    const frozen = new Child("python3", ["-u", "-c", FROZEN, port], { lifetimeMs: 60_000 });
    await frozen.line(/connected/);
    const idle = await dial(port);
    await onTheLine(listener, 2);
    // 8 MiB: more than the frozen caller's kernel buffers hold, so some stays queued for it.
    const data = random(8 * 1024 * 1024);
    const received = receive(idle, data.length);
    listener.proc.stdin?.write(data);
    assert.equal(await within(received, 30_000, "the idle caller's 8 MiB"), sha256(data));
    const [, idlePort] = idle.getsockname() as [string, number];
    listener.proc.kill("SIGINT");
    assert.equal(await idle.recv(100), null, "a clean end of stream");
    assert.equal(listener.proc.exitCode, null, "the FIN came before the listener was done with the stuck caller");
    await idle.close();
    const l = await listener.done();
    assert.equal(l.code, 130);
    // In the listener's own order: the idle caller hung up after its FIN, then the stuck one was reset.
    const hungUp = l.stderr.indexOf(`127.0.0.1:${idlePort} hung up`);
    const reset = l.stderr.search(/127\.0\.0\.1:\d+ was hung up on/);
    assert.ok(hungUp >= 0 && reset > hungUp, l.stderr);
    frozen.proc.stdin?.end();
    await frozen.line(/reset/);
  });
});

describe("--broker and --chat: what is refused (exit 2), as ncat refuses it", () => {
  for (const [args, why] of [
    [["--broker", "-u", "-l", "0"], /does not apply to UDP/],
    [["--chat", "-u", "0"], /does not apply to UDP/],
    [["--broker", "-U", "/tmp/hotline-broker.sock"], /does not apply to Unix sockets/],
    [["connect", "--chat"], /--chat does not apply to 'hotline connect'/],
    [["--chat", "--serial", "0"], /cannot be combined/],
    [["--broker", "-q", "1", "0"], /-q does not apply to --broker/],
    [["--chat", "--send-only", "0"], /--send-only does not apply to --chat/],
    [["--broker", "--talk", "0"], /--talk does not apply to --broker/],
    [["--queue-limit", "1M", "-l", "0"], /applies with --broker/],
    [["--broker", "--queue-limit", "12XB", "0"], /invalid --queue-limit/],
    [["--broker", "--queue-soft-limit", "40M", "0"], /must be below --queue-limit/],
    [["--broker", "--queue-soft-limit", "1M/0", "0"], /invalid --queue-soft-limit time/],
    [["--max-conns", "3", "-l", "0"], /applies with -k, --broker or the HTTP proxy/],
    [["--broker", "-e", "cat", "0"], /--broker and -e\/-c cannot be combined, as in ncat/],
    [["--chat", "-c", "cat", "0"], /--chat and -e\/-c cannot be combined, as in ncat/],
  ] as const) {
    test(`hotline ${args.join(" ")}`, async () => {
      const r = await hotline(args).done();
      assert.equal(r.code, 2);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.split("\n")[0]?.startsWith("hotline: "), true);
    });
  }

  test("--chat and --broker imply listening (hotline --chat PORT), where ncat needs -l for --chat", async () => {
    const listener = hotline(["--chat", "127.0.0.1", "0"]);
    await listening(listener);
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });
});
