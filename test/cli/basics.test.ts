/**
 * The binary as users meet it: help, version, the readiness line, exit codes, and one
 * clear line on stderr for every bad input or failure.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { Child, python } from "../helpers/child.js";
import { HOTLINE, hotline, listening } from "../helpers/hotline.js";
import { PYTHON_FIXTURES, ROOT } from "../helpers/paths.js";
import { fullServer, unusedPort } from "../helpers/ports.js";
import { tempDir } from "../helpers/transports.js";

/** Runs hotline to its end with stdin closed. */
async function runToEnd(args: (string | number)[], stdin = "") {
  return hotline(args, { stdin }).done();
}

/** Exactly one line on stderr that matches. */
function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  assert.ok(pattern.test(lines[0] ?? ""), `stderr: ${stderr}`);
  assert.ok(!/\n\s+at /.test(stderr), `no stack trace: ${stderr}`);
}

describe("help and version", () => {
  test("--help is short and complete, and every command has its own", async () => {
    const main = await runToEnd(["--help"]);
    assert.equal(main.code, 0);
    const text = main.stdout.toString();
    for (const option of [
      "--listen",
      "--keep-open",
      "--udp",
      "--unixsock",
      "--wait",
      "--idle-timeout",
      "--max-conns",
      "--hex-dump",
      "-q SECS",
      "--no-shutdown",
    ]) {
      assert.ok(text.includes(option), option);
    }
    assert.ok(text.split("\n").length < 60);
    for (const command of ["listen", "connect", "probe", "lookup"]) {
      const one = await runToEnd([command, "--help"]);
      assert.equal(one.code, 0);
      assert.match(one.stdout.toString(), new RegExp(`^Usage: hotline ${command}`));
    }
  });

  test("options of a topic are listed by 'hotline help TOPIC', and the main help names each topic", async () => {
    const main = (await runToEnd(["--help"])).stdout.toString();
    for (const [topic, option] of [
      ["tls", "--ssl-pin sha256:HEX"],
      ["proxy", "--proxy-dns"],
    ] as const) {
      assert.match(main, new RegExp(`^  ${topic} +`, "m"), `the main help names ${topic}`);
      assert.ok(!main.includes(option), `${option} is in its topic, not the main help`);
      const one = await runToEnd(["help", topic]);
      assert.equal(one.code, 0);
      assert.ok(one.stdout.toString().includes(option), `hotline help ${topic} lists ${option}`);
    }
    const unknown = await runToEnd(["help", "nothing"]);
    assert.equal(unknown.code, 2);
  });

  test("--version prints the package version, from the binary package.json names", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      version: string;
      bin: { hotline: string };
    };
    assert.equal(join(ROOT, pkg.bin.hotline), HOTLINE, "the tests run what npm installs");
    const { code, stdout } = await runToEnd(["--version"]);
    assert.equal(code, 0);
    assert.equal(stdout.toString(), `hotline ${pkg.version}\n`);
  });
});

describe("bad input: one line, exit 2, before anything is dialled", () => {
  for (const [name, args, pattern] of [
    ["port 0 for connect", ["connect", "127.0.0.1", "0"], /invalid PORT '0'/],
    ["port 65536", ["connect", "127.0.0.1", "65536"], /invalid PORT/],
    ["port -1", ["127.0.0.1", "-1"], /invalid PORT '-1'/],
    ["port abc", ["connect", "127.0.0.1", "abc"], /invalid/],
    ["port 0x50", ["127.0.0.1", "0x50"], /invalid PORT '0x50'/],
    ["port ' 80'", ["127.0.0.1", " 80"], /invalid PORT/],
    ["port 1e3", ["127.0.0.1", "1e3"], /invalid PORT/],
    ["empty port", ["127.0.0.1", ""], /invalid PORT ''/],
    ["malformed IPv6", ["connect", "[::1", "80"], /malformed address/],
    ["a 300-character name", ["connect", "a".repeat(300), "80"], /300 characters/],
    ["an unknown option", ["--frobnicate"], /unknown option/],
    ["an ncat option not offered", ["-l", "--sctp", "9000"], /--sctp is not offered/],
    ["conflicting options", ["--send-only", "--recv-only", "127.0.0.1", "1"], /cannot be combined/],
  ] as const) {
    test(name, async () => {
      const { code, stderr } = await runToEnd([...args]);
      assert.equal(code, 2);
      oneLine(stderr, pattern);
      assert.match(stderr, /Try 'hotline --help'/);
    });
  }
});

describe("failures: one line, exit 1", () => {
  test("refused", async () => {
    const port = await unusedPort();
    const { code, stderr } = await runToEnd(["connect", "127.0.0.1", port]);
    assert.equal(code, 1);
    oneLine(stderr, new RegExp(`^hotline: connect tcp 127\\.0\\.0\\.1:${port}: connection refused$`));
  });

  test("a name that does not resolve (in a network namespace with no way out)", async (t) => {
    // The resolver would ask the name server in /etc/resolv.conf; in a fresh network
    // namespace that fails at once, and nothing leaves this machine.
    const probe = new Child("unshare", ["-n", "true"]);
    if ((await probe.done()).code !== 0) {
      if (process.env.CI) assert.fail("unshare -n is needed for this test");
      t.skip("unshare -n is not available here");
      return;
    }
    const child = new Child("unshare", [
      "-n",
      process.execPath,
      ...hotlineArgs(["connect", "no-such-host.invalid", "80"]),
    ]);
    const { code, stderr } = await child.done();
    assert.equal(code, 1);
    oneLine(stderr, /^hotline: resolve no-such-host\.invalid: /);
  });

  test("an address already in use", async () => {
    const s = socket.socket();
    await s.bind(["127.0.0.1", 0]);
    await s.listen();
    const [, port] = s.getsockname() as socket.Inet4Address;
    const { code, stderr } = await runToEnd(["listen", "127.0.0.1", port]);
    assert.equal(code, 1);
    oneLine(stderr, /^hotline: listen tcp 127\.0\.0\.1:\d+: address already in use$/);
    await s.close();
  });

  test("a bind address that is not local", async () => {
    const { code, stderr } = await runToEnd(["listen", "192.0.2.1", "0"]);
    assert.equal(code, 1);
    oneLine(stderr, /cannot assign requested address$/);
  });

  test("a privileged port without privileges", async (t) => {
    const asRoot = process.getuid?.() === 0;
    const child = asRoot
      ? new Child("setpriv", [
          "--bounding-set=-net_bind_service",
          process.execPath,
          ...hotlineArgs(["listen", "127.0.0.1", "80"]),
        ])
      : hotline(["listen", "127.0.0.1", "80"]);
    const { code, stderr } = await child.done();
    if (code === 0) t.skip("this machine lets anyone bind port 80");
    assert.equal(code, 1);
    oneLine(stderr, /^hotline: listen tcp 127\.0\.0\.1:80: permission denied$/);
  });

  test("a connect that times out (-w) with the server's queue full", async () => {
    const full = await fullServer();
    const { code, stderr } = await runToEnd(["-w", "300ms", "127.0.0.1", full.port]);
    assert.equal(code, 1);
    oneLine(stderr, /timed out/);
    await full.release();
  });
});

describe("dialling", () => {
  test("a name with several addresses: each is tried in turn", async (t) => {
    // A private /etc/hosts in a mount namespace gives "twoaddr" ::1 first, then 127.0.0.1.
    const dir = tempDir();
    const hosts = join(dir, "hosts");
    writeFileSync(hosts, "127.0.0.1 localhost\n::1 twoaddr\n127.0.0.1 twoaddr\n");
    const probe = new Child("unshare", ["-m", "sh", "-c", `mount --bind ${hosts} /etc/hosts`]);
    if ((await probe.done()).code !== 0) {
      if (process.env.CI) assert.fail("unshare -m is needed for this test");
      return t.skip("unshare -m is not available here");
    }
    const server = await socket.createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as socket.Inet4Address;
    const script = `mount --bind ${hosts} /etc/hosts && exec "$0" "$@"`;
    const child = new Child(
      "unshare",
      ["-m", "sh", "-c", script, process.execPath, HOTLINE, "-v", "twoaddr", String(port)],
      {
        stdin: "hi",
      },
    );
    const [conn] = await server.accept();
    assert.equal((await conn.recv(10))?.toString(), "hi");
    await conn.close();
    const { code, stderr } = await child.done();
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      new RegExp(`connect tcp \\[::1\\]:${port}: connection refused\\n[\\s\\S]*connected to 127\\.0\\.0\\.1:${port}`),
    );
    await server.close();
  });
});

describe("listening", () => {
  test("the readiness line gives the address really bound, even for port 0", async () => {
    const listener = hotline(["listen", "127.0.0.1", "0"], { stdin: "" });
    const port = await listening(listener);
    assert.ok(Number(port) > 0);
    const c = socket.socket();
    await c.connect(["127.0.0.1", Number(port)]);
    await c.close();
    const { code } = await listener.done();
    assert.equal(code, 0);
  });

  test("SIGINT ends a listener with 130 and removes its Unix socket file", async () => {
    const path = join(tempDir(), "l.sock");
    const listener = hotline(["-lU", path]);
    await listening(listener);
    assert.ok(existsSync(path));
    listener.proc.kill("SIGINT");
    const { code } = await listener.done();
    assert.equal(code, 130);
    assert.equal(existsSync(path), false);
  });
});

describe("Unix socket paths", () => {
  test("too long: exit 2 before anything is created", async () => {
    const dir = tempDir();
    const path = join(dir, "x".repeat(120));
    const { code, stderr } = await runToEnd(["-lU", path]);
    assert.equal(code, 2);
    oneLine(stderr, /path too long/);
    assert.equal(existsSync(path.slice(0, 107)), false);
  });

  test("a path that is not a socket is never deleted", async () => {
    const path = join(tempDir(), "precious.txt");
    writeFileSync(path, "keep me");
    const { code, stderr } = await runToEnd(["-lU", path]);
    assert.equal(code, 2);
    oneLine(stderr, /not a socket; not removing it/);
    assert.ok(existsSync(path));
    const dir = join(tempDir(), "a-directory");
    mkdirSync(dir);
    assert.equal((await runToEnd(["-lU", dir])).code, 2);
  });

  test("a stale socket file left by a crash is replaced", async () => {
    const path = join(tempDir(), "stale.sock");
    const py = python(`${PYTHON_FIXTURES}peer.py`, ["server", "unix", path, "hold"]);
    await py.line(/^ready/m);
    py.kill();
    await py.done();
    assert.ok(existsSync(path));
    const listener = hotline(["-lU", path], { stdin: "" });
    assert.equal(await listening(listener), path);
    const c = socket.socket(socket.AF_UNIX);
    await c.connect(path);
    await c.sendall(Buffer.from("hi"));
    await c.close();
    const { code, stdout } = await listener.done();
    assert.equal(code, 0);
    assert.equal(stdout.toString(), "hi");
  });

  test("a live socket is address in use", async () => {
    const path = join(tempDir(), "live.sock");
    const first = hotline(["-lU", path]);
    await listening(first);
    const { code, stderr } = await runToEnd(["-lU", path]);
    assert.equal(code, 1);
    oneLine(stderr, /address already in use/);
    first.proc.kill("SIGTERM");
    await first.done();
  });
});

function hotlineArgs(args: string[]): string[] {
  return [HOTLINE, ...args];
}
