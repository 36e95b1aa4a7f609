/**
 * The transfer meter: drawn on stderr when it is a terminal (tmux) and stdout is not,
 * erased when the call ends; never when stderr is a pipe; forced with --progress.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { HL, has, hotline, listening } from "../helpers/hotline.js";
import { Tmux } from "../helpers/tmux.js";
import { within } from "../helpers/within.js";

/** Erase to the end of the line: how the meter redraws and leaves. */
const ERASE = "\x1b[K";
const METER = /↑\s+[\d.]+ (?:B|KiB|MiB|GiB)\s+↓\s+[\d.]+ (?:B|KiB|MiB|GiB)/;

/** Dials `port` and sends 64 KiB chunks until `stop` says so (at most 256 MiB), then hangs up. */
async function sendUntil(port: number, stop: () => boolean): Promise<number> {
  const s = socket.socket();
  s.settimeout(10);
  await s.connect(["127.0.0.1", port]);
  const chunk = Buffer.alloc(64 * 1024, 7);
  let sent = 0;
  while (!stop() && sent < 256 * 1024 * 1024) {
    await s.sendall(chunk);
    sent += chunk.length;
    await new Promise((r) => setImmediate(r)); // let the test look at the screen between chunks
  }
  await s.close();
  return sent;
}

describe("the transfer meter in a terminal", { skip: !has("tmux") && "tmux is not installed" }, () => {
  let tmux: Tmux;
  before(() => {
    tmux = new Tmux();
  });
  after(() => tmux.close());

  test("shown on stderr while bytes move when stdout is not the terminal, and gone when the call ends", async () => {
    tmux.open("m");
    tmux.type("m", `${HL} listen 127.0.0.1 0 > /dev/null; echo "exit=$?"`);
    const [, port = ""] = await tmux.waitFor("m", /listening on 127\.0\.0\.1:(\d+)/);
    let seen = false;
    const sending = sendUntil(Number(port), () => seen);
    await tmux.waitFor("m", METER, 15_000);
    seen = true;
    const sent = await sending;
    assert.ok(sent > 0);
    const screen = (await tmux.waitFor("m", /exit=0/)).input ?? "";
    assert.doesNotMatch(screen, METER, "the meter is erased at the end of the call");
  });
});

describe("the transfer meter off a terminal", () => {
  test("never drawn when stderr is a pipe", async () => {
    const server = hotline(["listen", "127.0.0.1", "0"], { stdin: "" });
    const port = Number(await listening(server));
    await sendUntil(port, () => false).catch(() => 0);
    const { code, stderr } = await server.done();
    assert.equal(code, 0);
    assert.ok(!stderr.includes("↑") && !stderr.includes(ERASE), stderr);
  });

  test("--progress forces it even when stderr is a pipe, and erases it at the end", async () => {
    const server = hotline(["listen", "127.0.0.1", "0", "--progress"], { stdin: "" });
    const port = Number(await listening(server));
    let drawn = false;
    const sending = sendUntil(port, () => drawn);
    await within(server.line(METER, 15_000), 16_000, "the meter on stderr");
    drawn = true;
    await sending;
    const { code, stderr } = await server.done();
    assert.equal(code, 0);
    assert.ok(stderr.endsWith(`\r${ERASE}`), "the last thing on stderr erases the meter");
  });
});
