/**
 * Listening for many (-k, --max-conns), session logs (-o, -x), probing (-z, probe),
 * lookup, idle timeouts (-i) and npm start, with the real binary.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { Child } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { bash, HL, hotline, listening, shellQuote } from "../helpers/hotline.js";
import { PYTHON_FIXTURES, ROOT } from "../helpers/paths.js";
import { fullServer, unusedPort } from "../helpers/ports.js";
import { tempDir } from "../helpers/transports.js";
import { eventually, within } from "../helpers/within.js";

async function dial(port: string | number): Promise<socket.Socket> {
  const s = socket.socket();
  s.settimeout(10);
  await s.connect(["127.0.0.1", Number(port)]);
  return s;
}

describe("-k: many callers at once", () => {
  test("every caller is heard on stdout and stdin goes to all of them", async () => {
    const listener = hotline(["-lk", "127.0.0.1", "0"]);
    const port = await listening(listener);
    const [a, b] = [await dial(port), await dial(port)];
    await a.sendall(Buffer.from("from a\n"));
    await b.sendall(Buffer.from("from b\n"));
    await listener.line(/from a\n[\s\S]*from b\n|from b\n[\s\S]*from a\n/);
    listener.proc.stdin?.write("to everyone\n");
    assert.equal((await a.recv(100))?.toString(), "to everyone\n");
    assert.equal((await b.recv(100))?.toString(), "to everyone\n");
    await Promise.all([a.close(), b.close()]);
    const c = await dial(port);
    await c.sendall(Buffer.from("a third, later\n"));
    await listener.line(/a third, later/);
    await c.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("callers one after another reach stdout whole and in order (SHA-256 of 2 × 3 MiB)", async () => {
    const listener = hotline(["-l", "-k", "-v", "127.0.0.1", "0"], { lifetimeMs: 60_000 });
    const port = await listening(listener);
    const parts = [random(3 * 1024 * 1024), random(3 * 1024 * 1024 + 17)];
    for (const [i, part] of parts.entries()) {
      const s = await dial(port);
      await s.sendall(part);
      await s.close();
      // "hung up" comes once every byte of that caller is written out.
      await eventually(
        () => ((listener.stderr.match(/hung up/g)?.length ?? 0) > i ? true : undefined),
        20_000,
        "hung up",
      );
    }
    listener.proc.kill("SIGINT");
    const l = await listener.done();
    assert.equal(l.code, 130);
    assert.equal(l.stdout.length, Buffer.concat(parts).length);
    assert.equal(sha256(l.stdout), sha256(...parts));
  });

  test("a file on stdin waits for the first caller and reaches it whole, then FIN", async () => {
    const dir = tempDir();
    const data = random(1024 * 1024);
    writeFileSync(join(dir, "file"), data);
    const listener = bash(`exec ${HL} -lk 127.0.0.1 0 < ${shellQuote(join(dir, "file"))}`);
    const port = await listening(listener);
    const caller = await dial(port);
    const got: Buffer[] = [];
    for await (const chunk of caller.chunks()) got.push(chunk);
    assert.equal(sha256(Buffer.concat(got)), sha256(data));
    await caller.close();
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });

  test("--max-conns N refuses the N+1th explicitly and frees the slot when a caller leaves", async () => {
    const listener = hotline(["-lk", "--max-conns", "2", "127.0.0.1", "0"]);
    const port = await listening(listener);
    const [a, b] = [await dial(port), await dial(port)];
    await a.sendall(Buffer.from("a"));
    await b.sendall(Buffer.from("b"));
    await listener.line(/ab|ba/);
    // The third caller is reset: at connect already, or at its first read.
    await assert.rejects(
      dial(port).then((refused) => refused.recv(10)),
      socket.ConnectionResetError,
      "the third caller is reset",
    );
    await listener.line(/refused 127\.0\.0\.1:\d+: --max-conns 2 reached/);
    await a.close();
    // Once a has left, a new caller gets in.
    let admitted: socket.Socket | null = null;
    for (let i = 0; i < 50 && !admitted; i++) {
      const s = socket.socket();
      s.settimeout(0.1);
      const got = await s
        .connect(["127.0.0.1", Number(port)])
        .then(() => s.sendall(Buffer.from("x")))
        .then(() => s.recv(1))
        .catch((err: unknown) => (err instanceof socket.TimeoutError ? "open" : "reset"));
      if (got === "open") admitted = s;
      else await s.close();
    }
    assert.ok(admitted, "a caller got in after one left");
    await Promise.all([admitted.close(), b.close()]);
    listener.proc.kill("SIGINT");
    assert.equal((await listener.done()).code, 130);
  });
});

describe("session logs", () => {
  test("-o copies the data; -x dumps it in hex with each direction marked", async () => {
    const dir = tempDir();
    const listener = hotline(["listen", "127.0.0.1", "0", "-o", join(dir, "raw"), "-x", join(dir, "hex")], {
      stdin: "pong\n",
    });
    const port = await listening(listener);
    const c = await dial(port);
    await c.sendall(Buffer.from("ping\n"));
    c.shutdown(socket.SHUT_WR);
    assert.equal((await c.recv(100))?.toString(), "pong\n");
    await c.close();
    assert.equal((await listener.done()).code, 0);
    const raw = readFileSync(join(dir, "raw"), "utf8");
    assert.ok(raw === "ping\npong\n" || raw === "pong\nping\n", raw);
    const hex = readFileSync(join(dir, "hex"), "utf8");
    assert.match(hex, /^< 00000000 {2}70 69 6e 67 0a +\|ping\.\|$/m);
    assert.match(hex, /^> 00000000 {2}70 6f 6e 67 0a +\|pong\.\|$/m);
  });
});

describe("probe and lookup", () => {
  test("probe reports the ports that accept, in order; exit 0", async () => {
    const open = [await socket.createServer(["127.0.0.1", 0]), await socket.createServer(["127.0.0.1", 0])];
    const ports = open.map((s) => (s.getsockname() as socket.Inet4Address)[1]).sort((x, y) => x - y);
    const closedPort = await unusedPort();
    const { code, stdout } = await hotline(["probe", "127.0.0.1", `${ports[0]},${closedPort},${ports[1]}`]).done();
    assert.equal(code, 0);
    assert.equal(stdout.toString(), `127.0.0.1 ${ports[0]} open\n127.0.0.1 ${ports[1]} open\n`);
    const none = await hotline(["-z", "127.0.0.1", String(closedPort)]).done();
    assert.equal(none.code, 1);
    assert.equal(none.stdout.toString(), "");
    await Promise.all(open.map((s) => s.close()));
  });

  test("probe bounds each port with -w when nothing answers", async () => {
    const full = await fullServer();
    const started = performance.now();
    const { code } = await hotline(["probe", "-w", "300ms", "127.0.0.1", String(full.port)]).done();
    assert.ok(performance.now() - started < 5000);
    assert.equal(code, 1);
    await full.release();
  });

  test("lookup prints getaddrinfo's addresses, gethostbyname and the FQDN", async () => {
    const { code, stdout } = await hotline(["lookup", "localhost"]).done();
    assert.equal(code, 0);
    assert.match(stdout.toString(), /^127\.0\.0\.1\tAF_INET$/m);
    assert.match(stdout.toString(), /^gethostbyname\t127\.0\.0\.1$/m);
    assert.match(stdout.toString(), /^fqdn\t\S+$/m);
  });
});

describe("who is calling", () => {
  test("IPv4 callers of a dual-stack listener show as IPv4 (they showed as [::ffff:127.0.0.1]:port)", async () => {
    const listener = hotline(["-l", "-v", "0"], { stdin: "" });
    const port = await listening(listener);
    const c = await dial(port);
    await c.close();
    const { code, stderr } = await listener.done();
    assert.equal(code, 0);
    assert.match(stderr, /call from 127\.0\.0\.1:\d+\n/);
    assert.doesNotMatch(stderr, /::ffff:/);
  });
});

describe("timeouts", () => {
  test("-i closes an idle call with exit 1 and a line saying so", async () => {
    const listener = hotline(["listen", "127.0.0.1", "0", "-i", "300ms"]);
    const port = await listening(listener);
    const c = await dial(port);
    const { code, stderr } = await listener.done();
    assert.equal(code, 1);
    assert.match(stderr, /idle timeout/);
    // Giving up resets: the caller's read ends with a reset, never a wait.
    await assert.rejects(within(c.recv(10), 5000, "a reset after the idle timeout"), { code: "ECONNRESET" });
    await c.close();
  });
});

describe("npm start", () => {
  test("npm start answers the seed's 127.0.0.1:8990 one call after another (--serial)", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, "node build/hotline.js listen --serial");
  });

  test("--serial: a second caller waits its turn instead of being refused, each reaches stdout whole", async () => {
    const server = hotline(["listen", "127.0.0.1", "0", "--serial", "--recv-only"]);
    const port = await listening(server);
    const first = await dial(port);
    const second = await dial(port); // waits in the backlog while the first talks
    await second.sendall(Buffer.from("second\n"));
    await first.sendall(Buffer.from("first\n"));
    await first.close();
    await server.line(/first\n/);
    await second.close();
    await server.line(/first\nsecond\n/);
    server.proc.kill("SIGINT");
    const { code } = await server.done();
    assert.equal(code, 130);
  });

  test("hotline listen with no address answers the seed's client on 127.0.0.1:8990", async (t) => {
    const probe = socket.socket();
    const busy = await probe.connectEx(["127.0.0.1", 8990]);
    await probe.close();
    if (busy === 0) return t.skip("something already listens on 127.0.0.1:8990");
    const server = hotline(["listen"], { stdin: "收到" });
    assert.equal(await listening(server), "8990");
    assert.match(server.stderr, /listening on 127\.0\.0\.1:8990 \(tcp\)/);
    const client = new Child("python3", ["-u", `${PYTHON_FIXTURES}seed_client_once.py`, "127.0.0.1", "8990"]);
    const [s, c] = await Promise.all([server.done(), client.done()]);
    assert.equal(s.code, 0);
    assert.equal(c.stdout.toString(), "收到\n");
  });
});
