/**
 * Talk mode in a real terminal (tmux): who is on the line, typing while a message
 * arrives, UTF-8 split across chunks, escape sequences from the peer shown harmlessly,
 * text without a newline shown promptly, Ctrl-D and Ctrl-C, and a switchboard with -k.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { HL, has } from "../helpers/hotline.js";
import { Tmux } from "../helpers/tmux.js";
import { tempDir } from "../helpers/transports.js";

const LABEL = /\[\d\d:\d\d:\d\d /;

describe("talk mode in a terminal", { skip: !has("tmux") && "tmux is not installed" }, () => {
  let tmux: Tmux;
  before(() => {
    tmux = new Tmux();
  });
  after(() => tmux.close());

  /** Starts `hotline listen` in window `name` and returns its port. */
  async function listenIn(name: string, extra = ""): Promise<number> {
    tmux.open(name);
    tmux.type(name, `${HL} listen 127.0.0.1 0 ${extra}; echo "exit=$?"`);
    const [, port = ""] = await tmux.waitFor(name, /listening on 127\.0\.0\.1:(\d+)/);
    return Number(port);
  }

  async function caller(port: number): Promise<socket.Socket> {
    const s = socket.socket();
    s.settimeout(10);
    await s.connect(["127.0.0.1", port]);
    return s;
  }

  test("two terminals talk; typing is not disturbed by a message arriving", async () => {
    const port = await listenIn("a");
    tmux.open("b");
    tmux.type("b", `${HL} connect 127.0.0.1 ${port}; echo "exit=$?"`);
    await tmux.waitFor("b", new RegExp(`connected to 127\\.0\\.0\\.1:${port}`));
    await tmux.waitFor("a", /\*\*\* call from 127\.0\.0\.1:\d+/);

    tmux.type("b", "hello from b");
    await tmux.waitFor("a", /\[\d\d:\d\d:\d\d 127\.0\.0\.1:\d+\] hello from b/);

    tmux.type("a", "half-typed line", false);
    await tmux.waitFor("a", /> half-typed line/);
    tmux.type("b", "interrupting you");
    const screen = (await tmux.waitFor("a", /interrupting you[\s\S]*> half-typed line/)).input ?? "";
    assert.match(screen, /\] interrupting you\n> half-typed line/);
    tmux.type("a", " and finished");
    await tmux.waitFor("b", /\] half-typed line and finished/);

    tmux.type("b", ""); // an empty line is not sent
    tmux.press("b", "C-d"); // hang up politely
    await tmux.waitFor("a", /hung up[\s\S]*exit=0/);
    await tmux.waitFor("b", /exit=0/);
  });

  test("the peer's escape sequences are shown, never obeyed; UTF-8 split anywhere stays whole", async () => {
    const port = await listenIn("esc");
    const peer = await caller(port);
    await tmux.waitFor("esc", /call from/);
    await peer.sendall(Buffer.from("before the attack\n"));
    await tmux.waitFor("esc", /before the attack/);
    await peer.sendall(Buffer.from("\x1b[2J\x1b[H\x1b]0;pwned\x07evil\x1b[31mred\n"));
    const screen = (await tmux.waitFor("esc", /evil/)).input ?? "";
    assert.match(screen, /before the attack/, "the screen was not cleared");
    assert.ok(screen.includes("\\e[2J\\e[H\\e]0;pwned^Gevil\\e[31mred"), screen);

    const text = "洞一洞一,听到请回答!📞".repeat(20);
    const bytes = Buffer.from(`${text}\n`);
    for (let i = 0; i < bytes.length; i += 7) {
      await peer.sendall(bytes.subarray(i, i + 7)); // cuts through characters
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const after = (await tmux.waitFor("esc", /听到请回答!📞\s*\n/)).input ?? "";
    assert.ok(!after.includes("\ufffd"), "no replacement characters");
    assert.ok(after.replace(/\n/g, "").includes(text), after);
    await peer.close();
    await tmux.waitFor("esc", /hung up[\s\S]*exit=0/);
  });

  test("text without a newline is shown promptly; a 1 MiB message arrives whole", async () => {
    const dir = tempDir();
    const log = join(dir, "log");
    const port = await listenIn("big", `-o ${log}`);
    const peer = await caller(port);
    await tmux.waitFor("big", /call from/);
    await peer.sendall(Buffer.from("no newline here"));
    await tmux.waitFor("big", /\] no newline here/);
    const big = `${"x".repeat(1024 * 1024)}END\n`;
    await peer.sendall(Buffer.from(big));
    const screen = (await tmux.waitFor("big", /xEND/, 20_000)).input ?? "";
    const tail = screen.slice(0, screen.indexOf("xEND"));
    assert.ok(!LABEL.test(tail.slice(tail.lastIndexOf("no newline here") + 20)), "the message was shown in one piece");
    await peer.close();
    await tmux.waitFor("big", /exit=0/, 20_000);
    assert.equal(readFileSync(log, "utf8"), `no newline here${big}`);
  });

  test("line editing and history work", async () => {
    const port = await listenIn("hist");
    const peer = await caller(port);
    await tmux.waitFor("hist", /call from/);
    tmux.type("hist", "first message");
    assert.equal((await peer.recv(100))?.toString(), "first message\n");
    tmux.press("hist", "Up");
    await tmux.waitFor("hist", /> first message$/m);
    tmux.press("hist", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace");
    tmux.type("hist", "edited");
    assert.equal((await peer.recv(100))?.toString(), "first edited\n");
    await peer.close();
    await tmux.waitFor("hist", /exit=0/);
  });

  test("pipe mode with stdin a terminal ends when the peer hangs up", async () => {
    const server = socket.socket();
    await server.bind(["127.0.0.1", 0]);
    await server.listen();
    const [, port] = server.getsockname() as socket.Inet4Address;
    tmux.open("pipe");
    tmux.type("pipe", `${HL} connect 127.0.0.1 ${port} | cat; echo "exit=\${PIPESTATUS[0]}"`);
    const [conn] = await server.accept();
    await conn.sendall(Buffer.from("bye from the server\n"));
    await conn.close();
    await tmux.waitFor("pipe", /bye from the server\nexit=0/);
    await server.close();
  });

  test("-i ends a quiet conversation with exit 1; UDP talk ends at Ctrl-D", async () => {
    const port = await listenIn("idle", "-i 300ms");
    const peer = await caller(port);
    await tmux.waitFor("idle", /idle timeout[\s\S]*exit=1/);
    await peer.close();

    const udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    await udp.bind(["127.0.0.1", 0]);
    const [, uport] = udp.getsockname() as socket.Inet4Address;
    tmux.open("udp");
    tmux.type("udp", `${HL} -u 127.0.0.1 ${uport}; echo "exit=$?"`);
    await tmux.waitFor("udp", /connected to 127\.0\.0\.1/);
    tmux.type("udp", "datagram one");
    const [data, from] = await udp.recvfrom(100);
    assert.equal(data?.toString(), "datagram one\n");
    await udp.sendto(Buffer.from("datagram back"), from as socket.Address);
    await tmux.waitFor("udp", /\] datagram back/);
    tmux.press("udp", "C-d");
    await tmux.waitFor("udp", /exit=0/);
    await udp.close();
  });

  test("Ctrl-C hangs up at once with exit 130; the peer sees the call end", async () => {
    const port = await listenIn("cc");
    const peer = await caller(port);
    await tmux.waitFor("cc", /call from/);
    tmux.press("cc", "C-c");
    await tmux.waitFor("cc", /exit=130/);
    assert.equal(await peer.recv(10).catch(() => null), null);
    await peer.close();
  });

  test("with -k the listener sees who said what and speaks to one caller or to all", async () => {
    const port = await listenIn("k", "-k");
    const one = await caller(port);
    await tmux.waitFor("k", /#1 127\.0\.0\.1:\d+ .*'@1 text'/);
    const two = await caller(port);
    await tmux.waitFor("k", /#2 127\.0\.0\.1:\d+/);
    await one.sendall(Buffer.from("I am one\n"));
    await two.sendall(Buffer.from("I am two\n"));
    await tmux.waitFor("k", /#1 127\.0\.0\.1:\d+\] I am one/);
    await tmux.waitFor("k", /#2 127\.0\.0\.1:\d+\] I am two/);
    await tmux.waitFor("k", /to all> $/m);
    tmux.type("k", "@2 just for two");
    assert.equal((await two.recv(100))?.toString(), "just for two\n");
    tmux.type("k", "for everyone");
    assert.equal((await one.recv(100))?.toString(), "for everyone\n");
    assert.equal((await two.recv(100))?.toString(), "for everyone\n");
    tmux.type("k", "/to 1");
    await tmux.waitFor("k", /to #1> $/m);
    tmux.type("k", "only one again");
    assert.equal((await one.recv(100))?.toString(), "only one again\n");
    await one.close();
    await tmux.waitFor("k", /#1 127\.0\.0\.1:\d+ hung up/);
    await tmux.waitFor("k", /to all> $/m);
    tmux.press("k", "C-c");
    await tmux.waitFor("k", /exit=130/);
    await two.close();
  });
});
