/**
 * The stream contract, run for every stream transport (tcp4, tcp6, unix, and TLS over
 * tcp4): recv, send, sendall, close, shutdown and timeouts behave as Python's socket
 * module says.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { random, sha256 } from "../helpers/data.js";
import { connectTo, dialer, listener, pair, STREAM_TRANSPORTS } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

/** Reads until end of stream; returns everything. */
async function readAll(s: socket.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of s.chunks()) parts.push(chunk);
  return Buffer.concat(parts);
}

for (const t of STREAM_TRANSPORTS) {
  describe(`stream contract over ${t.name}`, () => {
    test("recv(n) returns what is there, at most n bytes, and keeps the rest", async () => {
      const [a, b] = await pair(t);
      await a.sendall(Buffer.from("hello world"));
      const first = await within(b.recv(5), 5000, "recv(5)");
      assert.equal(first?.toString(), "hello");
      let rest = "";
      while (rest.length < 6) rest += (await within(b.recv(1024), 5000, "recv rest"))?.toString() ?? "";
      assert.equal(rest, " world");
      await a.close();
      assert.equal(await within(b.recv(1024), 5000, "recv at EOF"), null);
      assert.equal(await b.recv(1024), null, "end of stream stays end of stream");
      await b.close();
    });

    test("recv resolves as soon as one byte arrives, without waiting for n", async () => {
      const [a, b] = await pair(t);
      const pending = b.recv(65536);
      await a.sendall(Buffer.from("x"));
      assert.equal((await within(pending, 5000, "recv of a single byte"))?.toString(), "x");
      await a.close();
      await b.close();
    });

    test("recv(0) is an empty buffer and a negative size is a RangeError", async () => {
      const [a, b] = await pair(t);
      const empty = await b.recv(0);
      assert.ok(empty instanceof Buffer);
      assert.equal(empty.length, 0);
      await assert.rejects(b.recv(-1), RangeError);
      await assert.rejects(b.recv(1.5), TypeError);
      await a.close();
      await b.close();
    });

    test("a timed-out recv consumes nothing; a later recv still gets the data", async () => {
      const [a, b] = await pair(t);
      b.settimeout(0.05);
      await assert.rejects(b.recv(10), socket.TimeoutError);
      await a.sendall(Buffer.from("late"));
      b.settimeout(5);
      assert.equal((await b.recv(10))?.toString(), "late");
      await a.close();
      await b.close();
    });

    test("MSG_PEEK leaves the data; MSG_WAITALL waits for all n bytes", async () => {
      const [a, b] = await pair(t);
      await a.sendall(Buffer.from("abc"));
      assert.equal((await within(b.recv(10, socket.MSG_PEEK), 5000, "peek"))?.toString(), "abc");
      const all = b.recv(6, socket.MSG_WAITALL);
      await a.sendall(Buffer.from("def"));
      assert.equal((await within(all, 5000, "waitall"))?.toString(), "abcdef");
      await a.close();
      await b.close();
    });

    test("recvInto fills a caller's buffer and returns the count, 0 at EOF", async () => {
      const [a, b] = await pair(t);
      await a.sendall(Buffer.from("into"));
      const buf = Buffer.alloc(16);
      const n = await within(b.recvInto(buf), 5000, "recvInto");
      assert.equal(buf.subarray(0, n).toString(), "into");
      await a.close();
      assert.equal(await b.recvInto(buf), 0);
      await b.close();
    });

    test("8 MiB sendall followed at once by close() arrives whole", async () => {
      const [a, b] = await pair(t);
      const data = random(8 * 1024 * 1024);
      const received = readAll(b);
      const sending = a.sendall(data);
      await a.close();
      await sending;
      assert.equal(sha256(await within(received, 20_000, "8 MiB")), sha256(data));
      await b.close();
    });

    test("send without await, then close, still delivers everything", async () => {
      const [a, b] = await pair(t);
      const parts = Array.from({ length: 64 }, () => random(64 * 1024));
      const received = readAll(b);
      const sends = parts.map((part) => a.send(part));
      await a.close();
      assert.deepEqual(
        (await Promise.all(sends)).reduce((x, y) => x + y, 0),
        64 * 64 * 1024,
      );
      assert.equal(sha256(await within(received, 20_000, "4 MiB")), sha256(...parts));
      await b.close();
    });

    test("close() is idempotent, never rejects, and later calls fail with EBADF", async () => {
      const [a, b] = await pair(t);
      await a.close();
      await a.close();
      await Promise.all([a.close(), a.close()]);
      await assert.rejects(a.recv(1), (err: socket.OSError) => err.code === "EBADF" && err.errno === 9);
      await assert.rejects(a.sendall(Buffer.from("x")), { code: "EBADF" });
      assert.throws(() => a.getpeername(), { code: "EBADF" });
      assert.throws(() => a.shutdown(socket.SHUT_WR), { code: "EBADF" });
      await b.close();
    });

    test("shutdown(SHUT_WR): the peer reads EOF and its reply still arrives", async () => {
      const [a, b] = await pair(t);
      await a.sendall(Buffer.from("question"));
      a.shutdown(socket.SHUT_WR);
      assert.equal((await within(readAll(b), 5000, "question then EOF")).toString(), "question");
      await b.sendall(Buffer.from("answer after your FIN"));
      b.shutdown(socket.SHUT_WR);
      assert.equal((await within(readAll(a), 5000, "reply")).toString(), "answer after your FIN");
      await assert.rejects(a.sendall(Buffer.from("x")), socket.BrokenPipeError);
      await a.close();
      await b.close();
    });

    test("shutdown(SHUT_RD) makes recv read end of stream; shutdown needs a connection", async () => {
      const [a, b] = await pair(t);
      b.shutdown(socket.SHUT_RD);
      assert.equal(await b.recv(10), null);
      assert.throws(() => socket.socket(t.family).shutdown(socket.SHUT_WR), { code: "ENOTCONN" });
      assert.throws(() => b.shutdown(7), { code: "EINVAL" });
      await a.close();
      await b.close();
    });

    test("sendall is backpressure: a peer that does not read makes sendall time out", async () => {
      const [a, b] = await pair(t);
      a.settimeout(0.2);
      const big = random(32 * 1024 * 1024);
      await assert.rejects(a.sendall(big), socket.TimeoutError);
      await a.close();
      await b.close();
    });

    test("regression: a sendall with a timeout that waits for room is woken by 'drain' (the listener is made lazily)", async () => {
      const [a, b] = await pair(t);
      a.settimeout(20); // far beyond the test's own deadline: only 'drain' can end the wait in time
      const first = random(32 * 1024 * 1024); // more than the kernel holds: Node keeps the rest
      const second = random(4096);
      const want = sha256(Buffer.concat([first, second]));
      const sending = Promise.all([a.sendall(first), a.sendall(second)]).then(() => a.close());
      try {
        const got = await within(readAll(b), 15_000, "both sends");
        await within(sending, 5000, "the second sendall");
        assert.equal(sha256(got), want);
      } finally {
        await b.close();
        await a.close();
      }
    });

    test("a blocking sendall resolves once the kernel took the last byte; then the buffer is free", async () => {
      const [a, b] = await pair(t);
      const data = random(32 * 1024 * 1024); // far more than the kernel's buffers hold
      const want = sha256(data);
      let resolved = false;
      const sending = a.sendall(data).then(async () => {
        resolved = true;
        data.fill(0); // a send that resolved too early would now deliver zeros
        await a.close();
      });
      try {
        const first = await within(b.recv(1), 5000, "the first byte");
        assert.equal(resolved, false, "sendall resolved before the peer read most of 32 MiB");
        const rest = await within(readAll(b), 30_000, "the rest");
        await sending;
        assert.equal(sha256(Buffer.concat([first ?? Buffer.alloc(0), rest])), want);
      } finally {
        await b.close(); // on failure too: a's unsent bytes would keep the process alive
        await a.close();
      }
    });

    test("chunks({ reuse: true }): 8 MiB each way intact, read into a few reused buffers", async () => {
      const [a, b] = await pair(t);
      const toB = random(8 * 1024 * 1024);
      const toA = random(8 * 1024 * 1024);
      /** Hashes every chunk, some only after an event-loop turn, as a slow writer would. */
      const drain = async (s: socket.Socket): Promise<[string, number, number]> => {
        const hash = createHash("sha256");
        const memory = new Set<ArrayBufferLike>();
        let chunks = 0;
        for await (const chunk of s.chunks(65536, { reuse: true })) {
          if (++chunks % 3 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
          hash.update(chunk);
          memory.add(chunk.buffer);
        }
        return [hash.digest("hex"), chunks, memory.size];
      };
      // The client's socket may have read ahead before its loop starts: that comes first.
      const [, , [gotB, chunksB, memoryB], [gotA, chunksA, memoryA]] = await within(
        Promise.all([
          a.sendall(toB).then(() => a.shutdown(socket.SHUT_WR)),
          b.sendall(toA).then(() => b.shutdown(socket.SHUT_WR)),
          drain(b),
          drain(a),
        ]),
        30_000,
        "8 MiB each way",
      );
      assert.equal(gotB, sha256(toB), "what the accepted side read");
      assert.equal(gotA, sha256(toA), "what the dialing side read");
      // Fresh memory per read would give every chunk its own; the pool has four buffers.
      // Not over TLS: Node's TLS socket hands out OpenSSL's decrypted output, and the read
      // pool works on a TCP or pipe handle only.
      if (!t.tls) {
        assert.ok(memoryB <= 6 && chunksB > 100, `${chunksB} chunks in ${memoryB} buffers (accepted side)`);
        assert.ok(memoryA <= 8 && chunksA > 100, `${chunksA} chunks in ${memoryA} buffers (dialing side)`);
      }
      await a.close();
      await b.close();
    });

    test("chunks({ reuse: true }) with many small reads queued behind a slow loop: none overwritten", async () => {
      const [a, b] = await pair(t);
      const data = random(3000 * 1000);
      const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
      const sending = (async () => {
        // 1000 bytes a turn, so reads are small and each one fills a pool buffer of its own.
        for (let at = 0; at < data.length; at += 1000) {
          await a.sendall(data.subarray(at, at + 1000));
          await turn();
        }
        await a.close();
      })();
      const hash = createHash("sha256");
      let chunks = 0;
      for await (const chunk of b.chunks(512, { reuse: true })) {
        for (let i = 0; i < 3; i++) await turn(); // slower than the sender: chunks queue up
        hash.update(chunk);
        chunks++;
      }
      await within(sending, 5000, "the sender");
      assert.equal(hash.digest("hex"), sha256(data));
      assert.ok(chunks > 1000, `${chunks} chunks`);
      await b.close();
    });

    test("after a reuse loop, recv and peek return copies the caller may keep", async () => {
      const [a, b] = await pair(t);
      const data = random(2 * 1024 * 1024);
      const sending = a.sendall(data).then(() => a.close());
      const hash = createHash("sha256");
      let borrowed = 0;
      for await (const chunk of b.chunks(65536, { reuse: true })) {
        hash.update(chunk);
        if (++borrowed === 3) break;
      }
      const peeked = await within(b.recv(100, socket.MSG_PEEK), 5000, "peek");
      const kept: Buffer[] = []; // held to the end: pool memory here would be overwritten
      for (;;) {
        const chunk = await within(b.recv(65536), 5000, "recv");
        if (chunk === null) break;
        kept.push(chunk);
      }
      await sending;
      const rest = Buffer.concat(kept);
      assert.deepEqual(peeked, rest.subarray(0, peeked?.length ?? 0), "the peeked bytes");
      hash.update(rest);
      assert.equal(hash.digest("hex"), sha256(data));
      await b.close();
    });

    test("forward relays 8 MiB to another connection byte for byte, then shuts down its sending side", async () => {
      const [a, b] = await pair(t);
      const [c, d] = await pair(t);
      const data = random(8 * 1024 * 1024);
      const early = data.subarray(0, 100_000); // sent and queued before forward starts
      await a.sendall(early);
      await within(b.recv(1, socket.MSG_PEEK), 5000, "the early bytes"); // now queued at b
      const relaying = b.forward(c);
      const sending = a.sendall(data.subarray(early.length)).then(() => a.shutdown(socket.SHUT_WR));
      const got = await within(readAll(d), 30_000, "everything at the far end");
      await sending;
      assert.equal(sha256(got), sha256(data));
      assert.equal(await within(relaying, 5000, "forward"), data.length);
      await assert.rejects(c.sendall(Buffer.from("x")), socket.BrokenPipeError, "c's sending side is shut");
      for (const s of [a, b, c, d]) await s.close();
    });

    test("forward is backpressure: while the far end reads nothing, 64 MiB cannot get through", async () => {
      const [a, b] = await pair(t);
      const [c, d] = await pair(t);
      const relaying = b.forward(c);
      const data = random(64 * 1024 * 1024); // far more than the four sockets' kernel buffers
      let sent = false;
      const sending = a.sendall(data).then(() => {
        sent = true;
        return a.shutdown(socket.SHUT_WR);
      });
      // Without backpressure the relay would take it all into memory within a few hundred
      // turns of the event loop; with it, nothing can finish while d reads nothing.
      for (let turn = 0; turn < 3000 && !sent; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
      assert.equal(sent, false, "64 MiB went through a relay whose far end read nothing");
      const got = await within(readAll(d), 60_000, "everything at the far end");
      await sending;
      assert.equal(sha256(got), sha256(data));
      assert.equal(await within(relaying, 5000, "forward"), data.length);
      for (const s of [a, b, c, d]) await s.close();
    });

    test("forward into the socket itself is an echo; a slow reader at the far end loses nothing", async () => {
      const [a, b] = await pair(t);
      const echoing = b.forward(b);
      const data = random(16 * 1024 * 1024);
      const sending = a.sendall(data).then(() => a.shutdown(socket.SHUT_WR));
      const hash = createHash("sha256");
      let got = 0;
      let chunks = 0;
      for await (const chunk of a.chunks(4096)) {
        // Slower than the echo, so its writes back often wait: their buffers must wait too.
        if (++chunks % 4 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        hash.update(chunk);
        got += chunk.length;
      }
      await within(sending, 5000, "the sender");
      assert.equal(got, data.length);
      assert.equal(hash.digest("hex"), sha256(data));
      assert.equal(await within(echoing, 5000, "forward"), data.length);
      await a.close();
      await b.close();
    });

    test("forward to a function: a chunk stays valid until its promise settles; a throw rejects", async () => {
      const [a, b] = await pair(t);
      const data = random(4 * 1024 * 1024);
      const hash = createHash("sha256");
      let calls = 0;
      const relaying = b.forward((chunk) => {
        if (++calls % 2 === 1) {
          hash.update(chunk);
          return undefined;
        }
        // Used a turn later: reading must wait, or the pool would refill this memory.
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            hash.update(chunk);
            resolve();
          }),
        );
      });
      await a.sendall(data);
      a.shutdown(socket.SHUT_WR);
      assert.equal(await within(relaying, 10_000, "forward"), data.length);
      assert.equal(hash.digest("hex"), sha256(data));
      const [c, d] = await pair(t);
      const boom = new Error("sink failed");
      const failing = d.forward(() => {
        throw boom;
      });
      await c.sendall(Buffer.from("x"));
      await assert.rejects(within(failing, 5000, "a failing sink"), (err: unknown) => err === boom);
      // A function that returns something other than a promise is done with the chunk.
      const [e, f] = await pair(t);
      let seen = 0;
      const lenient = f.forward(((chunk: Buffer) => {
        seen += chunk.length;
        return 42;
      }) as unknown as (chunk: Buffer) => undefined);
      await e.sendall(Buffer.alloc(300_000, 7));
      await e.close();
      assert.equal(await within(lenient, 5000, "a lenient sink"), 300_000);
      assert.equal(seen, 300_000);
      for (const s of [a, b, c, d, f]) await s.close();
    });

    test("forward to a function: never handed a chunk before it is done with the last, queued ones included", async () => {
      const [a, b] = await pair(t);
      const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
      const data = random(400_000);
      // Small pieces a turn apart, and b reading (a peek) before forward starts: several
      // chunks wait in b's queue when forward begins.
      const early = b.recv(1, socket.MSG_PEEK);
      for (let at = 0; at < 100_000; at += 10_000) {
        await a.sendall(data.subarray(at, at + 10_000));
        await turn();
      }
      await within(early, 5000, "the first bytes");
      const hash = createHash("sha256");
      let busy = false;
      let overlaps = 0;
      const relaying = b.forward((chunk) => {
        if (busy) overlaps++;
        busy = true;
        return turn().then(() => {
          hash.update(chunk);
          busy = false;
        });
      });
      for (let at = 100_000; at < data.length; at += 10_000) {
        await a.sendall(data.subarray(at, at + 10_000));
        await turn();
      }
      await a.close();
      assert.equal(await within(relaying, 10_000, "forward"), data.length);
      assert.equal(overlaps, 0, "the function was called while a chunk of it was pending");
      assert.equal(hash.digest("hex"), sha256(data));
      await b.close();
    });

    test("forward: reads meanwhile fail with EBUSY, end: false leaves dest open, a reset rejects", async () => {
      const [a, b] = await pair(t);
      const [c, d] = await pair(t);
      const relaying = b.forward(c, { end: false });
      await assert.rejects(b.recv(10), { code: "EBUSY" });
      await assert.rejects(b.forward(c), { code: "EBUSY" });
      await a.sendall(Buffer.from("hello"));
      await a.shutdown(socket.SHUT_WR);
      assert.equal(await within(relaying, 5000, "forward"), 5);
      assert.equal((await within(d.recv(10), 5000, "relayed"))?.toString(), "hello");
      await c.sendall(Buffer.from(" world")); // still open
      assert.equal((await within(d.recv(10), 5000, "more"))?.toString(), " world");
      // The far end gone (reset, on TCP) fails the relay at its next write.
      const [e, f] = await pair(t);
      const failing = f.forward(c);
      if (t.family !== socket.AF_UNIX) {
        const reset = Buffer.alloc(8);
        reset.writeInt32LE(1, 0); // SO_LINGER (1, 0): close with RST
        d.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, reset);
      }
      await d.close();
      await e.sendall(Buffer.alloc(64 * 1024, 1));
      const result = await within(
        failing.then(
          () => "resolved",
          (err: unknown) => err,
        ),
        10_000,
        "forward to a closed peer",
      );
      assert.ok(result instanceof socket.OSError, `forward ended with ${String(result)}`);
      await assert.rejects(b.forward(socket.socket()), { code: "ENOTCONN" });
      for (const s of [a, b, c, e, f]) await s.close();
    });

    test("non-blocking send fails with BlockingIOError once the buffers are full", async () => {
      const [a, b] = await pair(t);
      a.setblocking(false);
      assert.equal(a.getblocking(), false);
      const chunk = random(256 * 1024);
      let sent = 0;
      let error: unknown;
      for (let i = 0; i < 1000 && !error; i++) {
        try {
          sent += await a.send(chunk);
        } catch (err) {
          error = err;
        }
      }
      assert.ok(error instanceof socket.BlockingIOError, `got ${String(error)} after ${sent} bytes`);
      assert.equal((error as socket.OSError).errno, 11);
      await a.close();
      await b.close();
    });

    test("recv in non-blocking mode fails with BlockingIOError when nothing is there", async () => {
      const [a, b] = await pair(t);
      b.setblocking(false);
      await assert.rejects(b.recv(1), socket.BlockingIOError);
      await assert.rejects(b.recv(1, socket.MSG_DONTWAIT), socket.BlockingIOError);
      await a.sendall(Buffer.from("y"));
      b.setblocking(true);
      assert.equal((await within(b.recv(1), 5000, "blocking recv"))?.toString(), "y");
      await a.close();
      await b.close();
    });

    test("accept honours timeouts and non-blocking mode", async () => {
      const s = await listener(t);
      s.settimeout(0.05);
      await assert.rejects(s.accept(), socket.TimeoutError);
      s.setblocking(false);
      await assert.rejects(s.accept(), socket.BlockingIOError);
      await s.close();
    });

    test("accepted sockets take getdefaulttimeout(), not the listener's timeout", async () => {
      const s = await listener(t);
      s.settimeout(7);
      try {
        socket.setdefaulttimeout(3);
        assert.equal(socket.socket(t.family).gettimeout(), 3, "new sockets take the default too");
        const [c1, conn1] = await connectTo(t, s);
        assert.equal(conn1.gettimeout(), 3);
        socket.setdefaulttimeout(null);
        const [c2, conn2] = await connectTo(t, s);
        assert.equal(conn2.gettimeout(), null);
        await Promise.all([c1.close(), c2.close(), conn1.close(), conn2.close()]);
      } finally {
        socket.setdefaulttimeout(null);
        await s.close();
      }
    });

    test("a recv pending when the peer resets fails with ConnectionResetError", {
      skip: t.tls
        ? "over TLS 1.3 a reset right after the handshake reaches Node's TLS server as end of stream (its session-ticket write fails first); ssl-socket.test.ts checks the reset after a first exchange"
        : false,
    }, async () => {
      if (t.family === socket.AF_UNIX) return; // SO_LINGER 0 resets TCP only
      const [a, b] = await pair(t);
      const pending = b.recv(10);
      a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
      await a.close();
      await assert.rejects(within(pending, 5000, "reset"), socket.ConnectionResetError);
      await b.close();
    });

    test("getsockname and getpeername mirror each other", async () => {
      const [a, b] = await pair(t);
      if (t.family === socket.AF_UNIX) {
        assert.equal(a.getsockname(), "");
        assert.equal(typeof b.getsockname(), "string");
        assert.equal(a.getpeername(), b.getsockname());
      } else {
        assert.deepEqual(a.getsockname(), b.getpeername());
        assert.deepEqual(a.getpeername(), b.getsockname());
        assert.equal(a.getsockname().length, t.family === socket.AF_INET6 ? 4 : 2);
      }
      await a.close();
      await b.close();
    });

    test("'await using' closes the socket like Python's with", async () => {
      const [a, b] = await pair(t);
      {
        await using inner = a;
        await inner.sendall(Buffer.from("bye"));
      }
      assert.equal((await within(readAll(b), 5000, "bye then EOF")).toString(), "bye");
      assert.throws(() => a.getsockname(), { code: "EBADF" });
      await b.close();
    });

    test("leaving a chunks() loop early keeps the socket open", async () => {
      const [a, b] = await pair(t);
      await a.sendall(Buffer.from("first"));
      for await (const chunk of b.chunks()) {
        assert.equal(chunk.toString(), "first");
        break;
      }
      await a.sendall(Buffer.from("second"));
      assert.equal((await within(b.recv(100), 5000, "after break"))?.toString(), "second");
      await a.close();
      await b.close();
    });

    test("connections() yields callers and ends when the listener closes", async () => {
      const s = await listener(t);
      const callers = [await dialer(t), await dialer(t)];
      // Not awaited before accepting: a TLS connect ends only with the accepting side's handshake.
      const connecting = Promise.all(callers.map((c) => c.connect(s.getsockname())));
      const seen: socket.Socket[] = [];
      for await (const [conn] of s.connections()) {
        seen.push(conn);
        if (seen.length === 2) break;
      }
      await within(connecting, 5000, "the two callers");
      const [c3, conn3] = await within(connectTo(t, s), 5000, "accept after break");
      seen.push(conn3);
      const ended = (async () => {
        for await (const [conn] of s.connections()) seen.push(conn);
      })();
      await s.close();
      await within(ended, 5000, "connections() to end");
      assert.equal(seen.length, 3);
      await Promise.all([...callers, c3, ...seen].map((x) => x.close()));
    });

    test("connections() as a plain iterator: gives accept()'s address, and stays done once left", async () => {
      const s = await listener(t);
      const caller = await dialer(t);
      // Not awaited before accepting: a TLS connect ends only with the accepting side's handshake.
      const connecting = caller.connect(s.getsockname());
      const it = s.connections();
      const first = await within(it.next(), 5000, "first caller");
      await within(connecting, 5000, "the caller");
      assert.equal(first.done, false);
      const [conn, address] = first.value as [socket.Socket, socket.Address];
      assert.deepEqual(address, t.family === socket.AF_UNIX ? "" : caller.getsockname());
      // Left (as `break` does): a caller waiting now is for accept(), not for this iterator.
      assert.deepEqual(await it.return?.(), { value: undefined, done: true });
      const late = await dialer(t);
      const lateConnecting = late.connect(s.getsockname());
      assert.equal((await within(it.next(), 5000, "next after return")).done, true);
      const [lateConn] = await within(s.accept(), 5000, "accept after return");
      await within(lateConnecting, 5000, "the late caller");
      await Promise.all([caller, late, conn, lateConn, s].map((x) => x.close()));
    });
  });
}
