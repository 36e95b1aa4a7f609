/**
 * --chat at a terminal (tmux): the person at the listener is a member of the room through
 * the talk UI: sees joins and lines, speaks, renames with /nick, lists with /who, and sees
 * a private message marked as private.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { HL, has } from "../helpers/hotline.js";
import { Tmux } from "../helpers/tmux.js";
import { within } from "../helpers/within.js";

/** Reads from `s` until a line matches `pattern`; returns that line. */
async function lineFrom(s: socket.Socket, pattern: RegExp, had: { text: string }): Promise<string> {
  return within(
    (async () => {
      for (;;) {
        const lines = had.text.split("\n");
        const at = lines.slice(0, -1).findIndex((l) => pattern.test(l));
        if (at >= 0) {
          had.text = lines.slice(at + 1).join("\n");
          return lines[at] as string;
        }
        const data = await s.recv(4096);
        if (!data) throw new Error(`the end of stream before ${pattern}`);
        had.text += data.toString("utf8");
      }
    })(),
    10_000,
    `${pattern}`,
  );
}

describe("--chat in a terminal", { skip: !has("tmux") && "tmux is not installed" }, () => {
  let tmux: Tmux;
  before(() => {
    tmux = new Tmux();
  });
  after(() => tmux.close());

  test("the listener sees the room, speaks, renames, lists it and gets private lines as private", async () => {
    tmux.open("chat");
    tmux.type("chat", `${HL} listen --chat 127.0.0.1 0; echo "exit=$?"`);
    const [, port = ""] = await tmux.waitFor("chat", /listening on 127\.0\.0\.1:(\d+)/);
    const s = socket.socket();
    s.settimeout(10);
    await s.connect(["127.0.0.1", Number(port)]);
    const had = { text: "" };
    await lineFrom(s, /already connected: the listener as <user0>\./, had);
    await tmux.waitFor("chat", /\*\*\* 127\.0\.0\.1 is connected as <user1>\./);

    await s.sendall(Buffer.from("hello room\n"));
    await tmux.waitFor("chat", /\[\d\d:\d\d:\d\d <user1>\] hello room/);

    tmux.type("chat", "/nick boss");
    assert.equal(await lineFrom(s, /known as/, had), "<announce> <user0> is now known as <boss>.");
    tmux.type("chat", "hi there");
    assert.equal(await lineFrom(s, /hi there/, had), "<boss> hi there");

    tmux.type("chat", "/who");
    await tmux.waitFor("chat", /\*\*\* here: <boss> the listener, <user1> 127\.0\.0\.1\./);

    await s.sendall(Buffer.from("/msg boss just between us\n"));
    await tmux.waitFor("chat", /\[\d\d:\d\d:\d\d \*user1\* to you only\] just between us/);

    await s.sendall(Buffer.from("\x1b[2Jnot a clear\n"));
    await tmux.waitFor("chat", /<user1>\] \\e\[2Jnot a clear/);

    tmux.press("chat", "C-d");
    assert.equal(await lineFrom(s, /disconnected/, had), "<announce> <boss> is disconnected.");
    await tmux.waitFor("chat", /exit=0/);
    await s.close();
  });
});
