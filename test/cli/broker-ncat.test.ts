/**
 * --broker beside ncat 7.93's --broker: the same scenarios run against both, each asserting
 * what a caller can observe on its own socket. Where hotline differs on purpose (docs/cli.md,
 * "Where hotline differs from ncat"), each tool is held to its own documented behaviour and
 * the test's title names the difference.
 *
 * Callers are plain node:net sockets (not the library under test), so what they see is
 * what any peer would see.
 */
import assert from "node:assert/strict";
import { createConnection, type Socket } from "node:net";
import { describe, test } from "node:test";
import { Child } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { has, hotline, listening } from "../helpers/hotline.js";
import { unusedPort } from "../helpers/ports.js";
import { within } from "../helpers/within.js";

const LIFETIME_MS = 60_000;
const WAIT_MS = 15_000;

/** One broker under test: how to start it and how to know it has taken N callers. */
interface Broker {
  name: "ncat" | "hotline";
  /** `stdin`, when given, is all of the listener's stdin, there (and ended) before it starts. */
  start(extra?: readonly string[], stdin?: Buffer): Promise<{ child: Child; port: number }>;
  /** Waits until the broker has said (with -v) that `n` callers came, in all. */
  came(child: Child, n: number): Promise<unknown>;
}

/** `n` occurrences of `what` in one stream, at any distance. */
const times = (what: string, n: number): RegExp => new RegExp(`(?:[\\s\\S]*?${what}){${n}}`);

const NCAT: Broker = {
  name: "ncat",
  async start(extra = [], stdin) {
    const port = await unusedPort();
    const child = new Child("ncat", ["-v", "--broker", ...extra, "-l", "127.0.0.1", String(port)], {
      lifetimeMs: LIFETIME_MS,
      ...(stdin ? { stdin } : {}),
    });
    await child.line(/Ncat: Listening on 127\.0\.0\.1:\d+/);
    return { child, port };
  },
  came: (child, n) => child.line(times("Ncat: Connection from ", n), WAIT_MS),
};

const HOTLINE: Broker = {
  name: "hotline",
  async start(extra = [], stdin) {
    const child = hotline(["--broker", "-v", ...extra, "127.0.0.1", "0"], {
      lifetimeMs: LIFETIME_MS,
      ...(stdin ? { stdin } : {}),
    });
    return { child, port: Number(await listening(child)) };
  },
  came: (child, n) => child.line(times("hotline: call from ", n), WAIT_MS),
};

/** A real TCP caller whose bytes are read in order, with deadlines. */
class Caller {
  readonly socket: Socket;
  #buffered: Buffer[] = [];
  #size = 0;
  /** How the line ended, once it did: "eof" (FIN), or the error's code (ECONNRESET). */
  #end: string | null = null;
  #wake: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buffered.push(chunk);
      this.#size += chunk.length;
      this.#poke();
    });
    socket.on("end", () => {
      this.#end ??= "eof";
      this.#poke();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      this.#end ??= err.code ?? err.message;
      this.#poke();
    });
    // A half-closed caller still reads (its FIN says only that it sends no more).
    socket.on("close", () => {
      this.#end ??= "closed";
      this.#poke();
    });
  }

  static dial(port: number): Promise<Caller> {
    return within(
      new Promise<Caller>((resolve, reject) => {
        const s = createConnection({ host: "127.0.0.1", port, allowHalfOpen: true });
        s.once("connect", () => {
          s.off("error", reject);
          resolve(new Caller(s));
        });
        s.once("error", reject);
      }),
      WAIT_MS,
      `a connection to 127.0.0.1:${port}`,
    );
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async #until(ready: () => boolean, what: string): Promise<void> {
    await within(
      (async () => {
        while (!ready()) await new Promise<void>((resolve) => (this.#wake = resolve));
      })(),
      WAIT_MS,
      what,
    );
  }

  /** Exactly `bytes` bytes, or a failure if the line ends first. */
  async read(bytes: number): Promise<Buffer> {
    await this.#until(
      () => this.#size >= bytes || this.#end !== null,
      `${bytes} bytes (have ${this.#size}, end ${this.#end})`,
    );
    if (this.#size < bytes) throw new Error(`the line ended (${this.#end}) after ${this.#size} of ${bytes} bytes`);
    const all = Buffer.concat(this.#buffered);
    this.#buffered = [all.subarray(bytes)];
    this.#size -= bytes;
    return all.subarray(0, bytes);
  }

  /** Waits for the end of the line; says how it ended and what came before it, unread. */
  async ended(): Promise<{ how: string; rest: Buffer }> {
    await this.#until(() => this.#end !== null, "the end of the line");
    return { how: this.#end as string, rest: Buffer.concat(this.#buffered) };
  }

  send(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Runs `body` with a broker and its callers, and always stops them all. */
async function session(
  broker: Broker,
  extra: readonly string[],
  /** `keep` registers a caller, so it is closed at the end whatever happens. */
  body: (child: Child, port: number, keep: (c: Caller) => Caller) => Promise<void>,
  stdin?: Buffer,
): Promise<string> {
  const { child, port } = await broker.start(extra, stdin);
  const callers: Caller[] = [];
  try {
    await body(child, port, (c) => {
      callers.push(c);
      return c;
    });
  } finally {
    for (const c of callers) c.destroy();
    child.kill();
  }
  const done = await child.done();
  return done.stdout.toString("utf8");
}

/** Dials `n` callers and waits until the broker has taken them all. */
async function dialAll(broker: Broker, child: Child, port: number, n: number, keep: (c: Caller) => Caller) {
  const callers: Caller[] = [];
  for (let i = 0; i < n; i++) {
    callers.push(keep(await Caller.dial(port)));
    await broker.came(child, i + 1);
  }
  return callers;
}

const MARKER = Buffer.from("--end of the round--\n");

for (const broker of [NCAT, HOTLINE]) {
  const skip = broker.name === "ncat" && !has("ncat") ? "ncat is not installed" : false;

  describe(`--broker side by side: ${broker.name}`, { skip }, () => {
    test("three callers: each one's bytes reach the other two whole (SHA-256) and never come back to it; stdout stays empty", async () => {
      const parts = [random(256 * 1024), random(192 * 1024 + 7), random(128 * 1024 + 3)];
      const stdout = await session(broker, [], async (child, port, keep) => {
        const callers = await dialAll(broker, child, port, 3, keep);
        // Each in turn, so each receiver's bytes are exactly one sender's.
        for (const [i, part] of parts.entries()) {
          const others = callers.filter((_, j) => j !== i);
          const [, heard] = await Promise.all([
            (callers[i] as Caller).send(part),
            Promise.all(others.map(async (c) => sha256(await c.read(part.length)))),
          ]);
          for (const h of heard) assert.equal(h, sha256(part), `part ${i} arrives whole at every other caller`);
        }
        // A marker from stdin closes the round: had a sender's bytes come back to it, they
        // would stand before the marker in its stream.
        child.proc.stdin?.write(MARKER);
        for (const [i, c] of callers.entries())
          assert.deepEqual(await c.read(MARKER.length), MARKER, `caller ${i} got nothing of its own back`);
      });
      assert.equal(stdout, "", "nothing of the callers' traffic on the listener's stdout");
    });

    test("the listener's stdin reaches every caller on the line, whole (SHA-256)", async () => {
      const input = random(300 * 1024 + 11);
      await session(broker, [], async (child, port, keep) => {
        const callers = await dialAll(broker, child, port, 3, keep);
        const [, heard] = await Promise.all([
          new Promise<void>((resolve) => child.proc.stdin?.write(input, () => resolve())),
          Promise.all(callers.map(async (c) => sha256(await c.read(input.length)))),
        ]);
        for (const h of heard) assert.equal(h, sha256(input));
      });
    });

    test("a caller's FIN is its leaving: it gets the end of stream at once, and the others go on", async () => {
      const later = random(64 * 1024 + 5);
      const back = random(32 * 1024 + 1);
      await session(broker, [], async (child, port, keep) => {
        const [a, b, c] = (await dialAll(broker, child, port, 3, keep)) as [Caller, Caller, Caller];
        a.socket.end(); // FIN, still reading
        // Both brokers close the leaver's line when they read its FIN (ncat: close_fd), so it
        // ends with a FIN of theirs and nothing after it.
        const left = await a.ended();
        assert.equal(left.how, "eof");
        assert.equal(left.rest.length, 0);
        const [, got] = await Promise.all([b.send(later), c.read(later.length)]);
        assert.equal(sha256(got), sha256(later));
        const [, gotBack] = await Promise.all([c.send(back), b.read(back.length)]);
        assert.equal(sha256(gotBack), sha256(back));
        child.proc.stdin?.write(MARKER);
        assert.deepEqual(await b.read(MARKER.length), MARKER);
        assert.deepEqual(await c.read(MARKER.length), MARKER);
      });
    });

    const refusal =
      broker.name === "ncat"
        ? "ncat closes the extra caller's line (FIN)"
        : "hotline resets it at once with a line on stderr (documented difference)";
    test(`--max-conns 2: the third caller is refused (${refusal}) and the two go on`, async () => {
      const part = random(48 * 1024 + 9);
      await session(broker, ["--max-conns", "2"], async (child, port, keep) => {
        const [a, b] = (await dialAll(broker, child, port, 2, keep)) as [Caller, Caller];
        const extra = keep(await Caller.dial(port));
        const refused = await extra.ended();
        assert.equal(refused.rest.length, 0, "the refused caller is given nothing");
        if (broker.name === "ncat") {
          assert.equal(refused.how, "eof");
          await child.line(/Ncat: New connection denied: connection limit reached \(2\)/);
        } else {
          assert.equal(refused.how, "ECONNRESET");
          await child.line(/hotline: refused 127\.0\.0\.1:\d+: --max-conns 2 reached/);
        }
        const [, got] = await Promise.all([a.send(part), b.read(part.length)]);
        assert.equal(sha256(got), sha256(part));
      });
    });

    test("the end of the listener's stdin ends nothing: the callers go on relaying", async () => {
      const part = random(40 * 1024 + 1);
      await session(broker, [], async (child, port, keep) => {
        const [a, b] = (await dialAll(broker, child, port, 2, keep)) as [Caller, Caller];
        // The marker is the last of stdin: once both have it, stdin's end has been read.
        child.proc.stdin?.end(MARKER);
        assert.deepEqual(await a.read(MARKER.length), MARKER);
        assert.deepEqual(await b.read(MARKER.length), MARKER);
        const [, got] = await Promise.all([a.send(part), b.read(part.length)]);
        assert.equal(sha256(got), sha256(part));
        const [, gotBack] = await Promise.all([b.send(part), a.read(part.length)]);
        assert.equal(sha256(gotBack), sha256(part));
        assert.equal(child.proc.exitCode, null, "the broker is still running");
      });
    });

    test("--max-conns 1: a caller's FIN frees its slot for the next caller", async () => {
      const part = random(24 * 1024 + 3);
      await session(broker, ["--max-conns", "1"], async (child, port, keep) => {
        const a = keep(await Caller.dial(port));
        await broker.came(child, 1);
        a.socket.end();
        assert.equal((await a.ended()).how, "eof");
        const b = keep(await Caller.dial(port));
        await broker.came(child, 2);
        // b is on the line (not refused): stdin reaches it.
        const [, got] = await Promise.all([
          new Promise<void>((resolve) => child.proc.stdin?.write(part, () => resolve())),
          b.read(part.length),
        ]);
        assert.equal(sha256(got), sha256(part));
      });
    });

    test("stdin there before anyone calls waits for the first caller and goes to it, not to a later one", async () => {
      // Both read stdin only once a caller is on the line, and give each read to those on
      // the line then. The early line is in the pipe, with its end, before the listener
      // starts, so it has long been readable when the first caller comes. (A second caller
      // arriving within the same instant may get it from ncat too, as its select() round
      // accepts before it reads stdin; here the callers come apart, so both tools agree.)
      const early = Buffer.from("said before anyone called\n");
      const part = random(16 * 1024 + 5);
      await session(
        broker,
        [],
        async (child, port, keep) => {
          const a = keep(await Caller.dial(port));
          await broker.came(child, 1);
          assert.deepEqual(await a.read(early.length), early);
          const b = keep(await Caller.dial(port));
          await broker.came(child, 2);
          // b's first bytes are a's, not the early line; and the end of stdin ended nothing.
          const [, got] = await Promise.all([a.send(part), b.read(part.length)]);
          assert.equal(sha256(got), sha256(part), "the later caller gets only what came after it");
        },
        early,
      );
    });
  });
}
