/**
 * The meter of hotline send / receive: drawn on a terminal's stderr with the file's name and
 * percent, then erased for the summary line; on a pipe only with --progress. The transfer is
 * held part way by a gate proxy, so the meter is on screen while the test looks.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { random } from "../helpers/data.js";
import { gateProxy } from "../helpers/gate-proxy.js";
import { HL, has, hotline, listening, shellQuote as q } from "../helpers/hotline.js";
import { Tmux } from "../helpers/tmux.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const MiB = 1024 * 1024;
/** "movie.bin 25% ... 2.00 MiB  ... 25%  ETA": the file, its percent, then the numbers of the whole. */
const METER = /movie\.bin +\d+%\s+[\d.]+ (?:B|KiB|MiB)\s+[\d.]+ (?:B|KiB|MiB)\/s\s+\d+:\d\d\s+\d+%\s+ETA/;

describe("the send/receive meter in a terminal", { skip: !has("tmux") && "tmux is not installed" }, () => {
  let tmux: Tmux;
  before(() => {
    tmux = new Tmux();
  });
  after(() => tmux.close());

  test("the receiver draws it while content arrives, then leaves only the summary", async () => {
    const src = tempDir();
    const dst = tempDir();
    writeFileSync(join(src, "movie.bin"), random(8 * MiB));
    tmux.open("r");
    tmux.type("r", `${HL} receive ${q(dst)} --port 0; echo "exit=$?"`);
    const [, port = ""] = await tmux.waitFor("r", /listening on 127\.0\.0\.1:(\d+)/);
    const proxy = await gateProxy(Number(port), 2 * MiB);
    const send = hotline(["send", join(src, "movie.bin"), "127.0.0.1", proxy.port, "--progress"], {
      lifetimeMs: 30_000,
    });
    await tmux.waitFor("r", METER, 15_000);
    await within(send.line(METER, 15_000), 16_000, "the sender's forced meter on its piped stderr");
    proxy.allow(Number.POSITIVE_INFINITY);
    const sent = await send.done();
    assert.equal(sent.code, 0, sent.stderr);
    const screen = (await tmux.waitFor("r", /exit=0/, 15_000)).input ?? "";
    assert.doesNotMatch(screen, METER, "erased at the end");
    assert.match(screen, /received 1 of 1 file: 8\.00 MiB/);
    await proxy.close();
  });
});

describe("the send/receive meter off a terminal", () => {
  test("never drawn when stderr is a pipe", async () => {
    const src = tempDir();
    writeFileSync(join(src, "movie.bin"), random(4 * MiB));
    const recv = hotline(["receive", tempDir(), "--port", "0"]);
    const send = await hotline(["send", join(src, "movie.bin"), "127.0.0.1", await listening(recv)]).done();
    const got = await recv.done();
    assert.equal(send.code, 0, send.stderr);
    assert.equal(got.code, 0, got.stderr);
    for (const stderr of [send.stderr, got.stderr])
      assert.ok(!stderr.includes("\r") && !stderr.includes("\x1b"), stderr);
  });
});
