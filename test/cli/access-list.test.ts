/**
 * --allow, --deny, --allowfile, --denyfile with the real binary: a denied caller gets no
 * byte and no child, in every listening mode; an IPv4 deny holds on a dual-stack
 * listener; bad lists are exit 2 before listening. Callers differ by source address:
 * all of 127.0.0.0/8 is loopback on Linux, so a caller can come from 127.0.0.2.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { Child } from "../helpers/child.js";
import { has, hotline, listening } from "../helpers/hotline.js";
import { unusedPort } from "../helpers/ports.js";
import { tempDir } from "../helpers/transports.js";
import { eventually, within } from "../helpers/within.js";

/** A TCP caller from `from` (127.0.0.1, 127.0.0.2, ::1) to the listener's port on `to`. */
async function call(port: string | number, from: string, to = from.includes(":") ? "::1" : "127.0.0.1") {
  const s = socket.socket(from.includes(":") ? socket.AF_INET6 : socket.AF_INET);
  s.settimeout(10);
  await s.bind([from, 0]);
  await s.connect([to, Number(port)]);
  return s;
}

/** What a caller receives until the end (or a reset): a denied one gets nothing. */
async function received(s: socket.Socket): Promise<{ bytes: Buffer; reset: boolean }> {
  const got: Buffer[] = [];
  try {
    for await (const chunk of s.chunks()) got.push(Buffer.from(chunk));
    return { bytes: Buffer.concat(got), reset: false };
  } catch (err) {
    if (err instanceof socket.ConnectionResetError) return { bytes: Buffer.concat(got), reset: true };
    throw err;
  } finally {
    await s.close();
  }
}

/**
 * A caller from `from` that sends nothing and reads to the end. A denied one may be reset
 * before its connect() even returns: that counts as zero bytes too.
 */
async function attempt(port: string | number, from: string): Promise<{ bytes: Buffer; reset: boolean }> {
  let s: socket.Socket;
  try {
    s = await call(port, from);
  } catch (err) {
    if (err instanceof socket.ConnectionResetError) return { bytes: Buffer.alloc(0), reset: true };
    throw err;
  }
  return received(s);
}

describe("who gets in", () => {
  test("a denied caller receives zero bytes and is logged; the one call goes to the next, allowed caller", async () => {
    // stdin has something to say to whoever is answered: a denied caller must not hear it.
    const listener = hotline(["-l", "-v", "127.0.0.1", "0", "--deny", "127.0.0.2"], { stdin: "secret\n" });
    const port = await listening(listener);
    const denied = await attempt(port, "127.0.0.2");
    assert.equal(denied.bytes.length, 0);
    await listener.line(/hotline: denied 127\.0\.0\.2:\d+/);
    const allowed = await call(port, "127.0.0.1");
    allowed.shutdown(socket.SHUT_WR);
    assert.equal((await received(allowed)).bytes.toString(), "secret\n");
    assert.equal((await listener.done()).code, 0);
  });

  for (const mode of ["--chat", "--broker"]) {
    test(`${mode}: a denied caller receives zero bytes, and the others never hear of it`, async () => {
      const listener = hotline([mode, "-v", "127.0.0.1", "0", "--deny", "127.0.0.2"], { lifetimeMs: 20_000 });
      const port = await listening(listener);
      const member = await call(port, "127.0.0.1");
      await listener.line(/127\.0\.0\.1:\d+/);
      const denied = await attempt(port, "127.0.0.2");
      assert.equal(denied.bytes.length, 0);
      await listener.line(/hotline: denied 127\.0\.0\.2:\d+/);
      // A caller let in after it, from 127.0.0.3: its line reaches the member, as its join does in a chat.
      const later = await call(port, "127.0.0.3");
      await later.sendall(Buffer.from("after the denied one\n"));
      // Read up to that line before leaving: in a broker a caller's FIN is its leaving.
      let heard = "";
      await within(
        (async () => {
          while (!heard.includes("after the denied one")) {
            const chunk = await member.recv(65536);
            if (!chunk || chunk.length === 0) break;
            heard += chunk.toString();
          }
        })(),
        10_000,
        "the later caller's line",
      );
      await later.close();
      await member.close();
      assert.match(heard, /after the denied one/);
      if (mode === "--chat") assert.match(heard, /127\.0\.0\.3 is connected as <user\d+>/);
      assert.doesNotMatch(heard, /127\.0\.0\.2/, "the denied caller was never announced");
      listener.proc.kill("SIGINT");
      await listener.done();
    });
  }

  test("--allow lets in only its hosts (CIDR, octet ranges, names), comma-separated", async () => {
    const listener = hotline(["-lk", "127.0.0.1", "0", "--allow", "127.0.0.3-9,10.0.0.0/8", "--allow", "localhost"]);
    const port = await listening(listener);
    for (const [from, admitted] of [
      ["127.0.0.1", true], // localhost
      ["127.0.0.2", false],
      ["127.0.0.5", true],
    ] as const) {
      if (admitted) {
        const s = await call(port, from);
        await s.sendall(Buffer.from(`hello from ${from}\n`));
        await listener.line(new RegExp(`hello from ${from.replace(/\./g, "\\.")}`));
        await s.close();
      } else {
        assert.equal((await attempt(port, from)).bytes.length, 0);
      }
    }
    assert.doesNotMatch(listener.stdout, /hello from 127\.0\.0\.2/);
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("when --allow and --deny both match, deny wins (as ncat 7.93 does)", async () => {
    const listener = hotline(["-lk", "-v", "127.0.0.1", "0", "--allow", "127.0.0.0/8", "--deny", "127.0.0.2"]);
    const port = await listening(listener);
    assert.equal((await attempt(port, "127.0.0.2")).bytes.length, 0);
    await listener.line(/denied 127\.0\.0\.2/);
    const ok = await call(port, "127.0.0.3");
    await ok.sendall(Buffer.from("in\n"));
    await listener.line(/^in$/m);
    await ok.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("an IPv4 deny holds on a dual-stack listener (callers seen as ::ffff:127.0.0.1)", async () => {
    const listener = hotline(["-lk", "-v", "0", "--deny", "127.0.0.1"]);
    const port = await listening(listener);
    await listener.line(/IPv4 and IPv6/);
    const v4 = await attempt(port, "127.0.0.1");
    assert.equal(v4.bytes.length, 0);
    await listener.line(/denied 127\.0\.0\.1:\d+/);
    const v6 = await call(port, "::1");
    await v6.sendall(Buffer.from("over IPv6\n"));
    await listener.line(/over IPv6/);
    await v6.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("--allowfile and --denyfile: several per line, # comments", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "allow"), "# the lab\n127.0.0.1 127.0.0.2\n\n127.0.0.3 # and one more\n");
    writeFileSync(join(dir, "deny"), "127.0.0.2\n");
    const listener = hotline([
      "-lk",
      "-v",
      "127.0.0.1",
      "0",
      "--allowfile",
      join(dir, "allow"),
      "--denyfile",
      join(dir, "deny"),
    ]);
    const port = await listening(listener);
    assert.equal((await attempt(port, "127.0.0.2")).bytes.length, 0);
    assert.equal((await attempt(port, "127.0.0.4")).bytes.length, 0);
    await eventually(
      () => ((listener.stderr.match(/denied/g)?.length ?? 0) >= 2 ? true : undefined),
      5000,
      "2 denials",
    );
    const ok = await call(port, "127.0.0.3");
    await ok.sendall(Buffer.from("three\n"));
    await listener.line(/^three$/m);
    await ok.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("--serial: a denied caller never takes a turn", async () => {
    const listener = hotline(["-l", "--serial", "-v", "127.0.0.1", "0", "--deny", "127.0.0.2"]);
    const port = await listening(listener);
    assert.equal((await attempt(port, "127.0.0.2")).bytes.length, 0);
    const ok = await call(port, "127.0.0.1");
    await ok.sendall(Buffer.from("turn\n"));
    await listener.line(/^turn$/m);
    await ok.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });
});

describe("side by side with ncat 7.93", () => {
  /** Which of 127.0.0.1-4 a listener admits: each admitted caller hears "in" from its child. */
  async function admitted(listener: Child, port: string): Promise<string[]> {
    const yes: string[] = [];
    for (const from of ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]) {
      const r = await attempt(port, from);
      if (r.bytes.toString() === "in\n") yes.push(from);
      else assert.equal(r.bytes.length, 0, `${from} got ${r.bytes.toString()}`);
    }
    listener.proc.kill("SIGTERM");
    await listener.done();
    return yes;
  }

  const CASES: [string[], string[]][] = [
    [["--allow", "127.0.0.2"], ["127.0.0.2"]],
    [
      ["--allow", "127.0.0.2/31"],
      ["127.0.0.2", "127.0.0.3"],
    ],
    [
      ["--allow", "127.0.0.2-3"],
      ["127.0.0.2", "127.0.0.3"],
    ],
    [
      ["--allow", "127.0.0.-2"],
      ["127.0.0.1", "127.0.0.2"],
    ],
    [
      ["--allow", "127.0.*.*"],
      ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"],
    ],
    [
      ["--allow", "127.0.0.1,127.0.0.4"],
      ["127.0.0.1", "127.0.0.4"],
    ],
    [["--allow", "localhost"], ["127.0.0.1"]],
    [["--allow", "::ffff:127.0.0.3"], ["127.0.0.3"]],
    [["--deny", "127.0.0.0/30"], ["127.0.0.4"]],
    [
      ["--allow", "127.0.0.0/24", "--deny", "127.0.0.2-3"],
      ["127.0.0.1", "127.0.0.4"],
    ],
  ];
  for (const [args, expected] of CASES) {
    test(`${args.join(" ")}: hotline lets in whom ncat lets in`, {
      skip: !has("ncat") && "ncat is not installed",
    }, async () => {
      const hl = hotline(["-lk", "127.0.0.1", "0", ...args, "-c", "echo in"]);
      const ours = await admitted(hl, await listening(hl));
      assert.deepEqual(ours, expected, "hotline");
      // ncat cannot say which port 0 became: it gets a port nothing listens on.
      const port = String(await unusedPort());
      const ncat = new Child("ncat", ["-lkv", "127.0.0.1", port, ...args, "-c", "echo in"]);
      await ncat.line(/Listening on 127\.0\.0\.1:/);
      assert.deepEqual(await admitted(ncat, port), expected, "ncat");
    });
  }
});

describe("with -e: a denied caller starts no child", () => {
  test("the child of an allowed caller runs; a denied caller's never does", async () => {
    const dir = tempDir();
    const marker = join(dir, "started");
    const listener = hotline([
      "-lk",
      "-v",
      "127.0.0.1",
      "0",
      "--deny",
      "127.0.0.2",
      "-c",
      `echo "$NCAT_REMOTE_ADDR" >> '${marker}'; echo hi`,
    ]);
    const port = await listening(listener);
    const denied = await attempt(port, "127.0.0.2");
    assert.equal(denied.bytes.length, 0);
    await listener.line(/denied 127\.0\.0\.2/);
    assert.ok(!existsSync(marker), "no child ran for the denied caller");
    const allowed = await attempt(port, "127.0.0.1");
    assert.equal(allowed.bytes.toString(), "hi\n");
    await eventually(() => (existsSync(marker) ? true : undefined), 5000, "the allowed caller's child");
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });
});

describe("UDP", () => {
  test("a denied sender's datagrams are dropped, and it does not become the one sender heard", async () => {
    const listener = hotline(["-ul", "-v", "127.0.0.1", "0", "--deny", "127.0.0.2"]);
    const port = await listening(listener);
    const bad = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    const good = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    try {
      await bad.bind(["127.0.0.2", 0]);
      await bad.sendto(Buffer.from("from the denied\n"), ["127.0.0.1", Number(port)]);
      await listener.line(/denied 127\.0\.0\.2:\d+/);
      await good.bind(["127.0.0.1", 0]);
      await good.sendto(Buffer.from("from the allowed\n"), ["127.0.0.1", Number(port)]);
      await listener.line(/from the allowed/);
      await bad.sendto(Buffer.from("again denied\n"), ["127.0.0.1", Number(port)]);
      // One "denied" line per sender, however many datagrams.
      await good.sendto(Buffer.from("end\n"), ["127.0.0.1", Number(port)]);
      await listener.line(/^end$/m);
      assert.doesNotMatch(listener.stdout, /denied/);
      assert.equal(listener.stderr.match(/denied/g)?.length, 1);
    } finally {
      // Bound UDP sockets keep the test process alive: closed even when the test fails.
      await Promise.all([bad.close(), good.close()]);
    }
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });
});

describe("refused before listening", () => {
  test("a bad spec, an unresolvable name or an unreadable file: exit 2 with one line, nothing listens", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "bad"), "10.0.0.1\n10.0.0.0/40\n");
    writeFileSync(join(dir, "empty"), "# nobody yet\n\n");
    const cases: [string[], RegExp][] = [
      [["--allow", "10.0.0.0/33"], /--allow "10.0.0.0\/33": netmask \/33 is too long/],
      [["--deny", "300.1.1.1"], /--deny "300.1.1.1": malformed address/],
      [["--deny", "no-such-host.invalid"], /cannot look up 'no-such-host.invalid'/],
      [["--allowfile", join(dir, "missing")], /--allowfile .*missing: no such file/],
      [["--denyfile", join(dir, "bad")], /bad line 2: "10.0.0.0\/40": netmask \/40 is too long/],
      [["--allow", ","], /--allow needs a host/],
      [["--allowfile", join(dir, "empty")], /--allowfile .*empty: no hosts in it, so nobody could call/],
      [["-n", "--allow", "localhost"], /-n forbids name lookups/],
    ];
    for (const [args, message] of cases) {
      const r = await within(hotline(["-l", "127.0.0.1", "0", ...args]).done(), 15_000, args.join(" "));
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /listening on/);
    }
  });

  test("access lists do not apply to dialling nor to Unix sockets: exit 2", async () => {
    for (const args of [
      ["--allow", "127.0.0.1", "127.0.0.1", "9"],
      ["--deny", "127.0.0.1", "127.0.0.1", "9"],
      ["-lU", join(tempDir(), "s"), "--deny", "127.0.0.1"],
    ]) {
      const r = await hotline(args).done();
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, /does not apply to dialling|do not apply to Unix sockets/);
    }
  });
});
