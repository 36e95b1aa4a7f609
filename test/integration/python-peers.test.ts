/**
 * The library against an independent implementation: Python's own socket module
 * (test/fixtures/python/peer.py), in both roles, over every stream transport. What goes in
 * and what comes out are compared by SHA-256, each side hashing what it saw.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { python } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";
import { listener, peerAddress, TRANSPORTS } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const PEER = `${PYTHON_FIXTURES}peer.py`;
const TEN_MIB = 10 * 1024 * 1024;

/** Sends `data` then FIN while reading to EOF; returns what was read. */
async function exchange(s: socket.Socket, data: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of s.chunks()) parts.push(chunk);
  })();
  await s.sendall(data);
  s.shutdown(socket.SHUT_WR);
  await reading;
  return Buffer.concat(parts);
}

/** Starts peer.py as a server and returns it with the address it listens on. */
async function pythonServer(t: (typeof TRANSPORTS)[number], mode: string, arg?: string) {
  const bind = t.family === socket.AF_UNIX ? (t.address() as string) : peerAddress(t.address() as socket.Address);
  const peer = python(PEER, ["server", t.peer, bind, mode, ...(arg === undefined ? [] : [arg])]);
  const [, where = ""] = await peer.line(/^ready (\S+)$/m);
  const address: socket.AddressInput =
    t.family === socket.AF_UNIX ? where : [t.family === socket.AF_INET6 ? "::1" : "127.0.0.1", Number(where)];
  return { peer, address };
}

/** A client connected to a Python server that reads one byte, then closes with RST. */
async function callResetter(t: (typeof TRANSPORTS)[number]) {
  const { peer, address } = await pythonServer(t, "reset");
  const s = socket.socket(t.family, socket.SOCK_STREAM);
  await s.connect(address);
  return { peer, s };
}

for (const t of TRANSPORTS) {
  describe(`Python's socket module as the peer over ${t.name}`, () => {
    test("library client <-> Python server: 10 MiB each way, SHA-256 equal", async () => {
      const { peer, address } = await pythonServer(t, "exchange", String(TEN_MIB));
      const s = socket.socket(t.family, socket.SOCK_STREAM);
      await s.connect(address);
      const data = random(TEN_MIB);
      const got = await within(exchange(s, data), 30_000, "exchange with Python");
      await s.close();
      const { code, stdout } = await peer.done();
      assert.equal(code, 0);
      assert.match(stdout.toString(), new RegExp(`received ${sha256(data)} ${TEN_MIB}`));
      assert.match(stdout.toString(), new RegExp(`sent ${sha256(got)} ${got.length}`));
      assert.equal(got.length, TEN_MIB);
    });

    test("Python client <-> library server: 10 MiB each way, SHA-256 equal", async () => {
      const server = await listener(t);
      const peer = python(PEER, ["client", t.peer, peerAddress(server.getsockname()), "exchange", TEN_MIB]);
      const [conn] = await within(server.accept(), 10_000, "Python to call");
      const data = random(TEN_MIB);
      const got = await within(exchange(conn, data), 30_000, "exchange with Python");
      await conn.close();
      await server.close();
      const { code, stdout } = await peer.done();
      assert.equal(code, 0);
      assert.match(stdout.toString(), new RegExp(`received ${sha256(data)} ${TEN_MIB}`));
      assert.match(stdout.toString(), new RegExp(`sent ${sha256(got)} ${got.length}`));
    });

    test("half-close: library sends, shuts down writing, still reads Python's reply", async () => {
      const { peer, address } = await pythonServer(t, "halfclose");
      const s = socket.socket(t.family, socket.SOCK_STREAM);
      await s.connect(address);
      await s.sendall(Buffer.alloc(100_000, 1));
      s.shutdown(socket.SHUT_WR);
      const reply = await within(s.recv(1024), 10_000, "reply after FIN");
      assert.equal(reply?.toString(), "got 100000 bytes");
      assert.equal(await s.recv(1024), null);
      await s.close();
      assert.equal((await peer.done()).code, 0);
    });

    test("half-close: Python sends and shuts down writing; the library replies after EOF", async () => {
      const server = await listener(t);
      const peer = python(PEER, ["client", t.peer, peerAddress(server.getsockname()), "halfclose"]);
      const [conn] = await within(server.accept(), 10_000, "Python to call");
      const parts: Buffer[] = [];
      for await (const chunk of conn.chunks()) parts.push(chunk);
      assert.equal(Buffer.concat(parts).toString(), "question");
      await conn.sendall(Buffer.from("answer"));
      await conn.close();
      await server.close();
      const { code, stdout } = await peer.done();
      assert.equal(code, 0);
      assert.match(stdout.toString(), /^reply answer$/m);
    });

    test("a 64 MiB sendall to a slow reader keeps the sender's memory flat", async () => {
      const { peer, address } = await pythonServer(t, "sink", "256");
      const s = socket.socket(t.family, socket.SOCK_STREAM);
      await s.connect(address);
      const data = random(64 * 1024 * 1024);
      const before = process.memoryUsage().arrayBuffers;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }, 5);
      try {
        await within(s.sendall(data), 60_000, "64 MiB to a slow reader");
      } finally {
        clearInterval(sampler);
      }
      await s.close();
      const { stdout } = await peer.done(60_000);
      assert.match(stdout.toString(), new RegExp(`received ${sha256(data)} ${data.length}`));
      const growth = peak - before;
      assert.ok(growth < 8 * 1024 * 1024, `sender's buffers grew by ${growth} bytes while sending`);
    });

    if (t.family !== socket.AF_UNIX) {
      test("a peer's reset in the middle of a recv is ConnectionResetError", async () => {
        const { peer, s } = await callResetter(t);
        await s.sendall(Buffer.from("!"));
        await assert.rejects(within(s.recv(10), 10_000, "the reset"), (err: socket.OSError) => {
          assert.ok(err instanceof socket.ConnectionResetError);
          assert.equal(err.code, "ECONNRESET");
          assert.equal(err.errno, 104);
          assert.match(err.message, /^\[Errno 104\] Connection reset by peer/);
          return true;
        });
        await s.close();
        assert.equal((await peer.done()).code, 0);
      });

      test("a peer's reset in the middle of a long sendall is ConnectionResetError", async () => {
        const { peer, s } = await callResetter(t);
        // Far more than the kernel's buffers hold: the send is still waiting when the RST comes.
        const sending = s.sendall(random(32 * 1024 * 1024));
        await assert.rejects(within(sending, 10_000, "the reset"), socket.ConnectionResetError);
        await s.close();
        assert.equal((await peer.done()).code, 0);
      });

      test("sends after the peer's reset fail with an OSError, never hang or succeed forever", async () => {
        const { peer, s } = await callResetter(t);
        await s.sendall(Buffer.from("!"));
        assert.equal((await peer.done()).code, 0); // the peer's socket is gone: RST sent
        let failure: unknown;
        for (let i = 0; i < 100 && failure === undefined; i++) {
          // The first sends may still be taken by the kernel; the RST makes a later one fail.
          await within(s.sendall(random(1024)), 10_000, "a send after the reset").catch((err: unknown) => {
            failure = err;
          });
        }
        assert.ok(
          failure instanceof socket.ConnectionResetError || failure instanceof socket.BrokenPipeError,
          `got ${String(failure)}`,
        );
        await s.close();
      });
    }
  });
}
