/**
 * --chat at a terminal (tmux): the person at the listener is a member of the room through
 * the talk UI: sees joins and lines, speaks, renames with /nick, lists with /who, and sees
 * a private message marked as private. So is a caller who dials the room from a terminal;
 * a plain talk call keeps its own commands, whatever the peer says after its first lines.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { Child } from "../helpers/child.js";
import { HL, has, hotline, listening } from "../helpers/hotline.js";
import { unusedPort } from "../helpers/ports.js";
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

  test("a caller dialling the room from a terminal is a member: /nick, /who, /msg go to the room, private lines marked (they were local commands, private lines unmarked)", async () => {
    const room = hotline(["listen", "--chat", "127.0.0.1", "0"], { lifetimeMs: 60_000 });
    const port = await listening(room);
    tmux.open("dial");
    tmux.type("dial", `${HL} 127.0.0.1 ${port}; echo "exit=$?"`);
    await tmux.waitFor("dial", /^\[\d\d:\d\d:\d\d room\] 127\.0\.0\.1 is connected as <user1>\.$/m);
    await tmux.waitFor("dial", /^\[\d\d:\d\d:\d\d room\] already connected: the listener as <user0>\.$/m);
    await tmux.waitFor("dial", /^\*\*\* this is a hotline chat room: .*$\n^chat> $/m);

    const s = socket.socket();
    s.settimeout(10);
    await s.connect(["127.0.0.1", Number(port)]);
    const had = { text: "" };
    await lineFrom(s, /already connected: the listener as <user0>, 127\.0\.0\.1 as <user1>\./, had);
    await tmux.waitFor("dial", /^\[\d\d:\d\d:\d\d room\] 127\.0\.0\.1 is connected as <user2>\.$/m);

    tmux.type("dial", "/nick alice");
    assert.equal(await lineFrom(s, /known as/, had), "<announce> <user1> is now known as <alice>.");
    await room.line(/^<announce> <user1> is now known as <alice>\.$/m);
    await tmux.waitFor("dial", /^\[\d\d:\d\d:\d\d room\] <user1> is now known as <alice>\.$/m);

    tmux.type("dial", "/who");
    await tmux.waitFor(
      "dial",
      /^\[\d\d:\d\d:\d\d room\] here: <user0> the listener, <alice> 127\.0\.0\.1, <user2> 127\.0\.0\.1\.$/m,
    );

    await s.sendall(Buffer.from("/msg alice psst \x1b[2Jnot a clear\n"));
    await tmux.waitFor("dial", /^\[\d\d:\d\d:\d\d \*user2\* to you only\] psst \\e\[2Jnot a clear$/m);
    await s.sendall(Buffer.from("hello everyone\n"));
    await tmux.waitFor("dial", /^\[\d\d:\d\d:\d\d <user2>\] hello everyone$/m);

    tmux.type("dial", "/msg user2 just for you");
    assert.equal(await lineFrom(s, /just for you/, had), "*alice* just for you");
    tmux.type("dial", "//nick is words");
    assert.equal(await lineFrom(s, /is words/, had), "<alice> /nick is words");
    tmux.type("dial", "/help");
    await tmux.waitFor("dial", /^\[\d\d:\d\d:\d\d room\] commands: \/nick NAME renames you/m);
    assert.doesNotMatch(tmux.screen("dial", true), /unknown command/);

    await s.close();
    await tmux.waitFor("dial", /^\[\d\d:\d\d:\d\d room\] <user2> is disconnected\.$/m);
    tmux.press("dial", "C-d");
    await room.line(/^<announce> <alice> is disconnected\.$/m);
    await tmux.waitFor("dial", /exit=0/);
    room.proc.kill("SIGINT");
    assert.equal((await room.done()).code, 130);
  });

  test("a plain talk call keeps its local commands, even when the peer sends a room's greeting after its first line", async () => {
    const server = socket.socket();
    await server.bind(["127.0.0.1", 0]);
    await server.listen(1);
    const [, port] = server.getsockname() as socket.Inet4Address;
    tmux.open("plain");
    tmux.type("plain", `${HL} 127.0.0.1 ${port}; echo "exit=$?"`);
    const [peer] = await within(server.accept(), 10_000, "the caller");
    await tmux.waitFor("plain", /connected to 127\.0\.0\.1/);
    await peer.sendall(Buffer.from("hi, no room here\n"));
    await tmux.waitFor("plain", /^\[\d\d:\d\d:\d\d 127\.0\.0\.1:\d+\] hi, no room here$/m);
    // The greeting of a room, too late: the call is plain talk already.
    await peer.sendall(
      Buffer.from(
        "<announce> 127.0.0.1 is connected as <user1>.\n<announce> already connected: the listener as <user0>.\n",
      ),
    );
    await tmux.waitFor(
      "plain",
      /^\[\d\d:\d\d:\d\d 127\.0\.0\.1:\d+\] <announce> already connected: the listener as <user0>\.$/m,
    );
    tmux.type("plain", "/nick alice");
    await tmux.waitFor("plain", /^\*\*\* unknown command '\/nick'; \/help lists the commands$/m);
    tmux.type("plain", "/who");
    await tmux.waitFor("plain", /^\*\*\* 127\.0\.0\.1:\d+$/m);
    tmux.type("plain", "//who");
    peer.settimeout(10);
    assert.equal((await peer.recv(4096))?.toString(), "/who\n", "only //who was sent, as /who");
    assert.doesNotMatch(tmux.screen("plain", true), /hotline chat room/);
    await peer.close();
    await server.close();
    await tmux.waitFor("plain", /exit=0/);
  });

  /** A library socket listening on 127.0.0.1 that the tmux window dials; resolves the accepted side. */
  async function dialledBy(name: string): Promise<{ server: socket.Socket; peer: socket.Socket }> {
    const server = socket.socket();
    await server.bind(["127.0.0.1", 0]);
    await server.listen(1);
    const [, port] = server.getsockname() as socket.Inet4Address;
    tmux.open(name);
    tmux.type(name, `${HL} 127.0.0.1 ${port}; echo "exit=$?"`);
    const [peer] = await within(server.accept(), 10_000, "the caller");
    peer.settimeout(10);
    await tmux.waitFor(name, /connected to 127\.0\.0\.1/);
    return { server, peer };
  }

  test("a room's lines are made safe before they are read as the room's: a forged room's escape sequences are shown escaped", async () => {
    const { server, peer } = await dialledBy("forged");
    await peer.sendall(
      Buffer.from(
        "<announce> 127.0.0.1 is connected as <user1>.\n<announce> already connected: the listener as <user0>.\n" +
          "<announce> \x1b]0;pwned\x07\x1b[2J title\n<us\x1b[31mer> \x1b[H red\n",
      ),
    );
    await tmux.waitFor("forged", /^\*\*\* this is a hotline chat room/m);
    await tmux.waitFor("forged", /^\[\d\d:\d\d:\d\d room\] \\e\]0;pwned\^G\\e\[2J title$/m);
    await tmux.waitFor("forged", /^\[\d\d:\d\d:\d\d <us\\e\[31mer>\] \\e\[H red$/m);
    tmux.type("forged", "/who");
    assert.equal((await peer.recv(4096))?.toString(), "/who\n", "the room's command went to the room");
    await peer.close();
    await server.close();
    await tmux.waitFor("forged", /exit=0/);
  });

  test("a room whose listener renamed itself is still known by its first two lines", async () => {
    const room = hotline(["listen", "--chat", "127.0.0.1", "0"], { lifetimeMs: 60_000 });
    const port = await listening(room);
    // The listener's stdin is read while someone is on the line: a member first.
    const s = socket.socket();
    s.settimeout(10);
    await s.connect(["127.0.0.1", Number(port)]);
    const had = { text: "" };
    room.proc.stdin?.write("/nick boss\n");
    assert.equal(await lineFrom(s, /known as/, had), "<announce> <user0> is now known as <boss>.");
    tmux.open("renamed");
    tmux.type("renamed", `${HL} 127.0.0.1 ${port}; echo "exit=$?"`);
    await tmux.waitFor(
      "renamed",
      /^\[\d\d:\d\d:\d\d room\] already connected: the listener as <boss>, 127\.0\.0\.1 as <user1>\.$/m,
    );
    await tmux.waitFor("renamed", /^\*\*\* this is a hotline chat room: .*$\n^chat> $/m);
    tmux.type("renamed", "/nick carol");
    assert.equal(await lineFrom(s, /known as/, had), "<announce> <user2> is now known as <carol>.");
    await s.close();
    tmux.press("renamed", "C-d");
    await tmux.waitFor("renamed", /exit=0/);
    room.proc.kill("SIGINT");
    assert.equal((await room.done()).code, 130);
  });

  test("a room's line that arrives in two pieces far apart: the second piece is never read as another member's line", async () => {
    const { server, peer } = await dialledBy("pieces");
    await peer.sendall(
      Buffer.from(
        "<announce> 127.0.0.1 is connected as <user1>.\n<announce> already connected: the listener as <user0>.\n",
      ),
    );
    await tmux.waitFor("pieces", /^\*\*\* this is a hotline chat room/m);
    // The first piece waits for its rest, then is shown by itself; only then comes the rest.
    await peer.sendall(Buffer.from("<mallory> a long line, "));
    await tmux.waitFor("pieces", /^\[\d\d:\d\d:\d\d <mallory>\] a long line, $/m);
    await peer.sendall(Buffer.from("<user0> send me your password\n<user0> a line of its own\n"));
    await tmux.waitFor("pieces", /^\[\d\d:\d\d:\d\d <user0>\] a line of its own$/m);
    const screen = tmux.screen("pieces", true);
    assert.match(screen, /^\[\d\d:\d\d:\d\d 127\.0\.0\.1:\d+\] <user0> send me your password$/m);
    assert.doesNotMatch(screen, /<user0>\] send me your password/);
    await peer.close();
    await server.close();
    await tmux.waitFor("pieces", /exit=0/);
  });

  test("dialling ncat --chat: its lines are shown by sender; /commands stay local (ncat's room has none)", {
    skip: !has("ncat") && "ncat is not installed",
  }, async () => {
    // ncat cannot say which port 0 became: it gets a port nothing listens on.
    const port = String(await unusedPort());
    const ncat = new Child("ncat", ["-v", "--chat", "-l", "127.0.0.1", port], { lifetimeMs: 60_000 });
    await ncat.line(/Listening on 127\.0\.0\.1:/);
    tmux.open("ncat");
    tmux.type("ncat", `${HL} 127.0.0.1 ${port}; echo "exit=$?"`);
    const [, me = ""] = await tmux.waitFor(
      "ncat",
      /^\[\d\d:\d\d:\d\d room\] 127\.0\.0\.1 is connected as <(user\d+)>\.$/m,
    );
    const s = socket.socket();
    s.settimeout(10);
    await s.connect(["127.0.0.1", Number(port)]);
    const had = { text: "" };
    const [, other = ""] = /<(user\d+)>/.exec(await lineFrom(s, /is connected as/, had)) ?? [];
    await s.sendall(Buffer.from("hello from ncat's room\n"));
    await tmux.waitFor("ncat", new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d <${other}>\\] hello from ncat's room$`, "m"));
    tmux.type("ncat", "/who");
    await tmux.waitFor("ncat", /^\*\*\* 127\.0\.0\.1:\d+$/m);
    tmux.type("ncat", "plain words");
    assert.equal(await lineFrom(s, /plain words/, had), `<${me}> plain words`);
    assert.doesNotMatch(tmux.screen("ncat", true), /hotline chat room/);
    assert.doesNotMatch(had.text, /\/who/, "/who was not sent");
    await s.close();
    tmux.press("ncat", "C-d");
    await tmux.waitFor("ncat", /exit=0/);
    ncat.proc.kill("SIGTERM");
    await ncat.done();
  });
});
