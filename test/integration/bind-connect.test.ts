/**
 * bind, listen, accept and connect: the errors Python raises, the port really bound, the
 * listen backlog, connect timeouts and connect_ex.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { createConnection as netConnect } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { Child, python } from "../helpers/child.js";
import { BUILD, PYTHON_FIXTURES } from "../helpers/paths.js";
import { fullServer, unusedPort } from "../helpers/ports.js";
import { tempDir } from "../helpers/transports.js";
import { eventually, within } from "../helpers/within.js";

describe("bind", () => {
  test("port 0 binds a real port that getsockname() reports", async () => {
    const s = socket.socket();
    await s.bind(["127.0.0.1", 0]);
    const [host, port] = s.getsockname() as socket.Inet4Address;
    assert.equal(host, "127.0.0.1");
    assert.ok(port > 0 && port < 65536);
    await s.listen();
    const c = socket.socket();
    await c.connect(["127.0.0.1", port]);
    await Promise.all([c.close(), s.close()]);
  });

  test("an address in use is EADDRINUSE", async () => {
    const a = socket.socket();
    await a.bind(["127.0.0.1", 0]);
    const b = socket.socket();
    await assert.rejects(b.bind(a.getsockname()), (err: socket.OSError) => {
      assert.ok(err instanceof socket.OSError);
      assert.equal(err.code, "EADDRINUSE");
      assert.equal(err.errno, 98);
      assert.match(err.message, /^\[Errno 98\] Address already in use/);
      return true;
    });
    await Promise.all([a.close(), b.close()]);
  });

  test("an address that is not local is EADDRNOTAVAIL (nothing is sent)", async () => {
    const s = socket.socket();
    await assert.rejects(s.bind(["192.0.2.1", 0]), { code: "EADDRNOTAVAIL", errno: 99 });
    await s.close();
  });

  test("a privileged port without privileges is PermissionError EACCES", async () => {
    const script = join(tempDir(), "bind-80.mjs");
    writeFileSync(
      script,
      `import * as socket from ${JSON.stringify(`${BUILD}src/index.js`)};
       const s = socket.socket();
       try { await s.bind(["127.0.0.1", 80]); console.log("bound"); }
       catch (err) { console.log(err.constructor.name, err.code, err.errno); }
       await s.close();`,
    );
    // Root may bind port 80, so as root the child runs without CAP_NET_BIND_SERVICE.
    const child =
      process.getuid?.() === 0
        ? new Child("setpriv", ["--bounding-set=-net_bind_service", process.execPath, script])
        : new Child(process.execPath, [script]);
    const { stdout } = await child.done();
    assert.equal(stdout.toString().trim(), "PermissionError EACCES 13");
  });

  test("binding twice, or after connecting, is EINVAL", async () => {
    const s = socket.socket();
    await s.bind(["127.0.0.1", 0]);
    await assert.rejects(s.bind(["127.0.0.1", 0]), { code: "EINVAL" });
    await s.close();
  });

  test("a Unix path longer than the platform allows fails before Node can cut it", async () => {
    const dir = tempDir();
    const long = join(dir, "x".repeat(120));
    const s = socket.socket(socket.AF_UNIX);
    await assert.rejects(s.bind(long), { code: "ENAMETOOLONG" });
    assert.equal(existsSync(long.slice(0, 107)), false, "no truncated socket file was made");
    await assert.rejects(s.connect(long), { code: "ENAMETOOLONG" });
    await s.close();
  });

  test("a Unix socket file is removed when the listener closes; an existing file is EADDRINUSE", async () => {
    const path = join(tempDir(), "s.sock");
    const s = socket.socket(socket.AF_UNIX);
    await s.bind(path);
    await s.listen();
    assert.equal(s.getsockname(), path);
    const other = socket.socket(socket.AF_UNIX);
    await assert.rejects(other.bind(path), { code: "EADDRINUSE" });
    await s.close();
    assert.equal(existsSync(path), false);
    await other.close();
  });

  test("bind then connect dials from the bound port", async () => {
    const server = socket.socket();
    await server.bind(["127.0.0.1", 0]);
    await server.listen();
    const c = socket.socket();
    await c.bind(["127.0.0.1", 0]);
    const [, port] = c.getsockname() as socket.Inet4Address;
    await c.connect(server.getsockname());
    const [conn, addr] = await server.accept();
    assert.equal((addr as socket.Inet4Address)[1], port);
    await Promise.all([c.close(), conn.close(), server.close()]);
  });
});

describe("listen and accept", () => {
  test("listen(n) lets at most n connections wait; the rest are reset", async () => {
    const s = socket.socket();
    await s.bind(["127.0.0.1", 0]);
    await s.listen(2);
    const [host, port] = s.getsockname() as socket.Inet4Address;
    const outcomes = await within(
      Promise.all(
        Array.from(
          { length: 5 },
          () =>
            new Promise<string>((resolve) => {
              const c = netConnect({ host, port });
              c.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
              c.on("end", () => resolve("end"));
              c.on("connect", () => {
                c.write("hi");
                // A reset arrives as an error; a queued caller hears nothing until accepted.
                c.once("data", () => resolve("accepted"));
              });
              c.setTimeout(3000, () => {
                resolve("waiting");
                c.destroy();
              });
            }),
        ),
      ),
      10_000,
      "the five callers",
    ).catch((err) => [String(err)]);
    const reset = outcomes.filter((o) => o === "ECONNRESET").length;
    assert.equal(reset, 3, `outcomes: ${outcomes.join(", ")}`);
    s.settimeout(1);
    const [a] = await s.accept();
    const [b] = await s.accept();
    s.settimeout(0.05);
    await assert.rejects(s.accept(), socket.TimeoutError, "only two waited");
    await Promise.all([a.close(), b.close(), s.close()]);
  });

  test("accept before listen is EINVAL; listen on UDP is EOPNOTSUPP", async () => {
    const s = socket.socket();
    await s.bind(["127.0.0.1", 0]);
    await assert.rejects(s.accept(), { code: "EINVAL" });
    const u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    await assert.rejects(u.listen(), { code: "EOPNOTSUPP" });
    await Promise.all([s.close(), u.close()]);
  });

  test("listen() without bind takes a free port", async () => {
    const s = socket.socket();
    await s.listen();
    const [, port] = s.getsockname() as socket.Inet4Address;
    assert.ok(port > 0);
    await s.close();
  });
});

describe("connect", () => {
  test("a closed port is ConnectionRefusedError [Errno 111]", async () => {
    const port = await unusedPort();
    const s = socket.socket();
    await assert.rejects(s.connect(["127.0.0.1", port]), (err: socket.OSError) => {
      assert.ok(err instanceof socket.ConnectionRefusedError);
      assert.ok(err instanceof socket.ConnectionError);
      assert.equal(err.errno, 111);
      assert.equal(err.strerror, "Connection refused");
      assert.ok(err.cause instanceof Error, "the original error is the cause");
      return true;
    });
    await s.close();
  });

  test("connectEx returns 0 or the errno, as connect_ex", async () => {
    const port = await unusedPort();
    const s = socket.socket();
    assert.equal(await s.connectEx(["127.0.0.1", port]), 111);
    const server = socket.socket();
    await server.listen();
    const ok = socket.socket();
    assert.equal(await ok.connectEx(["127.0.0.1", (server.getsockname() as socket.Inet4Address)[1]]), 0);
    const named = socket.socket();
    await assert.rejects(named.connectEx(["bad..name", 1]), socket.gaierror, "name errors still raise");
    await Promise.all([s.close(), ok.close(), named.close(), server.close()]);
  });

  test("a missing Unix socket is FileNotFoundError; a stale one is ConnectionRefusedError", async () => {
    const dir = tempDir();
    const s = socket.socket(socket.AF_UNIX);
    await assert.rejects(s.connect(join(dir, "missing")), socket.FileNotFoundError);
    const stale = join(dir, "stale.sock");
    const py = python(`${PYTHON_FIXTURES}peer.py`, ["server", "unix", stale, "hold"]);
    await py.line(/^ready/m);
    py.kill(); // the file stays behind, as after a crash
    await py.done();
    await assert.rejects(socket.socket(socket.AF_UNIX).connect(stale), socket.ConnectionRefusedError);
    await s.close();
  });

  test("connect honours the timeout when the server's queue is full", async () => {
    const py = python(`${PYTHON_FIXTURES}peer.py`, ["server", "4", "127.0.0.1:0", "hold"]);
    const [, port = ""] = await py.line(/^ready (\d+)$/m);
    const fillers: socket.Socket[] = [];
    let timedOut = false;
    // listen(0) holds one connection; later handshakes go unanswered until we give up.
    for (let i = 0; i < 4 && !timedOut; i++) {
      const s = socket.socket();
      s.settimeout(0.3);
      fillers.push(s);
      try {
        await s.connect(["127.0.0.1", Number(port)]);
      } catch (err) {
        assert.ok(err instanceof socket.TimeoutError, String(err));
        assert.equal(err.message, "timed out");
        timedOut = true;
      }
    }
    assert.ok(timedOut, "a connect timed out");
    await Promise.all(fillers.map((s) => s.close()));
    py.proc.stdin?.end();
    await py.done();
  });

  test("non-blocking connect is EINPROGRESS, then completes in the background", async () => {
    const server = socket.socket();
    await server.listen();
    const s = socket.socket();
    s.setblocking(false);
    await assert.rejects(s.connect(server.getsockname()), { code: "EINPROGRESS", errno: 115 });
    await assert.rejects(s.connect(server.getsockname()), { code: "EALREADY" });
    s.setblocking(true);
    const [conn] = await within(server.accept(), 5000, "the background connect");
    await s.sendall(Buffer.from("ok"));
    assert.equal((await conn.recv(2))?.toString(), "ok");
    assert.equal(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0);
    await assert.rejects(s.connect(server.getsockname()), { code: "EISCONN" });
    await Promise.all([s.close(), conn.close(), server.close()]);
  });

  test("closing a socket that is still dialling abandons the dial; waiters get EBADF", async () => {
    const full = await fullServer();
    const s = socket.socket();
    s.setblocking(false);
    assert.equal(await s.connectEx(["127.0.0.1", full.port]), 115);
    s.setblocking(true);
    const waiting = s.sendall(Buffer.from("never sent"));
    await s.close();
    await assert.rejects(within(waiting, 5000, "the waiting send"), { code: "EBADF" });
    await full.release();
  });

  test("a failed background connect is reported once: by SO_ERROR or by the next call", async () => {
    const port = await unusedPort();
    const s = socket.socket();
    s.setblocking(false);
    assert.equal(await s.connectEx(["127.0.0.1", port]), 115);
    const errno = await eventually(
      () => s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) || undefined,
      5000,
      "the background connect to fail",
    );
    assert.equal(errno, 111);
    assert.equal(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0, "SO_ERROR clears once read");
    const t = socket.socket();
    t.setblocking(false);
    assert.equal(await t.connectEx(["127.0.0.1", port]), 115);
    t.setblocking(true);
    await assert.rejects(within(t.recv(1), 5000, "recv after failed connect"), socket.ConnectionRefusedError);
    assert.equal(t.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0, "recv consumed the error");
    await Promise.all([s.close(), t.close()]);
  });

  test("recv on a socket that never connected is ENOTCONN; send is EPIPE, as in Python (python-parity.test.ts)", async () => {
    const s = socket.socket();
    await assert.rejects(s.recv(1), { code: "ENOTCONN", errno: 107 });
    await assert.rejects(s.send(Buffer.from("x")), socket.BrokenPipeError);
    assert.throws(() => s.getpeername(), { code: "ENOTCONN" });
    await s.close();
  });
});

describe("createConnection, createServer, socketpair", () => {
  test("createServer and createConnection talk", async () => {
    const server = await socket.createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as socket.Inet4Address;
    const client = await socket.createConnection(["localhost", port], { timeout: 5 });
    assert.equal(client.gettimeout(), 5);
    const [conn] = await server.accept();
    await client.sendall(Buffer.from("ping"));
    assert.equal((await conn.recv(4))?.toString(), "ping");
    await Promise.all([client.close(), conn.close(), server.close()]);
  });

  test("createConnection fails with the error of the last address tried", async () => {
    const port = await unusedPort();
    await assert.rejects(socket.createConnection(["127.0.0.1", port]), socket.ConnectionRefusedError);
  });

  for (const family of [socket.AF_UNIX, socket.AF_INET]) {
    test(`socketpair(${family === socket.AF_UNIX ? "AF_UNIX" : "AF_INET"}) is two connected sockets`, async () => {
      const [a, b] = await socket.socketpair(family);
      await a.sendall(Buffer.from("to b"));
      await b.sendall(Buffer.from("to a"));
      assert.equal((await b.recv(10))?.toString(), "to b");
      assert.equal((await a.recv(10))?.toString(), "to a");
      await Promise.all([a.close(), b.close()]);
    });
  }
});
