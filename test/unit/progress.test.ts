/**
 * The progress meter driven by a fake clock: exact lines for fixed states, the rate's smoothing
 * across ticks, fitting the terminal, what reaches the writer, and (in a child process) that its
 * timer never keeps the process alive.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, test } from "node:test";
import { METER_BACKLOG, Progress, type ProgressOptions, stalled } from "../../src/cli/call/progress.js";
import { Child } from "../helpers/child.js";
import { BUILD } from "../helpers/paths.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

// Every meter made here is stopped at the end, so a timer left running cannot hold the test
// process open (whether it would is the last test's business, in a process of its own).
const meters: Progress[] = [];
after(() => {
  for (const progress of meters) progress.stop();
});

/** A meter on a fake clock; `at(ms)` sets the time, `writes` collects what it drew. */
function meter(options: Partial<ProgressOptions> = {}): {
  progress: Progress;
  writes: string[];
  at: (ms: number) => void;
} {
  let clock = 0;
  const writes: string[] = [];
  const progress = new Progress({
    write: (text) => writes.push(text),
    columns: () => 80,
    now: () => clock,
    ...options,
  });
  meters.push(progress);
  return { progress, writes, at: (ms) => (clock = ms) };
}

/** Moves `perTick` sent bytes every 100 ms tick from `from` to `to` ms. */
function steady(m: ReturnType<typeof meter>, from: number, to: number, perTick: number): void {
  for (let t = from + 100; t <= to; t += 100) {
    m.progress.sent(perTick);
    m.at(t);
    m.progress.tick();
  }
}

/** The rate field of a rendered line, in bytes/s. */
function rate(line: string): number {
  const match = /(\d+(?:\.\d+)?) (B|KiB|MiB|GiB|TiB)\/s/.exec(line);
  assert.ok(match, `no rate in ${JSON.stringify(line)}`);
  return Number(match[1]) * 1024 ** ["B", "KiB", "MiB", "GiB", "TiB"].indexOf(match[2] ?? "");
}

test("nothing moved yet: zeros, a zero rate, no elapsed time", () => {
  assert.equal(meter().progress.render(), "↑      0 B  ↓      0 B       0 B/s   0:00");
});

test("sizes keep three significant digits, cut rather than rounded, across unit boundaries", () => {
  const cases: [number, string][] = [
    [1, "     1 B"],
    [1023, "  1023 B"],
    [KiB, "1.00 KiB"],
    [KiB + 1023, "1.99 KiB"],
    [10 * KiB - 1, "9.99 KiB"],
    [10 * KiB, "10.0 KiB"],
    [100 * KiB - 1, "99.9 KiB"],
    [100 * KiB, " 100 KiB"],
    [MiB - 1, "1023 KiB"],
    [MiB, "1.00 MiB"],
    [12.34 * MiB, "12.3 MiB"],
    [12.39 * MiB, "12.3 MiB"],
    [412 * MiB, " 412 MiB"],
    [GiB - 1, "1023 MiB"],
    [GiB, "1.00 GiB"],
    [1.5 * GiB, "1.50 GiB"],
    [TiB, "1.00 TiB"],
    [2048 * TiB, "2048 TiB"],
  ];
  for (const [bytes, shown] of cases) {
    const { progress } = meter();
    progress.add(Math.floor(bytes), 0);
    assert.equal(progress.render(), `↑ ${shown}  ↓      0 B       0 B/s   0:00`, `${bytes} bytes`);
    const other = meter();
    other.progress.received(Math.floor(bytes));
    assert.equal(other.progress.render(), `↑      0 B  ↓ ${shown}       0 B/s   0:00`, `${bytes} bytes received`);
  }
});

test("elapsed time reads m:ss, then h:mm:ss", () => {
  const m = meter();
  const cases: [number, string][] = [
    [999, " 0:00"],
    [7_000, " 0:07"],
    [62_500, " 1:02"],
    [3_599_999, "59:59"],
    [3_723_000, "1:02:03"],
  ];
  for (const [ms, shown] of cases) {
    m.at(ms);
    assert.equal(m.progress.render(), `↑      0 B  ↓      0 B       0 B/s  ${shown}`, `${ms} ms`);
  }
});

test("a known total adds the percent sent and the time left at the current rate", () => {
  const m = meter({ total: 1000 * MiB });
  m.progress.start();
  steady(m, 0, 3000, 10 * MiB);
  assert.equal(m.progress.render(), "↑  300 MiB  ↓      0 B   100 MiB/s   0:03   30%  ETA  0:07");
});

test("an unknown total shows neither percent nor ETA", () => {
  const m = meter();
  m.progress.start();
  steady(m, 0, 3000, 10 * MiB);
  assert.equal(m.progress.render(), "↑  300 MiB  ↓      0 B   100 MiB/s   0:03");
});

test("the percent reaches 100 only when everything was sent, and the ETA then is 0:00", () => {
  const m = meter({ total: 1000 });
  m.progress.start();
  m.progress.sent(999);
  m.at(100);
  m.progress.tick();
  assert.match(m.progress.render(), / {2}99% {2}ETA {2}0:01$/);
  m.progress.sent(1);
  assert.match(m.progress.render(), / 100% {2}ETA {2}0:00$/);
  m.progress.sent(500); // the file grew while it was read
  assert.match(m.progress.render(), / 100% {2}ETA {2}0:00$/);
});

test("an empty input is 100% sent at once", () => {
  assert.equal(meter({ total: 0 }).progress.render(), "↑      0 B  ↓      0 B       0 B/s   0:00  100%  ETA  0:00");
});

test("ETA when rate is 0 shows --:--", () => {
  const m = meter({ total: 5 * MiB });
  assert.equal(m.progress.render(), "↑      0 B  ↓      0 B       0 B/s   0:00    0%  ETA --:--");
  m.progress.start();
  m.at(100);
  m.progress.tick();
  assert.match(m.progress.render(), /ETA --:--$/, "a tick with nothing sent");
});

test("an ETA past 99 hours shows --:-- rather than a huge number", () => {
  const m = meter({ total: 100 * GiB });
  m.progress.start();
  steady(m, 0, 1000, 10); // 100 B/s
  assert.match(m.progress.render(), /ETA --:--$/);
});

test("the rate is the busier direction's", () => {
  const m = meter();
  m.progress.start();
  for (let t = 100; t <= 2000; t += 100) {
    m.progress.add(MiB, 20 * MiB);
    m.at(t);
    m.progress.tick();
  }
  assert.equal(m.progress.render(), "↑ 20.0 MiB  ↓  400 MiB   200 MiB/s   0:02");
});

test("the first ticks show the real rate, not one ramping up from zero", () => {
  const m = meter();
  m.progress.start();
  steady(m, 0, 100, 5 * MiB);
  assert.equal(rate(m.progress.render()), 50 * MiB);
});

test("rate smoothing: a burst lifts the rate a little, a stall lowers it gradually", () => {
  const m = meter();
  m.progress.start();
  steady(m, 0, 2000, MiB); // 10 MiB/s
  assert.equal(rate(m.progress.render()), 10 * MiB);
  steady(m, 2000, 2100, 10 * MiB); // 100 MiB/s for one tick
  const burst = rate(m.progress.render());
  assert.ok(burst > 10 * MiB && burst < 20 * MiB, `after one fast tick: ${burst}`);
  steady(m, 2100, 6000, MiB);
  const settled = rate(m.progress.render());
  assert.ok(settled > 10 * MiB && settled < 11 * MiB, `back to steady: ${settled}`);
  steady(m, 6000, 6100, 0); // one tick with nothing
  const stalled = rate(m.progress.render());
  assert.ok(stalled > 9 * MiB && stalled < settled, `after one empty tick: ${stalled}`);
  steady(m, 6100, 9000, 0);
  const later = rate(m.progress.render());
  assert.ok(later > 0 && later < 2 * MiB, `three seconds into the stall: ${later}`);
  steady(m, 9000, 60_000, 0);
  assert.equal(rate(m.progress.render()), 0, "a long stall reads 0");
});

test("the line fits the terminal by dropping whole fields, one column short of the edge", () => {
  const full = "↑      0 B  ↓      0 B       0 B/s   0:00    0%  ETA --:--";
  // ↑ and ↓ may be drawn two columns wide (East Asian ambiguous width), so the line may take two more.
  const most = full.length + 2;
  const widths: [number | undefined, string][] = [
    [undefined, full],
    [0, full],
    [most + 1, full],
    [most, full.slice(0, full.lastIndexOf("  ETA"))],
    [30, "↑      0 B  ↓      0 B"],
    [12, "↑      0 B"],
    [11, ""],
    [1, ""],
  ];
  for (const [columns, line] of widths) {
    const { progress } = meter({ total: 10, columns: () => columns });
    assert.equal(progress.render(), line, `${columns} columns`);
    const drawn = line.length + (line.match(/[↑↓]/g)?.length ?? 0);
    assert.ok(drawn < (columns || 80), `${columns} columns: never reaches the last column`);
  }
});

test("counting never writes; a tick draws one line with \\r and erase-to-end", () => {
  const m = meter();
  m.progress.start();
  m.progress.add(KiB, KiB);
  m.progress.sent(KiB);
  m.progress.received(KiB);
  assert.deepEqual(m.writes, []);
  m.at(100);
  m.progress.tick();
  assert.deepEqual(m.writes, ["\r↑ 2.00 KiB  ↓ 2.00 KiB  20.0 KiB/s   0:00\x1b[K"]);
});

test("an unchanged line is not drawn again", () => {
  const m = meter();
  m.progress.start();
  for (let t = 100; t < 1000; t += 100) {
    m.at(t);
    m.progress.tick();
  }
  assert.deepEqual(m.writes, ["\r↑      0 B  ↓      0 B       0 B/s   0:00\x1b[K"]);
  m.at(1000);
  m.progress.tick();
  assert.deepEqual(m.writes.slice(1), ["\r↑      0 B  ↓      0 B       0 B/s   0:01\x1b[K"]);
});

test("stop erases the line once and ends drawing", () => {
  const m = meter();
  m.progress.start();
  m.at(100);
  m.progress.tick();
  m.progress.stop();
  m.progress.stop();
  m.progress.sent(MiB);
  m.at(5000);
  m.progress.tick();
  m.progress.start();
  assert.deepEqual(m.writes, ["\r↑      0 B  ↓      0 B       0 B/s   0:00\x1b[K", "\r\x1b[K"]);
});

test("no redraw while the terminal holds earlier lines unread; the line of the moment once it took them", () => {
  let behind = false;
  const m = meter({ behind: () => behind });
  m.progress.start();
  m.at(100);
  m.progress.tick();
  behind = true;
  for (let t = 1000; t <= 5000; t += 1000) {
    m.progress.sent(MiB);
    m.at(t);
    m.progress.tick();
  }
  assert.equal(m.writes.length, 1, "a terminal that stopped reading got nothing more");
  behind = false;
  m.at(5100);
  m.progress.tick();
  assert.equal(m.writes.length, 2);
  const line = m.writes[1] ?? "";
  assert.ok(line.startsWith("\r↑ 5.00 MiB ") && line.endsWith(" 0:05\x1b[K"), JSON.stringify(line));
  // Erasing is never held back: a message must not be written over the line.
  behind = true;
  m.progress.erase();
  assert.equal(m.writes.at(-1), "\r\x1b[K");
});

test("stalled(): a stream holding more than METER_BACKLOG not yet taken", async () => {
  let take: (() => void) | undefined;
  const stream = new Writable({
    highWaterMark: 1,
    write(_chunk, _encoding, callback) {
      take = callback; // takes nothing until told to
    },
  });
  const behind = stalled(stream);
  stream.write("x".repeat(METER_BACKLOG));
  assert.equal(behind(), false, "exactly the backlog is not behind");
  stream.write("y");
  assert.equal(behind(), true);
  while (stream.writableLength > 0) {
    const done = take;
    take = undefined;
    done?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(behind(), false);
});

test("stop before anything was drawn writes nothing", () => {
  const m = meter();
  m.progress.start();
  m.progress.sent(MiB);
  m.progress.stop();
  assert.deepEqual(m.writes, []);
});

test("a total that is not a whole number of bytes is refused", () => {
  for (const total of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => meter({ total }), RangeError, String(total));
  }
});

test("the timer redraws every 100 ms, from start() on", (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  const m = meter();
  m.progress.sent(KiB);
  t.mock.timers.tick(1000);
  assert.deepEqual(m.writes, [], "no drawing before start()");
  m.progress.start();
  m.at(99);
  t.mock.timers.tick(99);
  assert.deepEqual(m.writes, []);
  m.at(100);
  t.mock.timers.tick(1);
  assert.equal(m.writes.length, 1);
  for (let i = 2; i <= 5; i++) {
    m.progress.sent(KiB * i); // a new byte count every time, so every tick has something to draw
    m.at(i * 100);
    t.mock.timers.tick(100);
    assert.equal(m.writes.length, i);
  }
  m.progress.stop();
  t.mock.timers.tick(1000);
  assert.equal(m.writes.length, 6, "the erase, then nothing more");
});

test("the clock starts at start(), and bytes counted before it are not a rate", () => {
  const m = meter();
  m.progress.sent(MiB);
  m.at(5000);
  m.progress.start();
  m.at(5100);
  m.progress.tick();
  assert.deepEqual(m.writes, ["\r↑ 1.00 MiB  ↓      0 B       0 B/s   0:00\x1b[K"]);
});

test("stop() clears the timer start() made, and start() after stop() makes none", (t) => {
  const made = t.mock.method(globalThis, "setInterval");
  const cleared = t.mock.method(globalThis, "clearInterval");
  const { progress } = meter();
  progress.start();
  progress.start();
  assert.equal(made.mock.callCount(), 1, "start() twice: one timer");
  progress.stop();
  assert.deepEqual(
    cleared.mock.calls.map((call) => call.arguments[0]),
    [made.mock.calls[0]?.result],
  );
  progress.start();
  assert.equal(made.mock.callCount(), 1, "no timer after stop()");
  const never = meter().progress;
  never.stop(); // the call ended before the meter was started
  never.start();
  assert.equal(made.mock.callCount(), 1, "no timer for a meter stopped before it started");
});

test("a running meter never keeps the process alive", async () => {
  // The child keeps itself alive for 250 ms, long enough for the meter to draw, then has
  // nothing left but the meter's timer.
  const script = `
    import { Progress } from ${JSON.stringify(`${BUILD}src/cli/call/progress.js`)};
    const progress = new Progress({ write: (text) => process.stderr.write(JSON.stringify(text) + "\\n"), columns: () => 80 });
    progress.start();
    progress.sent(1024);
    setTimeout(() => {}, 250);
  `;
  const child = new Child(process.execPath, ["--input-type=module", "-e", script], { lifetimeMs: 10_000 });
  const { code, stderr } = await child.done(5_000);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /"\\r↑ 1\.00 KiB {2}↓ {6}0 B/, "the meter drew while the process lived");
});
