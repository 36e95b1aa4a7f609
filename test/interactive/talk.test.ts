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
import { Child } from "../helpers/child.js";
import { HL, has } from "../helpers/hotline.js";
import { Tmux } from "../helpers/tmux.js";
import { tempDir } from "../helpers/transports.js";

const LABEL = /\[\d\d:\d\d:\d\d /;

/** 150 characters that read back unambiguously ("<00>......<01>......"): wraps in a 100-column pane. */
const LONG = Array.from({ length: 15 }, (_, i) => `<${String(i).padStart(2, "0")}>......`).join("");

/**
 * What a talk screen shows: the callers' messages in order (labels taken off), and what
 * is below the last of them, its rows joined: the input line, after any pieces of an old
 * input line that a terminal rewrapping to a narrower width left above it.
 */
function conversation(screen: string): { messages: string[]; input: string } {
  const lines = screen.split("\n");
  const messages: string[] = [];
  let last = -1;
  lines.forEach((line, i) => {
    const message = /^\[\d\d:\d\d:\d\d [^\]]+\] (.*?) *$/.exec(line);
    if (message) {
      messages.push(message[1] ?? "");
      last = i;
    }
  });
  return {
    messages,
    input: lines
      .slice(last + 1)
      .map((line) => line.trimEnd())
      .join(""),
  };
}

/**
 * Waits until the screen and its scrollback show exactly `messages`, in order, and below
 * them the input line `input` at the bottom.
 */
function shows(tmux: Tmux, name: string, messages: readonly string[], input: string): Promise<string> {
  const what = `messages ${JSON.stringify(messages)} above the input line ${JSON.stringify(input)}`;
  const check = (screen: string): boolean => {
    const seen = conversation(screen);
    return seen.input.endsWith(input) && JSON.stringify(seen.messages) === JSON.stringify(messages);
  };
  return tmux.waitUntil(name, what, check, { history: true });
}

/** Reads from `s` until a newline has arrived. */
async function recvLine(s: socket.Socket): Promise<string> {
  let got = "";
  while (!got.includes("\n")) {
    const data = await s.recv(4096);
    if (!data) break;
    got += data.toString();
  }
  return got;
}

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

    tmux.press("b", "C-d"); // hang up politely
    await tmux.waitFor("a", /hung up[\s\S]*exit=0/);
    await tmux.waitFor("b", /exit=0/);
  });

  test("two terminals talk over TLS: the listener's throwaway certificate, pinned by the caller", async () => {
    tmux.open("tls-a");
    tmux.type("tls-a", `${HL} listen 127.0.0.1 0 --ssl; echo "exit=$?"`);
    const [, pin = ""] = await tmux.waitFor("tls-a", /TLS certificate made for this run \(.*\): (sha256:[0-9a-f]{64})/);
    const [, port = ""] = await tmux.waitFor("tls-a", /listening on 127\.0\.0\.1:(\d+)/);
    tmux.open("tls-b");
    tmux.type("tls-b", `${HL} connect 127.0.0.1 ${port} --ssl-pin ${pin}; echo "exit=$?"`);
    await tmux.waitFor("tls-b", new RegExp(`connected to 127\\.0\\.0\\.1:${port}`));
    tmux.type("tls-b", "secret hello 洞一");
    await tmux.waitFor("tls-a", /\[\d\d:\d\d:\d\d 127\.0\.0\.1:\d+\] secret hello 洞一/);
    tmux.type("tls-a", "secret answer");
    await tmux.waitFor("tls-b", /\] secret answer/);
    tmux.press("tls-b", "C-d");
    await tmux.waitFor("tls-a", /hung up[\s\S]*exit=0/);
    await tmux.waitFor("tls-b", /exit=0/);
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

  test("a wrapped input line does not erase messages (the redraw moved up twice)", async () => {
    const port = await listenIn("wrap");
    const peer = await caller(port);
    await tmux.waitFor("wrap", /call from/);
    tmux.type("wrap", LONG, false); // arrives in one piece, as a paste does
    await tmux.waitFor("wrap", /<14>\.{6}/);
    const said: string[] = [];
    for (let i = 1; i <= 5; i++) {
      // The cursor at the end of the line's second row, then on its first row.
      if (i === 4) {
        tmux.press("wrap", ...Array<string>(120).fill("Left"));
        await tmux.waitForCursorAt("wrap", 2 + 30);
      }
      said.push(`message ${i} of 5`);
      await peer.sendall(Buffer.from(`message ${i} of 5\n`));
      await shows(tmux, "wrap", said, `> ${LONG}`);
    }
    tmux.type("wrap", "^"); // typed where the cursor is: the line is intact in the editor too
    assert.equal(await recvLine(peer), `${LONG.slice(0, 30)}^${LONG.slice(30)}\n`);
    await peer.close();
    await tmux.waitFor("wrap", /hung up[\s\S]*exit=0/);
  });

  test("resizing the window with a wrapped input line loses no message", async () => {
    const port = await listenIn("resize");
    const peer = await caller(port);
    await tmux.waitFor("resize", /call from/);
    tmux.type("resize", LONG, false);
    await tmux.waitFor("resize", /<14>\.{6}/);
    const said: string[] = [];
    const say = async (text: string): Promise<void> => {
      said.push(text);
      await peer.sendall(Buffer.from(`${text}\n`));
      await shows(tmux, "resize", said, `> ${LONG}`);
    };
    await say("before any resize");
    // Wider and narrower, each followed at once by messages (tmux tells the program of a
    // resize up to a quarter of a second after it rewraps the screen: messages arrive in between).
    for (const columns of [60, 140, 100, 45, 100]) {
      tmux.resize("resize", columns, 30);
      await say(`at ${columns} columns`);
      await say(`still ${columns} columns`);
    }
    tmux.type("resize", "!");
    assert.equal(await recvLine(peer), `${LONG}!\n`);
    await peer.close();
    await tmux.waitFor("resize", /hung up[\s\S]*exit=0/);
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

  test("Ctrl-C says you hung up (it blamed the peer: '127.0.0.1:... hung up')", async () => {
    const port = await listenIn("ccwho");
    const peer = await caller(port);
    await tmux.waitFor("ccwho", /call from/);
    tmux.press("ccwho", "C-c");
    const screen = await tmux.waitUntil("ccwho", "exit=130", (text) => text.includes("exit=130"));
    assert.match(screen, /^\*\*\* you hung up\nexit=130$/m, "said once, and the shell's line is clean");
    assert.doesNotMatch(screen, /127\.0\.0\.1:\d+ hung up/);
    await peer.close();
  });

  test("-q after Ctrl-D ends the call even if the other side never hangs up (talk mode ignored -q)", async () => {
    const port = await listenIn("quit", "-q 300ms");
    const peer = await caller(port);
    await tmux.waitFor("quit", /call from/);
    tmux.press("quit", "C-d");
    await tmux.waitFor("quit", /exit=0/);
    await peer.close();
  });

  test("the call ending while you type leaves a clean line and names the unsent text (prompt and text were left, glued to the shell's prompt)", async () => {
    const port = await listenIn("typing");
    const peer = await caller(port);
    await tmux.waitFor("typing", /call from/);
    tmux.type("typing", 'half of a "thought"', false);
    await tmux.waitFor("typing", /> half of a "thought"$/m);
    await peer.close();
    await tmux.waitFor(
      "typing",
      /\*\*\* 127\.0\.0\.1:\d+ hung up\n\*\*\* unsent text discarded: "half of a \\"thought\\""\nexit=0\n/,
    );
    const screen = tmux.screen("typing");
    assert.doesNotMatch(screen, /^> /m, "no prompt is left on the screen");

    // Nothing typed: nothing to discard, and no prompt left either.
    const again = await listenIn("typing2");
    const other = await caller(again);
    await tmux.waitFor("typing2", /call from/);
    await other.close();
    const after = await tmux.waitUntil("typing2", "exit=0", (text) => text.includes("exit=0"));
    assert.match(after, /127\.0\.0\.1:\d+ hung up\nexit=0\n/);
  });

  test("an empty line is sent: a typed HTTP request gets its answer with -C (empty lines were never sent)", async () => {
    // A web server of a kind: answers only once the request's blank line has come.
    const server = new Child("python3", [
      "-u",
      "-c",
      `
import socket
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(20)
print(srv.getsockname()[1])
conn, _ = srv.accept()
conn.settimeout(20)
data = b""
while b"\\r\\n\\r\\n" not in data:
    chunk = conn.recv(1024)
    if not chunk:
        break
    data += chunk
print("request", repr(data))
conn.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhello")
conn.close()
`,
    ]);
    const [, port = ""] = await server.line(/^(\d+)$/m);
    tmux.open("http");
    tmux.type("http", `${HL} connect 127.0.0.1 ${port} -C; echo "exit=$?"`);
    await tmux.waitFor("http", /connected to 127\.0\.0\.1/);
    tmux.type("http", "GET / HTTP/1.0");
    tmux.type("http", "");
    await tmux.waitFor("http", /\] HTTP\/1\.0 200 OK[\s\S]*\] hello[\s\S]*exit=0/);
    await server.line(/^request /m);
    assert.match(server.stdout, /^request b'GET \/ HTTP\/1\.0\\r\\n\\r\\n'$/m);
    assert.equal((await server.done()).code, 0);
  });

  test("empty lines and lines of spaces are sent as they are (they were dropped)", async () => {
    const port = await listenIn("blank");
    const peer = await caller(port);
    await tmux.waitFor("blank", /call from/);
    tmux.type("blank", "");
    assert.equal(await recvLine(peer), "\n");
    tmux.type("blank", "   ");
    assert.equal(await recvLine(peer), "   \n");
    tmux.type("blank", "end");
    assert.equal(await recvLine(peer), "end\n");
    await peer.close();
    await tmux.waitFor("blank", /exit=0/);
  });

  test("an unknown command says so ('/bogus' printed the help with no word of it)", async () => {
    const port = await listenIn("cmd");
    const peer = await caller(port);
    await tmux.waitFor("cmd", /call from/);
    tmux.type("cmd", "/bogus");
    await tmux.waitFor("cmd", /^\*\*\* unknown command '\/bogus'; \/help lists the commands$/m);
    tmux.type("cmd", "/help");
    await tmux.waitFor("cmd", /^\*\*\* type and press Enter to talk/m);
    tmux.type("cmd", "//bogus is text");
    assert.equal(await recvLine(peer), "/bogus is text\n", "neither command was sent");
    await peer.close();
    await tmux.waitFor("cmd", /exit=0/);
  });

  test("bidirectional controls and invalid bytes from the peer are shown escaped (U+202E reversed the text; invalid bytes showed as U+FFFD)", async () => {
    const port = await listenIn("bidi");
    const peer = await caller(port);
    await tmux.waitFor("bidi", /call from/);
    const attack = Buffer.concat([
      Buffer.from("file\u202egnp.exe \u2066isolated\u2069 \u200f\u061c "),
      Buffer.from([0x9b, 0x32, 0x4a, 0x20, 0xff, 0x20, 0xe4, 0xbd]), // CSI as a byte, 0xff, a cut-off character
      Buffer.from(" \u009b2J end\n"), // CSI as a character
    ]);
    for (let i = 0; i < attack.length; i += 3) {
      await peer.sendall(attack.subarray(i, i + 3)); // cuts through characters
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const screen = await tmux.waitUntil("bidi", "the attack", (text) => text.includes(" end\n"));
    assert.ok(
      screen.includes(
        "] file\\u202egnp.exe \\u2066isolated\\u2069 \\u200f\\u061c \\x9b2J \\xff \\xe4\\xbd \\u009b2J end\n",
      ),
      screen,
    );
    assert.ok(!screen.includes("\ufffd"), "no replacement characters");
    await peer.close();
    await tmux.waitFor("bidi", /exit=0/);
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
    tmux.type("k", "/msg 2 the chat room's way");
    assert.equal((await two.recv(100))?.toString(), "the chat room's way\n");
    tmux.type("k", "for everyone");
    assert.equal((await one.recv(100))?.toString(), "for everyone\n");
    assert.equal((await two.recv(100))?.toString(), "for everyone\n");
    tmux.type("k", "/to 1");
    await tmux.waitFor("k", /to #1> $/m);
    tmux.type("k", "only one again");
    assert.equal((await one.recv(100))?.toString(), "only one again\n");
    tmux.type("k", "/to all");
    await tmux.waitFor("k", /to all> $/m);
    await one.close();
    await tmux.waitFor("k", /#1 127\.0\.0\.1:\d+ hung up/);
    tmux.type("k", "/who");
    await tmux.waitFor("k", /\*\*\* #2 127\.0\.0\.1:\d+\n/);
    tmux.press("k", "C-c");
    await tmux.waitFor("k", /exit=130/);
    await two.close();
  });

  test("--serial talks with one caller after another; the next is answered once the first hangs up", async () => {
    const port = await listenIn("serial", "--serial");
    const one = await caller(port);
    await tmux.waitFor("serial", /call from 127\.0\.0\.1:\d+/);
    const two = await caller(port); // waits in the backlog
    await one.sendall(Buffer.from("first caller\n"));
    await tmux.waitFor("serial", /\] first caller/);
    await one.close();
    await tmux.waitFor("serial", /hung up[\s\S]*call from 127\.0\.0\.1:\d+/);
    await two.sendall(Buffer.from("second caller\n"));
    await tmux.waitFor("serial", /\] second caller/);
    tmux.type("serial", "hello two");
    assert.equal((await two.recv(100))?.toString(), "hello two\n");
    tmux.press("serial", "C-c");
    await tmux.waitFor("serial", /exit=130/);
    await two.close();
  });

  test("with -k, a caller refused by --max-conns is told the line is busy (it only saw a reset)", async () => {
    const port = await listenIn("busy", "-k --max-conns 1");
    const one = await caller(port);
    await tmux.waitFor("busy", /#1 127\.0\.0\.1:\d+ /);
    const two = await caller(port);
    assert.equal((await two.recv(200))?.toString(), "hotline: the line is busy (--max-conns 1); try again later\n");
    assert.equal(await two.recv(10), null, "then the line closes");
    await tmux.waitFor("busy", /refused 127\.0\.0\.1:\d+: --max-conns 1 reached/);
    tmux.press("busy", "C-c");
    await tmux.waitFor("busy", /exit=130/);
    await one.close();
    await two.close();
  });

  test("with -k a private line never becomes a broadcast when its caller hangs up (it went to everyone)", async () => {
    const port = await listenIn("priv", "-k");
    const one = await caller(port);
    await tmux.waitFor("priv", /#1 127\.0\.0\.1:\d+ /);
    const two = await caller(port);
    await tmux.waitFor("priv", /#2 127\.0\.0\.1:\d+ /);
    tmux.type("priv", "/to 2");
    await tmux.waitFor("priv", /to #2> $/m);
    tmux.type("priv", "a secret for two only", false);
    await tmux.waitFor("priv", /to #2> a secret for two only$/m);
    await two.close();
    await tmux.waitFor("priv", /#2 127\.0\.0\.1:\d+ hung up\nto #2 \(hung up\)> a secret for two only$/m);
    tmux.type("priv", "");
    await tmux.waitFor("priv", /^\*\*\* #2 has hung up; not sent\. '\/to all' to talk to everyone$/m);
    await tmux.waitFor("priv", /to #2 \(hung up\)> $/m);
    tmux.type("priv", "@2 one more secret");
    await tmux.waitFor("priv", /^\*\*\* #2 has hung up; not sent$/m);
    tmux.type("priv", "/to 2");
    await tmux.waitFor("priv", /^\*\*\* #2 has hung up; \/who lists the callers$/m);
    tmux.type("priv", "/to all");
    await tmux.waitFor("priv", /to all> $/m);
    tmux.type("priv", "for everyone");
    assert.equal(await recvLine(one), "for everyone\n", "#1 heard none of the secrets");
    tmux.press("priv", "C-c");
    await tmux.waitFor("priv", /exit=130/);
    await one.close();
  });
});
