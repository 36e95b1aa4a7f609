/**
 * -e and -c with the real binary: a child process is each call's local end, in both roles,
 * with EOF per direction, the NCAT_* variables, one child per caller with -k, the exit
 * code saying how the child ended, and no child (nor what it started) left behind.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { splitCommand } from "../../src/cli/endpoints/child.js";
import * as socket from "../../src/index.js";
import { Child } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { has, hotline, listening } from "../helpers/hotline.js";
import { tempDir } from "../helpers/transports.js";
import { eventually, within } from "../helpers/within.js";

async function dial(port: string | number, host = "127.0.0.1"): Promise<socket.Socket> {
  const s = socket.socket(host.includes(":") ? socket.AF_INET6 : socket.AF_INET);
  s.settimeout(15);
  await s.connect([host, Number(port)]);
  return s;
}

/** Everything the peer sends until its FIN. */
async function readAll(s: socket.Socket): Promise<Buffer> {
  const got: Buffer[] = [];
  for await (const chunk of s.chunks()) got.push(Buffer.from(chunk));
  return Buffer.concat(got);
}

/**
 * Children the tests saw, killed with their groups when the file ends: if hotline failed
 * to end one, the test fails instead of the leftover holding the run open.
 */
const seen: number[] = [];
after(() => {
  for (const pid of seen) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
});

/** Notes a child's pid for the cleanup above, and returns it. */
function watch(pid: number): number {
  if (pid > 0) seen.push(pid);
  return pid;
}

/** Whether a process is still there (signal 0). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("splitting -e's value as ncat does", () => {
  test("white space separates; a backslash escapes the next character; no quotes", () => {
    assert.deepEqual(splitCommand("ncat -l -k"), ["ncat", "-l", "-k"]);
    assert.deepEqual(splitCommand("  /bin/prog\ta  "), ["/bin/prog", "a"]);
    assert.deepEqual(splitCommand("t\\ p\\ s hello how\\ are you?"), ["t p s", "hello", "how are", "you?"]);
    assert.deepEqual(splitCommand("ncat\\\\ a"), ["ncat\\", "a"]);
    assert.deepEqual(splitCommand("ncat\\ \\"), ["ncat "]);
    assert.deepEqual(splitCommand("a\\nb"), ["anb"]);
    assert.deepEqual(splitCommand('echo "x y"'), ["echo", '"x', 'y"']);
    assert.deepEqual(splitCommand(""), []);
  });
});

describe("-e and -c when listening", () => {
  test("-e cat: 4 MiB both ways arrive whole (SHA-256), and the listener exits with cat's 0", async () => {
    const listener = hotline(["-l", "127.0.0.1", "0", "-e", "cat"], { lifetimeMs: 60_000 });
    const port = await listening(listener);
    const c = await dial(port);
    const data = random(4 * 1024 * 1024 + 11);
    const reading = readAll(c);
    await c.sendall(data);
    c.shutdown(socket.SHUT_WR);
    const back = await within(reading, 30_000, "cat's answer");
    await c.close();
    assert.equal(back.length, data.length);
    assert.equal(sha256(back), sha256(data));
    assert.equal((await listener.done()).code, 0);
  });

  test("-e sort answers after the caller's FIN (ncat never does: nmap/nmap#2510)", async () => {
    const listener = hotline(["-l", "127.0.0.1", "0", "-e", "sort"]);
    const port = await listening(listener);
    const c = await dial(port);
    await c.sendall(Buffer.from("pear\napple\nfig\n"));
    c.shutdown(socket.SHUT_WR);
    assert.equal((await readAll(c)).toString(), "apple\nfig\npear\n");
    await c.close();
    assert.equal((await listener.done()).code, 0);
  });

  test("ncat as the caller: -e sort answers after ncat's end of input", {
    skip: !has("ncat") && "ncat is not installed",
  }, async () => {
    const listener = hotline(["-l", "127.0.0.1", "0", "-e", "sort"]);
    const port = await listening(listener);
    const caller = new Child("ncat", ["127.0.0.1", port], { stdin: "zebra\nant\nmoose\n" });
    const r = await caller.done();
    assert.equal(r.stdout.toString(), "ant\nmoose\nzebra\n");
    assert.equal((await listener.done()).code, 0);
  });

  test("a program that exits at once ends the call (FIN to the caller), and its code is the exit code", async () => {
    const listener = hotline(["-l", "127.0.0.1", "0", "-c", "exit 7"]);
    const port = await listening(listener);
    const c = await dial(port);
    await c.sendall(Buffer.from("nobody reads this\n")).catch(() => {});
    // The caller never sends FIN: the call ends because the child did.
    const got = await within(
      readAll(c).catch(() => Buffer.alloc(0)),
      10_000,
      "the end of the call",
    );
    assert.equal(got.length, 0);
    await c.close();
    assert.equal((await listener.done()).code, 7);
  });

  test("the child's stderr goes to hotline's stderr, never to the caller", async () => {
    const listener = hotline(["-l", "127.0.0.1", "0", "-c", "echo to-the-caller; echo only-on-stderr >&2"]);
    const port = await listening(listener);
    const c = await dial(port);
    const got = await within(readAll(c), 10_000, "the child's stdout");
    await c.close();
    assert.equal(got.toString(), "to-the-caller\n");
    const done = await listener.done();
    assert.equal(done.code, 0);
    assert.match(done.stderr, /^only-on-stderr$/m);
    assert.doesNotMatch(done.stdout.toString(), /only-on-stderr/);
  });

  test("a child killed by a signal is 128 + its number (SIGKILL: 137)", async () => {
    const listener = hotline(["-l", "127.0.0.1", "0", "-c", "kill -9 $$"]);
    const port = await listening(listener);
    const c = await dial(port);
    await readAll(c).catch(() => {});
    await c.close();
    const l = await listener.done();
    assert.equal(l.code, 137);
  });

  test("the child gets NCAT_REMOTE_ADDR/PORT, NCAT_LOCAL_ADDR/PORT and NCAT_PROTO", async () => {
    const listener = hotline(["-l", "127.0.0.1", "0", "-c", "env | grep '^NCAT_' | sort"]);
    const port = await listening(listener);
    const c = await dial(port);
    const [, mine] = c.getsockname() as socket.Inet4Address;
    const env = (await readAll(c)).toString();
    await c.close();
    assert.equal(
      env,
      [
        "NCAT_LOCAL_ADDR=127.0.0.1",
        `NCAT_LOCAL_PORT=${port}`,
        "NCAT_PROTO=TCP",
        "NCAT_REMOTE_ADDR=127.0.0.1",
        `NCAT_REMOTE_PORT=${mine}`,
        "",
      ].join("\n"),
    );
    assert.equal((await listener.done()).code, 0);
  });

  test("an IPv4 caller of a dual-stack listener is NCAT_REMOTE_ADDR=127.0.0.1, not ::ffff:127.0.0.1", async () => {
    const listener = hotline(["-l", "0", "-c", "echo $NCAT_REMOTE_ADDR"]);
    const port = await listening(listener);
    const c = await dial(port);
    assert.equal((await readAll(c)).toString(), "127.0.0.1\n");
    await c.close();
    assert.equal((await listener.done()).code, 0);
  });

  test("a Unix socket's ends are 'localhost' with no port, as ncat says", async () => {
    const path = join(tempDir(), "s.sock");
    const listener = hotline(["-lU", path, "-c", 'echo "$NCAT_REMOTE_ADDR|$NCAT_REMOTE_PORT|$NCAT_PROTO"']);
    await listening(listener);
    const c = socket.socket(socket.AF_UNIX);
    c.settimeout(10);
    await c.connect(path);
    assert.equal((await readAll(c)).toString(), "localhost||TCP\n");
    await c.close();
    assert.equal((await listener.done()).code, 0);
  });

  test("-k: one child per caller, each its own conversation", async () => {
    const listener = hotline(["-lk", "-v", "127.0.0.1", "0", "-c", "echo $$; exec cat"]);
    const port = await listening(listener);
    const [a, b] = [await dial(port), await dial(port)];
    const pidOf = async (s: socket.Socket): Promise<number> => watch(Number((await s.recv(100))?.toString().trim()));
    const [pa, pb] = [await pidOf(a), await pidOf(b)];
    assert.ok(pa > 0 && pb > 0 && pa !== pb, `two children: ${pa}, ${pb}`);
    await a.sendall(Buffer.from("to a\n"));
    await b.sendall(Buffer.from("to b\n"));
    assert.equal((await a.recv(100))?.toString(), "to a\n");
    assert.equal((await b.recv(100))?.toString(), "to b\n");
    a.shutdown(socket.SHUT_WR);
    assert.equal((await readAll(a)).length, 0);
    await a.close();
    await eventually(() => (alive(pa) ? undefined : true), 5000, "a's child to exit");
    assert.ok(alive(pb), "b's child still runs");
    await b.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
    assert.ok(!alive(pb));
  });

  test("-k --max-conns 1: a second caller is refused and starts no child", async () => {
    const dir = tempDir();
    const marker = join(dir, "children");
    const listener = hotline(["-lk", "-m", "1", "127.0.0.1", "0", "-c", `echo x >> '${marker}'; echo $$; exec cat`]);
    const port = await listening(listener);
    const a = await dial(port);
    watch(Number((await a.recv(100))?.toString().trim()));
    // The second caller is reset: at connect already, or at its first read.
    await assert.rejects(
      dial(port).then((b) => b.recv(10).finally(() => b.close())),
      socket.ConnectionResetError,
    );
    await listener.line(/--max-conns 1 reached/);
    assert.equal(readFileSync(marker, "utf8"), "x\n", "one child only");
    await a.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("-C applies to what the child writes", async () => {
    const listener = hotline(["-l", "-C", "127.0.0.1", "0", "-c", "printf 'a\\nb\\n'"]);
    const port = await listening(listener);
    const c = await dial(port);
    assert.equal((await readAll(c)).toString(), "a\r\nb\r\n");
    await c.close();
    assert.equal((await listener.done()).code, 0);
  });

  test("UDP: each datagram goes to the child, each write comes back as a datagram", async () => {
    const listener = hotline(["-ul", "127.0.0.1", "0", "-c", 'echo "$NCAT_PROTO"; head -n1; echo bye']);
    const port = await listening(listener);
    const s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    s.settimeout(10);
    try {
      await s.sendto(Buffer.from("hello\n"), ["127.0.0.1", Number(port)]);
      const replies: string[] = [];
      while (!replies.join("").includes("bye")) replies.push((await s.recvfrom(1000))[0]?.toString() ?? "");
      assert.equal(replies.join(""), "UDP\nhello\nbye\n");
    } finally {
      await s.close(); // a bound UDP socket would keep the test process alive
    }
    assert.equal((await listener.done()).code, 0);
  });

  test("a child that outlives its call is ended: SIGTERM after the grace, exit 143", async () => {
    // It closes its stdout (so the caller gets FIN) but never exits by itself.
    const listener = hotline(["-l", "127.0.0.1", "0", "-c", "echo $$; exec >&- <&-; sleep 100"]);
    const port = await listening(listener);
    const c = await dial(port);
    const pid = watch(Number((await readAll(c)).toString().trim()));
    c.shutdown(socket.SHUT_WR);
    await c.close();
    const l = await listener.done();
    assert.equal(l.code, 143);
    assert.ok(!alive(pid));
  });
});

describe("no child is left behind", () => {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    test(`${signal} to hotline ends the child and what it started in the background`, async () => {
      const listener = hotline(["-l", "127.0.0.1", "0", "-c", "echo $$; sleep 100 & echo $!; wait"]);
      const port = await listening(listener);
      const c = await dial(port);
      let text = "";
      while (text.split("\n").length < 3) text += (await c.recv(100))?.toString() ?? "";
      const pids = text.trim().split("\n").map(Number).map(watch);
      assert.equal(pids.length, 2);
      assert.ok(pids.every(alive));
      listener.proc.kill(signal);
      assert.equal((await listener.done()).code, code);
      await c.close();
      assert.deepEqual(pids.filter(alive), [], "the shell and its background sleep are gone once hotline exited");
    });
  }

  test("a child that ignores SIGTERM is killed (SIGKILL) before hotline exits", async () => {
    const listener = hotline(["-l", "127.0.0.1", "0", "-c", "trap '' TERM; echo $$; while :; do sleep 0.1; done"]);
    const port = await listening(listener);
    const c = await dial(port);
    const pid = watch(Number((await c.recv(100))?.toString().trim()));
    assert.ok(alive(pid));
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
    await c.close();
    assert.ok(!alive(pid));
  });

  test("a second Ctrl-C leaves at once, and still no child is left (the exit handler kills the group)", async () => {
    const listener = hotline([
      "-l",
      "-v",
      "127.0.0.1",
      "0",
      "-c",
      "trap '' TERM INT; echo $$; while :; do sleep 0.1; done",
    ]);
    const port = await listening(listener);
    const c = await dial(port);
    const pid = watch(Number((await c.recv(100))?.toString().trim()));
    assert.ok(alive(pid));
    listener.proc.kill("SIGINT");
    await listener.line(/giving up|SIGTERM|was cut off|bytes sent/).catch(() => {});
    listener.proc.kill("SIGINT");
    const started = Date.now();
    assert.equal((await listener.done()).code, 130);
    assert.ok(Date.now() - started < 1500, "the second interrupt did not wait for the kill grace");
    await c.close();
    await eventually(() => (alive(pid) ? undefined : true), 2000, "the child to be gone");
  });
});

describe("-e and -c when dialling", () => {
  test("hotline -e cat HOST PORT against a library listener: 3 MiB round trip (SHA-256), exit 0", async () => {
    const server = await socket.createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as socket.Inet4Address;
    const dialler = hotline(["-e", "cat", "127.0.0.1", port], { lifetimeMs: 60_000 });
    const [conn] = await server.accept();
    conn.settimeout(30);
    const data = random(3 * 1024 * 1024 + 5);
    const reading = readAll(conn);
    await conn.sendall(data);
    conn.shutdown(socket.SHUT_WR);
    const back = await within(reading, 30_000, "cat's answer");
    assert.equal(sha256(back), sha256(data));
    await conn.close();
    await server.close();
    assert.equal((await dialler.done()).code, 0);
  });

  test("the dialler's child sees the listener as NCAT_REMOTE_*", async () => {
    const server = await socket.createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as socket.Inet4Address;
    const dialler = hotline(["-c", 'echo "$NCAT_REMOTE_ADDR:$NCAT_REMOTE_PORT $NCAT_PROTO"', "127.0.0.1", port]);
    const [conn] = await server.accept();
    conn.settimeout(10);
    assert.equal((await readAll(conn)).toString(), `127.0.0.1:${port} TCP\n`);
    await conn.close();
    await server.close();
    assert.equal((await dialler.done()).code, 0);
  });
});

describe("refused before listening or dialling", () => {
  test("a program not found, not executable, or a directory: exit 2 with one line, nothing listens", async () => {
    const dir = tempDir();
    const script = join(dir, "not-executable");
    writeFileSync(script, "#!/bin/sh\necho hi\n");
    chmodSync(script, 0o644);
    const cases: [string[], RegExp][] = [
      [["-e", "no-such-program-hotline"], /-e: no program 'no-such-program-hotline' in PATH/],
      [["-e", script], /-e: cannot run .*not-executable: not executable/],
      [["-e", dir], /is a directory/],
      [["-e", "./no/such/file"], /-e: cannot run .*no\/such\/file: no such file/],
    ];
    for (const [args, message] of cases) {
      const r = await hotline(["-l", "127.0.0.1", "0", ...args]).done();
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /listening on/);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    const dialled = await hotline(["-e", "no-such-program-hotline", "127.0.0.1", "9"]).done();
    assert.equal(dialled.code, 2);
    assert.doesNotMatch(dialled.stderr, /connect/);
  });

  test("option misfits are usage errors (exit 2)", async () => {
    const cases: [string[], RegExp][] = [
      [["-l", "0", "-e", "cat", "-c", "cat"], /give one of -e and -c, once/],
      [["-l", "0", "-e", "cat", "--talk"], /--talk does not apply with -e or -c/],
      [["-l", "0", "-e", "  "], /-e needs a program to run/],
      [["-z", "127.0.0.1", "1", "-e", "cat"], /-e does not apply to probing/],
    ];
    for (const [args, message] of cases) {
      const r = await hotline(args).done();
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, message);
    }
  });

  test("nothing runs without -e or -c: a command-like argument is a host, not a program", async () => {
    const dir = tempDir();
    const marker = join(dir, "ran");
    const r = await hotline(["-w", "1", `touch ${marker}`, "1"]).done();
    assert.notEqual(r.code, 0);
    assert.ok(!existsSync(marker));
  });
});
