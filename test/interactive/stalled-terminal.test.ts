/**
 * A terminal that stops reading (a stalled ssh session, a sleeping laptop's terminal), on
 * a real pseudo-terminal that reads nothing until told to
 * (test/fixtures/python/stalled_terminal.py). hotline's writes to it never block the
 * process: the chat listener's seat keeps the room going, drops what is over its bound and
 * says how many lines it dropped once the terminal reads again; a call waits for the
 * terminal instead and loses nothing; SIGTERM ends any of them within its bound while the
 * terminal still reads nothing.
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { sha256 } from "../helpers/data.js";
import { HOTLINE } from "../helpers/hotline.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

/** Lines a caller says: about 1.9 MB, far more than a pty holds (some tens of KiB) plus Talk's 1 MiB. */
const LINES = 20_000;
const say = (i: number): string => `line ${String(i).padStart(6, "0")} ${"x".repeat(80)}\n`;
const ALL = Buffer.from(Array.from({ length: LINES }, (_, i) => say(i)).join(""));

/**
 * How long SIGTERM may take: main.ts's backstop ends the process 5 s after the signal
 * whatever happens (it took 2–4 s here); the rest is for a loaded two-core machine.
 */
const SIGNAL_BOUND_MS = 6500;

interface Reply {
  ok: boolean;
  groups?: string[];
  text?: string;
  error?: string;
  tail?: string;
  code?: number | null;
  signal?: number | null;
  ms?: number;
}

/** hotline on a pseudo-terminal that reads what hotline writes only when told to. */
class Terminal {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #replies: AsyncIterator<string>;
  #stderr = "";

  constructor(args: readonly string[]) {
    const fixture = `${PYTHON_FIXTURES}stalled_terminal.py`;
    this.#proc = spawn("python3", ["-u", fixture, "--lifetime", "60", "--", process.execPath, HOTLINE, ...args]);
    this.#proc.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr += chunk;
    });
    this.#replies = createInterface({ input: this.#proc.stdout })[Symbol.asyncIterator]();
  }

  async do(command: Record<string, unknown>, ms: number): Promise<Reply> {
    this.#proc.stdin.write(`${JSON.stringify(command)}\n`);
    const next = await within(this.#replies.next(), ms, `the terminal's answer to ${JSON.stringify(command)}`);
    if (next.done) throw new Error(`the terminal fixture ended: ${this.#stderr}`);
    return JSON.parse(next.value) as Reply;
  }

  /** Reads the terminal until `until` (a Python regex) shows; the reply has its groups, and the text read if asked. */
  async read(until: string, seconds = 10, text = false): Promise<Reply> {
    const reply = await this.do({ op: "read", until, timeout: seconds, text }, seconds * 1000 + 5000);
    assert.ok(
      reply.ok,
      `the terminal never showed /${until}/ (${reply.error}); its last text: ${reply.tail?.slice(-600)}`,
    );
    return reply;
  }

  /** SIGTERM, then how hotline ended, the terminal still unread. */
  async terminate(): Promise<Reply> {
    await this.do({ op: "signal", name: "SIGTERM" }, 5000);
    const exit = await this.do({ op: "wait", timeout: 10 }, 15_000);
    assert.ok(exit.ok, "hotline was still running 10 s after SIGTERM");
    return exit;
  }

  /** The fixture kills hotline if it still runs. */
  close(): void {
    this.#proc.stdin.end();
  }
}

/** A caller: everything it receives is kept, read as it comes, until the end of stream. */
class Caller {
  readonly s = socket.socket();
  #received = "";
  #ended = false;
  #wake: (() => void) | null = null;

  static async dial(port: string): Promise<Caller> {
    const caller = new Caller();
    caller.s.settimeout(30);
    await caller.s.connect(["127.0.0.1", Number(port)]);
    void caller.#read();
    return caller;
  }

  async #read(): Promise<void> {
    try {
      for (;;) {
        const data = await this.s.recv(65536);
        if (!data || data.length === 0) break;
        this.#received += data.toString("utf8");
        this.#wake?.();
      }
    } catch {
      // reset when hotline gives up, or closed by the test
    }
    this.s.close(); // hangs up after hotline's end, as a caller does
    this.#ended = true;
    this.#wake?.();
  }

  get received(): string {
    return this.#received;
  }

  /** Waits until what it received satisfies `check`. */
  until(check: (received: string) => boolean, ms: number, what: string): Promise<void> {
    return within(
      new Promise<void>((resolve, reject) => {
        const look = (): void => {
          if (check(this.#received)) resolve();
          else if (this.#ended)
            reject(new Error(`the end of stream before ${what}; received: ${this.#received.slice(-300)}`));
          else this.#wake = look;
        };
        look();
      }),
      ms,
      what,
    );
  }

  close(): void {
    this.s.close();
  }
}

/** Joins a chat and waits for its greeting. */
async function member(port: string): Promise<Caller> {
  const caller = await Caller.dial(port);
  await caller.until((text) => /already connected: the listener as <user0>/.test(text), 10_000, "the room's greeting");
  return caller;
}

/** The lines of `text` that `prefix` starts, each with its newline. */
function linesFrom(text: string, prefix: string): string {
  return text
    .split("\n")
    .filter((line) => line.startsWith(prefix))
    .map((line) => `${line.slice(prefix.length)}\n`)
    .join("");
}

/** Waits until `path` holds at least `bytes` (the -o log: what hotline has read from the caller). */
function logReaches(path: string, bytes: number, ms: number): Promise<void> {
  const size = (): number => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  return within(
    new Promise<void>((resolve) => {
      timer = setInterval(() => {
        if (size() >= bytes) resolve();
      }, 20);
    }),
    ms,
    `hotline to read ${bytes} bytes from its caller (its -o log)`,
  ).finally(() => clearInterval(timer));
}

describe("a terminal that stops reading", () => {
  test("a chat listener's terminal holds up no caller, and says how many lines it dropped once it reads again", async () => {
    const term = new Terminal(["--chat", "127.0.0.1", "0"]);
    const callers: Caller[] = [];
    try {
      const [port = ""] = (await term.read("listening on 127\\.0\\.0\\.1:(\\d+)")).groups ?? [];
      // From here on nobody reads the terminal.
      const talker = await member(port);
      callers.push(talker);
      const listener = await member(port);
      callers.push(listener);
      await talker.s.sendall(ALL);

      await listener.until((text) => text.includes(say(LINES - 1)), 20_000, "every line at the other caller");
      assert.equal(sha256(Buffer.from(linesFrom(listener.received, "<user1> "))), sha256(ALL));
      // The person at the listener still speaks (its echo is one more line not drawn).
      await term.do({ op: "type", text: "still here\r" }, 5000);
      await listener.until((text) => text.includes("<user0> still here\n"), 10_000, "the listener's line");

      const shown = await term.read(
        "\\*\\*\\* (\\d+) lines were dropped: the terminal was not reading[^\\n]*\\n",
        30,
        true,
      );
      const dropped = Number(shown.groups?.[0]);
      const numbers = [...(shown.text ?? "").matchAll(/<user1>\] line (\d{6}) x+\r?\n/g)].map((m) => Number(m[1]));
      assert.ok(numbers.length > 0, "the first lines were shown");
      assert.ok(dropped > 0);
      assert.deepEqual(
        numbers,
        numbers.map((_, i) => i),
        "the lines shown are the first ones, whole and in order",
      );
      assert.equal(numbers.length + dropped, LINES + 1, "every line was either shown or counted as dropped");

      // The seat is a member again.
      await talker.s.sendall(Buffer.from("back again\n"));
      await term.read("<user1>\\] back again\r?\n");
    } finally {
      for (const caller of callers) caller.close();
      term.close();
    }
  });

  test("SIGTERM ends a chat within its bound while the listener's terminal reads nothing", async () => {
    const term = new Terminal(["--chat", "127.0.0.1", "0"]);
    const callers: Caller[] = [];
    try {
      const [port = ""] = (await term.read("listening on 127\\.0\\.0\\.1:(\\d+)")).groups ?? [];
      const talker = await member(port);
      callers.push(talker);
      const listener = await member(port);
      callers.push(listener);
      await talker.s.sendall(ALL);
      // The room relayed all of it: far more than the terminal, which reads nothing, holds.
      await listener.until((text) => text.includes(say(LINES - 1)), 20_000, "every line at the other caller");

      const exit = await term.terminate();
      assert.equal(exit.code, 143);
      assert.ok((exit.ms ?? 0) < SIGNAL_BOUND_MS, `SIGTERM took ${exit.ms} ms`);
      await listener.until(
        (text) => text.includes("<announce> <user0> is disconnected."),
        1000,
        "the listener's goodbye",
      );
    } finally {
      for (const caller of callers) caller.close();
      term.close();
    }
  });

  for (const [name, args] of [
    ["a call", ["-l", "127.0.0.1", "0"]],
    ["the -k switchboard", ["-l", "-k", "127.0.0.1", "0"]],
  ] as const) {
    test(`SIGTERM ends ${name} within its bound while the terminal reads nothing`, async () => {
      const log = join(tempDir(), "session.log");
      const term = new Terminal([...args, "-o", log]);
      let caller: Caller | null = null;
      try {
        const [port = ""] = (await term.read("listening on 127\\.0\\.0\\.1:(\\d+)")).groups ?? [];
        caller = await Caller.dial(port);
        caller.s.sendall(ALL).catch(() => {}); // waits for the terminal; reset at the end
        // hotline read 512 KiB: it showed far more than a pty holds, and its terminal reads nothing.
        await logReaches(log, 512 * 1024, 20_000);

        const exit = await term.terminate();
        assert.equal(exit.code, 143);
        assert.ok((exit.ms ?? 0) < SIGNAL_BOUND_MS, `SIGTERM took ${exit.ms} ms`);
      } finally {
        caller?.close();
        term.close();
      }
    });
  }

  test("a call waits for a terminal that stopped reading, and loses nothing", async () => {
    const log = join(tempDir(), "session.log");
    const term = new Terminal(["-l", "127.0.0.1", "0", "-o", log]);
    let caller: Caller | null = null;
    try {
      const [port = ""] = (await term.read("listening on 127\\.0\\.0\\.1:(\\d+)")).groups ?? [];
      const dialled = await Caller.dial(port);
      caller = dialled;
      const sent = dialled.s.sendall(ALL).then(() => dialled.s.shutdown(socket.SHUT_WR));
      await logReaches(log, 512 * 1024, 20_000);

      // The terminal reads again: every line, in order, then the caller's goodbye.
      const shown = await term.read("\\*\\*\\* 127\\.0\\.0\\.1:\\d+ hung up\r?\n", 30, true);
      await sent;
      const numbers = [...(shown.text ?? "").matchAll(/\] line (\d{6}) x+\r?\n/g)].map((m) => Number(m[1]));
      assert.deepEqual(
        numbers,
        Array.from({ length: LINES }, (_, i) => i),
      );
      assert.doesNotMatch(shown.text ?? "", /dropped/);
      const exit = await term.do({ op: "wait", timeout: 10 }, 15_000);
      assert.equal(exit.code, 0);
    } finally {
      caller?.close();
      term.close();
    }
  });
});
