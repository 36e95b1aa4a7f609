/**
 * Every cross-cutting option in every mode, with the real binary: one named test per
 * (option, mode) pair ("-C × listen -k"), each checking bytes exactly and the exit code.
 * Modes: connect, listen, listen -k, -u connect, -u listen, -U connect, -U listen (see
 * test/helpers/matrix.ts). Then the usage errors of options that do not apply, and the
 * end-of-call cases that cut across modes (signals, -i against a peer that stopped
 * reading, a log that cannot be written).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Child, Finished } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { bash, HL, hotline, listening, shellQuote as q } from "../helpers/hotline.js";
import {
  exits,
  finish,
  freeUdpPort,
  MODES,
  type Mode,
  type Peer,
  type Rig,
  type Spawn,
  WAIT_MS,
} from "../helpers/matrix.js";
import { unusedPort } from "../helpers/ports.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

/** Tests run a few at a time: each is mostly waiting on sockets and timers. */
const CONCURRENCY = 4;

/** `text` as a literal inside a RegExp. */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const running = (hl: Child): boolean => hl.proc.exitCode === null && hl.proc.signalCode === null;

/** The one peer of a one-call mode. */
function only(rig: Rig): Peer {
  const [peer] = rig.peers;
  assert.ok(peer && rig.peers.length === 1, "one peer");
  return peer;
}

/** Waits for -k's "hung up" line for `peer` (the -k rig runs with -v): its call is over. */
async function hungUp(rig: Rig, peer: Peer): Promise<void> {
  await rig.hl.line(new RegExp(`^hotline: ${literal(peer.name)} hung up$`, "m"), WAIT_MS);
}

const isStream = (mode: Mode): boolean => mode.transport !== "udp";

async function withRig(
  mode: Mode,
  options: readonly string[],
  body: (rig: Rig) => Promise<void>,
  spawn?: Spawn,
  source?: number,
): Promise<void> {
  const rig = await mode.open(options, spawn, source);
  try {
    await body(rig);
  } finally {
    rig.cleanup();
  }
}

/** Exit 2 and one line saying why (plus the usage hint), before anything is bound or dialled. */
async function usageError(args: readonly string[], why: RegExp): Promise<void> {
  const hl = hotline(args, { lifetimeMs: 10_000 });
  const { code, stdout, stderr } = await hl.done(WAIT_MS).finally(() => hl.kill());
  assert.equal(code, 2, `exit 2 for ${args.join(" ")}; stderr: ${stderr}`);
  assert.equal(stdout.length, 0);
  assert.doesNotMatch(stderr, /listening on/);
  const lines = stderr.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^hotline: /);
  assert.match(lines[0] ?? "", why);
  assert.deepEqual(lines.slice(1), lines.length > 1 ? ["Try 'hotline --help' for more."] : []);
}

/** The bytes of an -x dump, each direction on its own, its offsets checked on the way. */
function parseHexDump(text: string): { sent: Buffer; received: Buffer } {
  const bytes: Record<string, number[]> = { ">": [], "<": [] };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const row = /^([<>]) ([0-9a-f]{8}) {2}(.{48}) {2}\|(.*)\|$/.exec(line);
    assert.ok(row, `a hex dump line: ${JSON.stringify(line)}`);
    const [, mark = "", offset = "", hex = ""] = row;
    const seen = bytes[mark] as number[];
    assert.equal(Number.parseInt(offset, 16), seen.length, `each ${mark} line's offset counts that direction's bytes`);
    for (const pair of hex.match(/[0-9a-f]{2}/g) ?? []) seen.push(Number.parseInt(pair, 16));
  }
  return { sent: Buffer.from(bytes[">"] as number[]), received: Buffer.from(bytes["<"] as number[]) };
}

/** The peers each say something, one after the other, and hotline's stdout shows each. */
async function peersSay(rig: Rig, replies: readonly Buffer[]): Promise<void> {
  for (const [i, peer] of rig.peers.entries()) {
    const reply = replies[i] as Buffer;
    await peer.send(reply);
    await rig.out.has(reply);
  }
}

/** Writes `data` to hotline's stdin and waits until every peer has it (after what it had). */
async function sendToPeers(rig: Rig, data: Buffer): Promise<void> {
  const had = rig.peers.map((peer) => peer.got.length);
  rig.write(data);
  for (const [i, peer] of rig.peers.entries()) {
    const got = await peer.waitBytes((had[i] as number) + data.length);
    assert.deepEqual(got.subarray(had[i]), data, `${peer.name} got what hotline sent`);
  }
}

interface OptionCase {
  /** The option as test names show it. */
  option: string;
  /** Regression names for some modes, added to the test's name. */
  regressions?: Partial<Record<string, string>>;
  /** When the option does not apply to the mode: the usage error expected instead. */
  misfit?(mode: Mode): { args: string[]; why: RegExp } | null;
  run(mode: Mode): Promise<void>;
}

const OPTIONS: readonly OptionCase[] = [
  {
    option: "-C",
    regressions: { "listen -k": "-lk -C sends CRLF", "-u connect": "-u -C sends CRLF" },
    run: (mode) =>
      withRig(mode, ["-C"], async (rig) => {
        const wire = Buffer.from("a\r\nb\r\nc\r\n");
        rig.write("a\nb\r\nc\n");
        for (const peer of rig.peers) assert.deepEqual(await peer.waitBytes(wire.length), wire);
        // What comes in is not touched: bare \n stays bare.
        const replies = rig.peers.map((_, i) => Buffer.from(`x${i}\ny\r\nz\n`));
        await peersSay(rig, replies);
        const done = await finish(rig);
        assert.deepEqual(done.stdout, Buffer.concat(replies));
        for (const peer of rig.peers) assert.deepEqual(peer.got, wire, `${peer.name} got only the CRLF bytes`);
      }),
  },
  {
    option: "-i 500ms",
    regressions: { "listen -k": "-lk -i ends an idle caller" },
    run: (mode) =>
      withRig(mode, ["-i", "500ms"], async (rig) => {
        // Each call's clock starts about when the test sees the connection made: a call
        // cut at once would end long before 300 ms.
        if (mode.keep) {
          const [idle, busy] = rig.peers;
          assert.ok(idle && busy);
          // `busy` says something every 100 ms, so only `idle` is quiet for 500 ms.
          let ticks = 0;
          const ticker = setInterval(() => {
            ticks += 1;
            if (ticks > 80) clearInterval(ticker);
            busy.send(".").catch(() => {});
          }, 100);
          try {
            const end = await idle.ended();
            assert.ok(end.how === "eof" || end.how === "reset", `the idle caller's connection ended (${end.how})`);
            const quiet = end.at - idle.connectedAt;
            assert.ok(quiet >= 300 && quiet < 5000, `cut after ${quiet} ms`);
            assert.equal(busy.end, null, "the caller that keeps talking is still on the line");
            assert.ok(running(rig.hl), "the listener keeps running");
          } finally {
            clearInterval(ticker);
          }
          const late = await rig.dial();
          await late.send("a caller after the idle one\n");
          await rig.out.has("a caller after the idle one\n");
          rig.hl.proc.kill("SIGINT");
          await exits(rig.hl, 130);
          return;
        }
        const udp = mode.transport === "udp";
        // UDP has no other end of a call: quiet for -i is its normal end.
        const done = await exits(rig.hl, udp ? 0 : 1);
        const took = performance.now() - only(rig).connectedAt;
        assert.ok(took >= 300 && took < 5000, `ended after ${took} ms`);
        assert.equal(done.stdout.length, 0);
        if (!udp) {
          assert.match(done.stderr, /idle timeout/);
          const end = await only(rig).ended();
          assert.ok(end.how === "eof" || end.how === "reset", `the peer's connection ended (${end.how})`);
        }
      }),
  },
  {
    option: "-o FILE",
    run: async (mode) => {
      const file = join(tempDir(), "session");
      await withRig(mode, ["-o", file], async (rig) => {
        const sent = random(700);
        await sendToPeers(rig, sent);
        const replies = rig.peers.map((_, i) => random(500 + i));
        await peersSay(rig, replies);
        const done = await finish(rig);
        assert.deepEqual(done.stdout, Buffer.concat(replies));
        const expected = Buffer.concat([...rig.peers.map(() => sent), ...replies]);
        const log = readFileSync(file);
        assert.equal(log.length, expected.length, "-o holds both directions, nothing more");
        assert.equal(sha256(log), sha256(expected));
      });
    },
  },
  {
    option: "-x FILE",
    run: async (mode) => {
      const file = join(tempDir(), "dump");
      await withRig(mode, ["-x", file], async (rig) => {
        const sent = random(700);
        await sendToPeers(rig, sent);
        const replies = rig.peers.map((_, i) => random(300 + i));
        await peersSay(rig, replies);
        await finish(rig);
        const dump = parseHexDump(readFileSync(file, "utf8"));
        assert.deepEqual(dump.sent, Buffer.concat(rig.peers.map(() => sent)), "> lines are what was sent");
        assert.deepEqual(dump.received, Buffer.concat(replies), "< lines are what was received");
      });
    },
  },
  {
    option: "--send-only",
    run: (mode) =>
      withRig(mode, ["--send-only"], async (rig) => {
        const first = Buffer.from("first\n");
        const second = Buffer.from("second\n");
        await sendToPeers(rig, first);
        // Said before `second` is written, so it has arrived by the time `second` went out.
        for (const [i, peer] of rig.peers.entries()) await peer.send(`dropped ${i}\n`);
        await sendToPeers(rig, second);
        // The peers stay on the line and silent: the end of stdin alone ends each call.
        rig.endInput();
        if (mode.keep) {
          for (const peer of rig.peers) {
            assert.equal((await peer.ended()).how, "eof");
            await hungUp(rig, peer);
          }
          assert.ok(running(rig.hl), "the listener keeps running");
          rig.hl.proc.kill("SIGINT");
        }
        const done = await exits(rig.hl, mode.keep ? 130 : 0);
        assert.equal(done.stdout.length, 0, "nothing received reaches stdout");
        for (const peer of rig.peers) assert.deepEqual(peer.got, Buffer.concat([first, second]));
        if (isStream(mode) && !mode.keep) assert.equal((await only(rig).ended()).how, "eof");
      }),
  },
  {
    option: "--recv-only",
    run: async (mode) => {
      const dir = tempDir();
      const input = Buffer.from("stdin is never read\n");
      writeFileSync(join(dir, "in"), input);
      // Behind hotline, cat reads what hotline left of the same stdin: all of it.
      const spawn: Spawn = mode.keep
        ? (args) => hotline(args, { stdin: input, lifetimeMs: 20_000 })
        : (args) =>
            bash(
              `{ ${HL} ${args.map(q).join(" ")}; code=$?; cat > ${q(join(dir, "rest"))}; exit $code; } < ${q(join(dir, "in"))}`,
              { lifetimeMs: 20_000 },
            );
      const udp = mode.transport === "udp";
      // UDP: the call ends after -i; a dialler that never sends needs a known port (-p) for replies.
      const source = udp && !mode.listen ? await freeUdpPort() : undefined;
      const options = [
        "--recv-only",
        ...(udp ? ["-i", "500ms"] : []),
        ...(source === undefined ? [] : ["-v", "-p", String(source)]),
      ];
      await withRig(
        mode,
        options,
        async (rig) => {
          if (source !== undefined) await rig.hl.line(/connected to/, WAIT_MS);
          const replies = rig.peers.map((_, i) => Buffer.from(`to stdout ${i}\n`));
          await peersSay(rig, replies);
          for (const peer of rig.peers) peer.finish();
          let done: Finished;
          if (mode.keep) {
            // Each call ends when its peer does.
            for (const peer of rig.peers) assert.equal((await peer.ended()).how, "eof");
            assert.ok(running(rig.hl), "the listener keeps running");
            rig.hl.proc.kill("SIGINT");
            done = await exits(rig.hl, 130);
          } else {
            done = await exits(rig.hl, 0);
            if (!udp) await only(rig).ended();
            assert.deepEqual(readFileSync(join(dir, "rest")), input, "stdin was left unread");
          }
          assert.deepEqual(done.stdout, Buffer.concat(replies));
          for (const peer of rig.peers) assert.equal(peer.got.length, 0, `${peer.name} received nothing`);
        },
        spawn,
        source,
      );
    },
  },
  {
    option: "-q 300ms",
    run: (mode) =>
      withRig(mode, ["-q", "300ms"], async (rig) => {
        await sendToPeers(rig, Buffer.from("question\n"));
        const replies = rig.peers.map((_, i) => Buffer.from(`answer ${i}\n`));
        await peersSay(rig, replies);
        // The peers keep the connection open and say nothing more.
        const inputEnded = performance.now();
        rig.endInput();
        let done: Finished;
        if (mode.keep) {
          for (const peer of rig.peers) await hungUp(rig, peer);
          const took = performance.now() - inputEnded;
          assert.ok(took >= 290 && took < 3000, `the calls ended ${took} ms after stdin's end`);
          assert.ok(running(rig.hl), "the listener keeps running");
          rig.hl.proc.kill("SIGINT");
          done = await exits(rig.hl, 130);
        } else {
          done = await exits(rig.hl, 0);
          const took = performance.now() - inputEnded;
          assert.ok(took >= 290 && took < 3000, `quit ${took} ms after stdin's end`);
        }
        assert.deepEqual(done.stdout, Buffer.concat(replies));
      }),
  },
  {
    option: "--no-shutdown",
    misfit: (mode) =>
      mode.transport === "udp"
        ? { args: mode.usage(["--no-shutdown"]), why: /--no-shutdown does not apply to UDP/ }
        : null,
    run: (mode) =>
      withRig(mode, ["--no-shutdown", "-q", "500ms"], async (rig) => {
        const said = Buffer.from("no FIN after this\n");
        await sendToPeers(rig, said);
        const inputEnded = performance.now();
        rig.endInput();
        // Without FIN at stdin's end, the peer's read ends only when -q ends the call.
        for (const peer of rig.peers) {
          const end = await peer.ended();
          assert.equal(end.how, "eof");
          assert.ok(end.at - inputEnded >= 400, `${peer.name} saw the end ${end.at - inputEnded} ms after stdin's end`);
        }
        if (mode.keep) {
          assert.ok(running(rig.hl), "the listener keeps running");
          rig.hl.proc.kill("SIGINT");
        }
        await exits(rig.hl, mode.keep ? 130 : 0);
        for (const peer of rig.peers) assert.deepEqual(peer.got, said);
      }),
  },
  {
    option: "-v",
    run: (mode) =>
      withRig(mode, [mode.keep ? "-vv" : "-v"], async (rig) => {
        const question = Buffer.from("how many bytes?\n");
        await sendToPeers(rig, question);
        const replies = rig.peers.map((_, i) => Buffer.from(`reply ${i}: ${"x".repeat(10 * (i + 1))}\n`));
        await peersSay(rig, replies);
        const done = await finish(rig);
        const summaries = done.stderr.match(/^hotline: .*bytes sent.*$/gm) ?? [];
        assert.equal(summaries.length, rig.peers.length, `one summary per call: ${done.stderr}`);
        for (const [i, peer] of rig.peers.entries()) {
          const label = mode.keep ? `${literal(peer.name)}: ` : "";
          const counts = `${question.length} bytes sent, ${(replies[i] as Buffer).length} bytes received`;
          assert.match(done.stderr, new RegExp(`^hotline: ${label}${counts} in \\d+\\.\\d\\d seconds$`, "m"));
        }
      }),
  },
];

describe("options × modes", { concurrency: CONCURRENCY }, () => {
  for (const option of OPTIONS) {
    for (const mode of MODES) {
      const regression = option.regressions?.[mode.name];
      const name = `${option.option} × ${mode.name}${regression ? ` (${regression})` : ""}`;
      const misfit = option.misfit?.(mode) ?? null;
      if (misfit) test(`${name}: usage error`, () => usageError(misfit.args, misfit.why));
      else test(name, () => option.run(mode));
    }
  }

  test("-v -C × connect counts the bytes on the wire", async () => {
    const [mode] = MODES;
    assert.ok(mode);
    await withRig(mode, ["-v", "-C"], async (rig) => {
      await sendToPeers(rig, Buffer.from("a\r\nb\r\n"));
      rig.write("c\nd\n"); // 4 bytes in, 6 on the wire
      await rig.peers[0]?.waitBytes(12);
      const done = await finish(rig);
      assert.match(done.stderr, /^hotline: 12 bytes sent, 0 bytes received in \d+\.\d\d seconds$/m);
    });
  });
});

/**
 * Options that do not apply, and values out of range: exit 2 and one line, before anything
 * listens or dials. (--no-shutdown with -u is in the matrix above.)
 */
const MISFITS: readonly [string[], RegExp][] = [
  [["connect", "-l"], /-l does not apply to 'hotline connect'/],
  [["probe", "-l", "127.0.0.1", "80"], /-l does not apply to 'hotline probe'/],
  [["listen", "-z"], /-z does not apply to 'hotline listen'/],
  [["listen", "-w", "1", "127.0.0.1", "0"], /-w does not apply to 'hotline listen'/],
  [["-l", "-w", "1", "127.0.0.1", "0"], /-w does not apply to listening/],
  [["-q", "1", "--recv-only", "127.0.0.1", "9"], /-q and --recv-only cannot be combined/],
  [["-l", "--serial", "-k", "127.0.0.1", "0"], /-k and --serial cannot be combined/],
  [["-i", "0", "127.0.0.1", "9"], /invalid -i '0'/],
  [["-w", "0", "127.0.0.1", "9"], /invalid -w '0'/],
  [["-i", "99999999h", "127.0.0.1", "9"], /invalid -i '99999999h': at most a year/],
  [["-lu", "--serial", "127.0.0.1", "0"], /--serial does not apply to UDP/],
];

describe("options that do not apply, and times", { concurrency: CONCURRENCY }, () => {
  for (const [args, why] of MISFITS) {
    test(`hotline ${args.join(" ")}: exit 2, one line`, () => usageError(args, why));
  }

  // Past Node's 2^31-1 ms timers (24.8 days): one that overflowed would fire after 1 ms,
  // with a TimeoutOverflowWarning on stderr.
  test("-w 3000000 is accepted (long times work): a name's lookup is not cut short", async () => {
    const server = createServer({ allowHalfOpen: true }, (sock) => {
      sock.on("error", () => {});
      sock.resume();
      sock.on("end", () => sock.end("yes\n"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const hl = hotline(["-4", "-w", "3000000", "localhost", String(port)], { stdin: "long times work\n" });
      const done = await exits(hl, 0);
      assert.equal(done.stdout.toString(), "yes\n");
      assert.equal(done.stderr, "");
    } finally {
      server.close();
    }
  });

  test("-i 3000000 is accepted and does not fire early (34 days)", async () => {
    const [mode] = MODES;
    assert.ok(mode);
    await withRig(mode, ["-i", "3000000"], async (rig) => {
      await sendToPeers(rig, Buffer.from("long times work\n"));
      await peersSay(rig, [Buffer.from("yes\n")]);
      const done = await finish(rig);
      assert.equal(done.stdout.toString(), "yes\n");
      assert.equal(done.stderr, "");
    });
  });
});

/** One line on stderr (besides the readiness line) and it names /dev/full. */
function namesDevFull(done: Finished): void {
  const lines = done.stderr
    .trimEnd()
    .split("\n")
    .filter((line) => !/^hotline: listening on /.test(line));
  assert.equal(lines.length, 1, `one line: ${done.stderr}`);
  assert.match(lines[0] ?? "", /^hotline: .*\/dev\/full/);
}

/** A TCP server whose one caller reads `first` bytes, then never reads again. */
async function stallingServer(
  first: number,
  transport: "tcp" | "unix",
): Promise<{ target: string; stalled: Promise<void>; close(): void }> {
  const server: Server = createServer({ allowHalfOpen: true });
  const conns: Socket[] = [];
  const stalled = new Promise<void>((resolve) => {
    server.on("connection", (sock: Socket) => {
      conns.push(sock);
      sock.on("error", () => {});
      let got = 0;
      sock.on("data", (chunk: Buffer) => {
        got += chunk.length;
        if (got >= first) {
          sock.pause();
          resolve();
        }
      });
    });
  });
  const path = join(tempDir(), "s.sock");
  await new Promise<void>((resolve) =>
    transport === "unix" ? server.listen(path, resolve) : server.listen(0, "127.0.0.1", resolve),
  );
  const { port } = transport === "unix" ? { port: 0 } : (server.address() as { port: number });
  return {
    // hotline's words for where the server is.
    target: transport === "unix" ? `-U ${q(path)}` : `127.0.0.1 ${port}`,
    stalled: within(stalled, WAIT_MS, `the caller to send ${first} bytes`),
    close: () => {
      for (const sock of conns) sock.destroy();
      server.close();
    },
  };
}

describe("the end of a call, across modes", { concurrency: CONCURRENCY }, () => {
  test("the peer's FIN closes stdout: | sha256sum finishes while hotline still runs", async () => {
    const data = random(4 * 1024 * 1024);
    // hotline's stdin is this bash's stdin: an open pipe the test does not close yet.
    const hl = bash(`${HL} -l 127.0.0.1 0 | sha256sum`, { lifetimeMs: 20_000 });
    try {
      const port = await listening(hl);
      const caller = createConnection({ host: "127.0.0.1", port: Number(port), allowHalfOpen: true });
      caller.on("error", () => {});
      caller.end(data);
      const [, hash] = await hl.line(/^([0-9a-f]{64}) {2}-$/m, WAIT_MS);
      assert.equal(hash, sha256(data));
      assert.ok(running(hl), "hotline still runs: sha256sum saw EOF from the descriptor");
      hl.proc.stdin?.end();
      await exits(hl, 0);
      caller.destroy();
    } finally {
      hl.kill();
    }
  });

  test("-k in connect mode: the peer finished, hotline still sends what stdin says next", async () => {
    const [mode] = MODES;
    assert.ok(mode);
    await withRig(mode, ["-k"], async (rig) => {
      const peer = rig.peers[0];
      assert.ok(peer);
      await peer.send("all I had\n");
      peer.finish();
      await rig.out.has("all I had\n");
      await rig.out.end();
      assert.ok(running(rig.hl), "hotline keeps running after the peer's end");
      await sendToPeers(rig, Buffer.from("said after the peer finished\n"));
      rig.endInput();
      const done = await exits(rig.hl, 0);
      assert.equal(done.stdout.toString(), "all I had\n");
      assert.equal((await peer.ended()).how, "eof");
      assert.equal(peer.got.toString(), "said after the peer finished\n");
    });
  });

  test("-z with several port words reports what P1,P2,P3 reports", async () => {
    const servers = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<Server>((resolve) => {
            const s = createServer((sock) => sock.destroy());
            s.listen(0, "127.0.0.1", () => resolve(s));
          }),
      ),
    );
    try {
      const [p1, p3] = servers.map((s) => String((s.address() as { port: number }).port));
      const p2 = String(await unusedPort());
      const words = await hotline(["-z", "127.0.0.1", p1 as string, p2, p3 as string]).done(WAIT_MS);
      const list = await hotline(["-z", "127.0.0.1", `${p1},${p2},${p3}`]).done(WAIT_MS);
      assert.equal(words.code, 0, words.stderr);
      assert.equal(list.code, 0, list.stderr);
      assert.equal(words.stdout.toString(), list.stdout.toString());
      assert.equal(words.stdout.toString(), `127.0.0.1 ${p1} open\n127.0.0.1 ${p3} open\n`);
    } finally {
      for (const s of servers) s.close();
    }
  });

  test("a typo of a command: did you mean; help and version exit 0", async () => {
    const typo = await hotline(["lisen"]).done(WAIT_MS);
    assert.equal(typo.code, 2);
    assert.equal(typo.stderr, "hotline: unknown command 'lisen' (did you mean listen?)\n");
    const help = await hotline(["help"]).done(WAIT_MS);
    assert.equal(help.code, 0);
    assert.match(help.stdout.toString(), /hotline listen/);
    const version = await hotline(["version"]).done(WAIT_MS);
    assert.equal(version.code, 0);
    assert.match(version.stdout.toString(), /^hotline \S+\n$/);
  });

  for (const transport of ["tcp", "unix"] as const) {
    for (const [signal, code] of [
      ["SIGTERM", 143],
      ["SIGINT", 130],
    ] as const) {
      const where = transport === "tcp" ? "connect" : "-U connect";
      test(`${signal} ends a call promptly whatever the peer does (${where}, exit ${code})`, async () => {
        const peer = await stallingServer(1024 * 1024, transport);
        // exec: the signal goes to hotline itself.
        const hl = bash(`exec ${HL} ${peer.target} < /dev/zero`, { lifetimeMs: 20_000 });
        try {
          await peer.stalled;
          const sent = performance.now();
          hl.proc.kill(signal);
          await exits(hl, code);
          const took = performance.now() - sent;
          // 5 s is main.ts's backstop: a prompt end comes well before it.
          assert.ok(took < 4500, `exited ${took} ms after ${signal}`);
        } finally {
          hl.kill();
          peer.close();
        }
      });
    }
  }

  test("SIGINT to -lk with a caller that never reads: exit 130 within the drain bound", async () => {
    const hl = bash(`exec ${HL} -lkv 127.0.0.1 0 < /dev/zero`, { lifetimeMs: 20_000 });
    let caller: Socket | null = null;
    try {
      const port = await listening(hl);
      const sock = createConnection({ host: "127.0.0.1", port: Number(port), allowHalfOpen: true });
      caller = sock;
      sock.on("error", () => {});
      // It reads the first MiB, so the caller is surely on the line and sent to, then stops.
      await within(
        new Promise<void>((resolve) => {
          let got = 0;
          sock.on("data", (chunk: Buffer) => {
            got += chunk.length;
            if (got >= 1024 * 1024) {
              sock.pause();
              resolve();
            }
          });
        }),
        WAIT_MS,
        "the caller to get 1 MiB",
      );
      const sent = performance.now();
      hl.proc.kill("SIGINT");
      await exits(hl, 130);
      const took = performance.now() - sent;
      assert.ok(took < 3500, `exited ${took} ms after SIGINT (drain bound 2 s)`);
    } finally {
      hl.kill();
      caller?.destroy();
    }
  });

  test("-i when the peer stopped reading: giving up never waits for it", async () => {
    const peer = await stallingServer(1024 * 1024, "tcp");
    const hl = bash(`exec ${HL} -i 1 ${peer.target} < /dev/zero`, { lifetimeMs: 20_000 });
    try {
      await peer.stalled;
      const stalledAt = performance.now();
      const done = await exits(hl, 1);
      const took = performance.now() - stalledAt;
      assert.match(done.stderr, /idle timeout/);
      assert.ok(took < 4000, `exited ${took} ms after the peer stopped reading`);
    } finally {
      hl.kill();
      peer.close();
    }
  });

  test("-x /dev/full × connect: exit 1 with one line naming the file", async (t) => {
    if (!existsSync("/dev/full")) return t.skip("no /dev/full here");
    const [mode] = MODES;
    assert.ok(mode);
    await withRig(mode, ["-x", "/dev/full"], async (rig) => {
      await only(rig).send("a byte to log\n");
      namesDevFull(await exits(rig.hl, 1));
    });
  });

  test("-x /dev/full × listen -k: exit 1 with one line naming the file; the listener ends", async (t) => {
    if (!existsSync("/dev/full")) return t.skip("no /dev/full here");
    const hl = hotline(["-lk", "-x", "/dev/full", "127.0.0.1", "0"], { lifetimeMs: 20_000 });
    let caller: Socket | null = null;
    try {
      const port = await listening(hl);
      caller = createConnection({ host: "127.0.0.1", port: Number(port), allowHalfOpen: true });
      caller.on("error", () => {});
      caller.write("a byte to log\n");
      namesDevFull(await exits(hl, 1));
    } finally {
      hl.kill();
      caller?.destroy();
    }
  });
});
