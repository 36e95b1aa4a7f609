/**
 * Pipe mode with the real binary: byte-exact both ways at once over tcp4, tcp6, unix and
 * udp (SHA-256 of files), the end-of-call rules, resets, stdout trouble, slow readers.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { describe, test } from "node:test";
import { type Child, python } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { bash, HL as hl, hotline, listening, shellQuote as q } from "../helpers/hotline.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const PEER = `${PYTHON_FIXTURES}peer.py`;
const UDP_PEER = `${PYTHON_FIXTURES}udp_peer.py`;
const SLOW_READER = `${PYTHON_FIXTURES}slow_reader.py`;

const STREAMS = [
  { name: "tcp4", listen: "listen 127.0.0.1 0", dial: (p: string) => `connect 127.0.0.1 ${p}` },
  { name: "tcp6", listen: "listen ::1 0", dial: (p: string) => `connect ::1 ${p}` },
  { name: "unix", listen: "-lU SOCK", dial: () => "-U SOCK" },
];

describe("pipe mode: byte-exact both ways at once", () => {
  for (const t of STREAMS) {
    test(`${t.name}: 8 MiB each way, NULs included, SHA-256 equal`, async () => {
      const dir = tempDir();
      const a = random(8 * 1024 * 1024);
      const b = random(8 * 1024 * 1024);
      a.fill(0, 0, 4096);
      writeFileSync(join(dir, "a"), a);
      writeFileSync(join(dir, "b"), b);
      const sock = join(dir, "s.sock");
      const listenArgs = t.listen.replace("SOCK", sock);
      const server = bash(`${hl} ${listenArgs} < ${q(join(dir, "a"))} > ${q(join(dir, "a-got"))}`);
      const port = await listening(server);
      const client = bash(
        `${hl} ${t.dial(port).replace("SOCK", sock)} < ${q(join(dir, "b"))} > ${q(join(dir, "b-got"))}`,
      );
      const [s, c] = await Promise.all([server.done(60_000), client.done(60_000)]);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(sha256(readFileSync(join(dir, "a-got"))), sha256(b), "the listener got the client's file");
      assert.equal(sha256(readFileSync(join(dir, "b-got"))), sha256(a), "the client got the listener's file");
    });
  }

  test("1 GiB of random bytes each way at once, hashed by sha256sum", { timeout: 240_000 }, async () => {
    const dir = tempDir();
    const f = (name: string): string => q(join(dir, name));
    const gen = "head -c 1073741824 /dev/urandom";
    const server = bash(
      `${gen} | tee >(sha256sum > ${f("in-l")}) | ${hl} listen 127.0.0.1 0 | sha256sum > ${f("out-l")}`,
      { lifetimeMs: 200_000 },
    );
    const port = await listening(server);
    const client = bash(
      `${gen} | tee >(sha256sum > ${f("in-c")}) | ${hl} 127.0.0.1 ${port} | sha256sum > ${f("out-c")}`,
      {
        lifetimeMs: 200_000,
      },
    );
    const [s, c] = await Promise.all([server.done(200_000), client.done(200_000)]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(c.code, 0, c.stderr);
    const read = (name: string): string => readFileSync(join(dir, name), "utf8").split(" ")[0] ?? "";
    await within(
      (async () => {
        // tee's sha256sum runs in a process substitution and may finish a moment later.
        while (read("in-l") === "" || read("in-c") === "") await new Promise((r) => setImmediate(r));
      })(),
      10_000,
      "the input hashes",
    );
    assert.equal(read("out-c"), read("in-l"));
    assert.equal(read("out-l"), read("in-c"));
  });
});

describe("pipe mode: the end of a call", () => {
  test("hotline -l < /dev/null > out, and hotline HOST PORT < file: the whole file arrives", async () => {
    const dir = tempDir();
    const data = random(4 * 1024 * 1024);
    writeFileSync(join(dir, "file"), data);
    const server = bash(`${hl} -l 127.0.0.1 0 < /dev/null > ${q(join(dir, "out"))}`);
    const port = await listening(server);
    const client = bash(`${hl} 127.0.0.1 ${port} < ${q(join(dir, "file"))}`);
    const [s, c] = await Promise.all([server.done(), client.done()]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(sha256(readFileSync(join(dir, "out"))), sha256(data));
  });

  test("stdin a file already partly read: sending starts at its offset, up to an odd-sized end", async () => {
    const dir = tempDir();
    const data = random(2 * 256 * 1024 + 12_345); // two full reads and a short last one
    writeFileSync(join(dir, "file"), data);
    const server = bash(`${hl} -l 127.0.0.1 0 < /dev/null > ${q(join(dir, "out"))}`);
    const port = await listening(server);
    // dd reads exactly 1000 bytes of the shared descriptor; hotline must go on from there.
    const client = bash(
      `{ dd bs=1000 count=1 of=/dev/null status=none; ${hl} 127.0.0.1 ${port}; } < ${q(join(dir, "file"))}`,
    );
    const [s, c] = await Promise.all([server.done(), client.done()]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(sha256(readFileSync(join(dir, "out"))), sha256(data.subarray(1000)));
  });

  test("the other way round: the listener sends the file to a client that sends nothing", async () => {
    const dir = tempDir();
    const data = random(4 * 1024 * 1024);
    writeFileSync(join(dir, "file"), data);
    const server = bash(`${hl} -l 127.0.0.1 0 < ${q(join(dir, "file"))}`);
    const port = await listening(server);
    const client = bash(`${hl} 127.0.0.1 ${port} < /dev/null > ${q(join(dir, "out"))}`);
    const [s, c] = await Promise.all([server.done(), client.done()]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(sha256(readFileSync(join(dir, "out"))), sha256(data));
  });

  test("stdin EOF sends FIN and the reply still comes back (Python replies after EOF)", async () => {
    const py = python(PEER, ["server", "4", "127.0.0.1:0", "halfclose"]);
    const [, port = ""] = await py.line(/^ready (\d+)$/m);
    const { code, stdout, stderr } = await hotline(["connect", "127.0.0.1", port], { stdin: "question" }).done();
    assert.equal(code, 0, stderr);
    assert.equal(stdout.toString(), "got 8 bytes");
    assert.equal((await py.done()).code, 0);
  });

  test("the listener replies after the caller's EOF", async () => {
    const server = hotline(["listen", "127.0.0.1", "0"]);
    const port = await listening(server);
    const py = python(PEER, ["client", "4", `127.0.0.1:${port}`, "halfclose"]);
    // The caller's FIN ends hotline's stdout; only then is the reply written.
    await server.stdoutEnded();
    assert.equal(server.stdout, "question");
    server.proc.stdin?.end("answer");
    const [s, p] = await Promise.all([server.done(), py.done()]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(p.stdout.toString(), /^reply answer$/m);
  });

  test("--no-shutdown keeps the write side open at stdin EOF", async () => {
    const py = python(PEER, ["server", "4", "127.0.0.1:0", "halfclose"]);
    const [, port = ""] = await py.line(/^ready (\d+)$/m);
    const client = hotline(["--no-shutdown", "-i", "700ms", "127.0.0.1", port], { stdin: "question" });
    const { code, stdout } = await client.done();
    assert.equal(stdout.toString(), "", "without FIN the server never replied");
    assert.equal(code, 1, "the idle timeout ended the call");
    py.kill();
    await py.done();
  });

  test("a reset is exit 1 with one line that counts the input not sent", async () => {
    const py = python(PEER, ["server", "4", "127.0.0.1:0", "reset"]);
    const [, port = ""] = await py.line(/^ready (\d+)$/m);
    const client = hotline(["127.0.0.1", port]);
    Readable.from(
      (function* () {
        for (let i = 0; i < 256; i++) yield Buffer.alloc(65536, 1);
      })(),
    ).pipe(client.proc.stdin as Writable);
    const { code, stderr } = await client.done();
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(
        `^hotline: (connection reset by|broken pipe: the connection was closed by) 127\\.0\\.0\\.1:${port}( \\((at least )?\\d+ bytes of input not sent\\))?\\n$`,
      ),
    );
    await py.done();
  });

  test("-q quits that long after the end of input even if the peer stays", async () => {
    const py = python(PEER, ["server", "4", "127.0.0.1:0", "hold"]);
    const [, port = ""] = await py.line(/^ready (\d+)$/m);
    const { code } = await hotline(["-q", "100ms", "127.0.0.1", port], { stdin: "x" }).done();
    assert.equal(code, 0);
    py.proc.stdin?.end();
    await py.done();
  });
});

describe("pipe mode: stdout trouble and slow readers", () => {
  test("stdout to /dev/full is exit 1 with a message, never a stack trace", async () => {
    const server = hotline(["listen", "127.0.0.1", "0"], { stdin: random(1024 * 1024) });
    const port = await listening(server);
    const client = bash(`${hl} 127.0.0.1 ${port} < /dev/null > /dev/full`);
    const c = await client.done();
    assert.equal(c.code, 1);
    assert.match(c.stderr, /^hotline: write to stdout: no space left on device\n$/);
    await server.done();
  });

  test("| head: quiet, and the rest of the call ends cleanly", async () => {
    const server = hotline(["listen", "127.0.0.1", "0"], { stdin: random(8 * 1024 * 1024) });
    const port = await listening(server);
    const client = bash(`${hl} 127.0.0.1 ${port} < /dev/null | head -c 10 | wc -c; echo "code=\${PIPESTATUS[0]}"`);
    const c = await client.done();
    assert.match(c.stdout.toString(), /^10\ncode=0\n$/);
    assert.equal(c.stderr, "");
    await server.done();
  });

  test("a slow reader on the far side keeps hotline's memory flat (256 MiB)", { timeout: 120_000 }, async () => {
    const py = python(PEER, ["server", "4", "127.0.0.1:0", "sink", "512"], { lifetimeMs: 110_000 });
    const [, port = ""] = await py.line(/^ready (\d+)$/m);
    const client = hotline(["127.0.0.1", port], { lifetimeMs: 110_000 });
    const chunk = Buffer.alloc(1024 * 1024, 7);
    Readable.from(
      (function* () {
        for (let i = 0; i < 256; i++) yield chunk;
      })(),
    ).pipe(client.proc.stdin as Writable);
    const peak = sampleRss(client);
    const c = await client.done(110_000);
    assert.equal(c.code, 0, c.stderr);
    assert.match((await py.done()).stdout.toString(), /received \w+ 268435456/);
    assert.ok(peak() < 200 * 1024 * 1024, `hotline's RSS peaked at ${peak()} bytes`);
  });

  test("stdin a pipe, the far side slow: reused read buffers never overwrite what is unsent", async () => {
    // Random bytes, so a buffer handed back too early would show in the hash.
    const dir = tempDir();
    const data = random(16 * 1024 * 1024);
    writeFileSync(join(dir, "file"), data);
    const py = python(PEER, ["server", "4", "127.0.0.1:0", "sink", "700"], { lifetimeMs: 60_000 });
    const [, port = ""] = await py.line(/^ready (\d+)$/m);
    const client = bash(`cat ${q(join(dir, "file"))} | ${hl} 127.0.0.1 ${port}`, { lifetimeMs: 60_000 });
    const c = await client.done(60_000);
    assert.equal(c.code, 0, c.stderr);
    assert.match((await py.done()).stdout.toString(), new RegExp(`received ${sha256(data)} ${data.length}`));
  });

  test("stdout a pipe the reader empties slowly: what the pipe cannot take yet waits, nothing lost", async () => {
    // Random bytes, and a reader taking 700 at a time: most writes find the pipe full.
    const size = 24 * 1024 * 1024;
    const py = python(PEER, ["server", "4", "127.0.0.1:0", "exchange", size], { lifetimeMs: 60_000 });
    const [, port = ""] = await py.line(/^ready (\d+)$/m);
    const client = bash(`${hl} 127.0.0.1 ${port} < /dev/null | python3 ${q(SLOW_READER)} 700`, { lifetimeMs: 60_000 });
    const c = await client.done(60_000);
    assert.equal(c.code, 0, c.stderr);
    const [, sent = ""] = /sent (\w+ \d+)/.exec((await py.done()).stdout.toString()) ?? [];
    assert.equal(c.stdout.toString(), `${sent}\n`);
  });

  test("a slow stdout keeps hotline's memory flat and loses nothing (128 MiB)", { timeout: 120_000 }, async () => {
    const size = 128 * 1024 * 1024;
    const py = python(PEER, ["server", "4", "127.0.0.1:0", "exchange", size], { lifetimeMs: 110_000 });
    const [, port = ""] = await py.line(/^ready (\d+)$/m);
    const client = hotline(["127.0.0.1", port], {
      stdin: "",
      lifetimeMs: 110_000,
      keepStdout: false,
    });
    const peak = sampleRss(client);
    const hash = (await import("node:crypto")).createHash("sha256");
    let got = 0;
    // A reader that takes each 64 KiB only after a timer tick: far slower than the network.
    client.proc.stdout?.pipe(
      new Writable({
        highWaterMark: 65536,
        write(data: Buffer, _enc, done) {
          hash.update(data);
          got += data.length;
          setTimeout(done, 0);
        },
      }),
    );
    const c = await client.done(110_000);
    assert.equal(c.code, 0, c.stderr);
    const p = await py.done();
    assert.equal(got, size);
    assert.match(p.stdout.toString(), new RegExp(`sent ${hash.digest("hex")} ${size}`));
    assert.ok(peak() < 200 * 1024 * 1024, `hotline's RSS peaked at ${peak()} bytes`);
  });
});

describe("pipe mode over UDP", () => {
  test("datagrams stay whole both ways, up to 65,507 bytes", async () => {
    const listener = hotline(["-u", "-l", "127.0.0.1", "0", "-i", "2s"], { keepStdout: true });
    const port = await listening(listener);
    const sender = python(UDP_PEER, ["send", `127.0.0.1:${port}`, "65507", "1", "1000"]);
    const sent = (await sender.done()).stdout.toString();
    const hashes = [...sent.matchAll(/sent (\d+) (\w+)/g)].map((m) => m[2]);
    const out = await listener.done();
    assert.equal(out.code, 0, out.stderr);
    // stdout is the datagrams back to back: check the whole against the three hashes' sources.
    assert.equal(out.stdout.length, 65507 + 1 + 1000);
    assert.equal(sha256(out.stdout.subarray(0, 65507)), hashes[0]);
    assert.equal(sha256(out.stdout.subarray(65508)), hashes[2]);

    const receiver = python(UDP_PEER, ["recv", "127.0.0.1:0", "1"]);
    const [, rport = ""] = await receiver.line(/^ready (\d+)$/m);
    const payload = random(60000);
    const client = hotline(["-u", "127.0.0.1", rport], { stdin: payload });
    assert.equal((await client.done()).code, 0);
    assert.match((await receiver.done()).stdout.toString(), new RegExp(`datagram 60000 ${sha256(payload)}`));
  });

  test("from a file: one datagram per read of at most 65,507 bytes, each intact", async () => {
    const dir = tempDir();
    const data = random(150_000); // read 65,507 bytes at a time: one datagram per read
    writeFileSync(join(dir, "file"), data);
    const receiver = python(UDP_PEER, ["recv", "127.0.0.1:0", "3"]);
    const [, port = ""] = await receiver.line(/^ready (\d+)$/m);
    const client = bash(`${hl} -u 127.0.0.1 ${port} < ${q(join(dir, "file"))}`);
    assert.equal((await client.done()).code, 0);
    const cuts = [data.subarray(0, 65507), data.subarray(65507, 131014), data.subarray(131014)];
    const expected = cuts.map((d) => `datagram ${d.length} ${sha256(d)}\n`).join("");
    assert.equal((await receiver.done()).stdout.toString().replace(/^ready \d+\n/, ""), expected);
  });

  test("a UDP listener with -k talks with many peers and replies to each", async () => {
    const listener = hotline(["-u", "-lk", "127.0.0.1", "0"]);
    const port = await listening(listener);
    const askers = [1, 2].map((n) => python(UDP_PEER, ["ask", `127.0.0.1:${port}`, `hello from ${n}`]));
    await within(
      (async () => {
        while (!(listener.stdout.includes("hello from 1") && listener.stdout.includes("hello from 2"))) {
          await listener.line(/hello from/, 10_000).catch(() => {});
          await new Promise((r) => setImmediate(r));
        }
      })(),
      10_000,
      "both peers to be heard",
    );
    listener.proc.stdin?.write("reply to all\n");
    const answers = await Promise.all(askers.map((a) => a.done()));
    for (const a of answers) assert.match(a.stdout.toString(), /^reply reply to all$/m);
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });
});

/** Samples a child's resident memory until it exits; returns a reader of the peak. */
function sampleRss(child: Child): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.proc.pid}/status`, "utf8");
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb * 1024);
    } catch {
      clearInterval(timer);
    }
  }, 20);
  child.proc.on("exit", () => clearInterval(timer));
  return () => peak;
}
