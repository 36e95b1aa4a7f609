/**
 * SOCK_DGRAM over IPv4 and IPv6: message boundaries, truncation, empty datagrams, size
 * limits, the bounded receive queue, connected sockets and timeouts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { random, sha256 } from "../helpers/data.js";
import { eventually, within } from "../helpers/within.js";

const FAMILIES = [
  { name: "udp4", family: socket.AF_INET, host: "127.0.0.1", max: 65507 },
  { name: "udp6", family: socket.AF_INET6, host: "::1", max: 65527 },
];

for (const f of FAMILIES) {
  describe(`datagrams over ${f.name}`, () => {
    async function bound(): Promise<socket.Socket> {
      const s = socket.socket(f.family, socket.SOCK_DGRAM);
      await s.bind([f.host, 0]);
      s.settimeout(5);
      return s;
    }

    test("message boundaries are kept and the sender's address comes with each", async () => {
      const [a, b] = [await bound(), await bound()];
      const messages = ["one", "two two", "three three three"].map((m) => Buffer.from(m));
      for (const m of messages) await a.sendto(m, b.getsockname());
      for (const m of messages) {
        const [data, from] = await b.recvfrom(1024);
        assert.deepEqual(data, m);
        assert.deepEqual(from, a.getsockname());
      }
      await Promise.all([a.close(), b.close()]);
    });

    test("recvfrom(n) cuts a datagram to n bytes and discards the rest", async () => {
      const [a, b] = [await bound(), await bound()];
      await a.sendto(Buffer.from("0123456789"), b.getsockname());
      await a.sendto(Buffer.from("next"), b.getsockname());
      const [cut] = await b.recvfrom(4);
      assert.equal(cut?.toString(), "0123");
      const [next] = await b.recvfrom(100);
      assert.equal(next?.toString(), "next", "the cut-off part is gone, not queued");
      await Promise.all([a.close(), b.close()]);
    });

    test("0-byte datagrams are delivered as empty buffers, not end of stream", async () => {
      const [a, b] = [await bound(), await bound()];
      await a.sendto(Buffer.alloc(0), b.getsockname());
      const data = await b.recv(100);
      assert.ok(data instanceof Buffer);
      assert.equal(data.length, 0);
      await Promise.all([a.close(), b.close()]);
    });

    test(`${f.max} bytes is the largest payload; one more is EMSGSIZE and the socket goes on`, async () => {
      const [a, b] = [await bound(), await bound()];
      const biggest = random(f.max);
      await a.sendto(biggest, b.getsockname());
      assert.equal(sha256((await b.recv(70000)) ?? Buffer.alloc(0)), sha256(biggest));
      await assert.rejects(a.sendto(Buffer.alloc(f.max + 1), b.getsockname()), (err: socket.OSError) => {
        assert.equal(err.code, "EMSGSIZE");
        assert.equal(err.errno, 90);
        return true;
      });
      await a.sendto(Buffer.from("still works"), b.getsockname());
      assert.equal((await b.recv(100))?.toString(), "still works");
      await Promise.all([a.close(), b.close()]);
    });

    test("datagrams wait in a bounded queue; what does not fit is counted, never lost silently", async () => {
      const [a, b] = [await bound(), await bound()];
      b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024);
      assert.equal(b.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), 16 * 1024);
      const count = 40;
      const fits = Math.floor((16 * 1024) / (1000 + 64)); // payload plus the documented 64 bytes each
      for (let i = 0; i < count; i++) await a.sendto(Buffer.alloc(1000, i), b.getsockname());
      // Nothing is read while they arrive: the queue keeps what fits and counts the rest.
      await eventually(() => (b.droppedDatagrams === count - fits ? true : undefined), 5000, "the drops");
      const marker = Buffer.from("marker");
      b.setblocking(false);
      let received = 0;
      for (let i = 0; i < count; i++) {
        const data = await b.recv(2000).catch((err: unknown) => {
          assert.ok(err instanceof socket.BlockingIOError);
          return null;
        });
        if (data === null) break;
        assert.equal(data[0], received, "the oldest datagrams are the ones kept");
        received += 1;
      }
      assert.equal(received, fits);
      assert.equal(received + b.droppedDatagrams, count);
      b.settimeout(5);
      await a.sendto(marker, b.getsockname());
      assert.deepEqual(await b.recv(100), marker, "the socket keeps working after drops");
      await Promise.all([a.close(), b.close()]);
    });

    test("a connected socket sends with send() and receives with recv()", async () => {
      const [a, b] = [await bound(), await bound()];
      await a.connect(b.getsockname());
      await b.connect(a.getsockname());
      assert.deepEqual(a.getpeername(), b.getsockname());
      await a.send(Buffer.from("ping"));
      assert.equal((await b.recv(10))?.toString(), "ping");
      await b.send(Buffer.from("pong"));
      assert.equal((await a.recv(10))?.toString(), "pong");
      await assert.rejects(a.sendto(Buffer.from("x"), b.getsockname()), { code: "EISCONN" });
      await Promise.all([a.close(), b.close()]);
    });

    test("on a connected socket a refused send surfaces as ConnectionRefusedError from the next recv", async () => {
      const gone = await bound();
      const address = gone.getsockname();
      await gone.close();
      const s = await bound();
      await s.connect(address);
      await s.send(Buffer.from("anyone?"));
      await assert.rejects(within(s.recv(10), 5000, "the ICMP refusal"), socket.ConnectionRefusedError);
      s.settimeout(0.05);
      await assert.rejects(s.recv(10), socket.TimeoutError, "the error is reported once");
      await s.close();
    });

    test("send() without a destination is EDESTADDRREQ", async () => {
      const s = await bound();
      await assert.rejects(s.send(Buffer.from("x")), { code: "EDESTADDRREQ", errno: 89 });
      await s.close();
    });

    test("recvfrom honours timeouts and non-blocking mode", async () => {
      const s = await bound();
      s.settimeout(0.05);
      await assert.rejects(s.recvfrom(10), socket.TimeoutError);
      s.setblocking(false);
      await assert.rejects(s.recvfrom(10), socket.BlockingIOError);
      await s.close();
    });

    test("datagrams() yields [data, address]; breaking out keeps the socket open", async () => {
      const [a, b] = [await bound(), await bound()];
      await a.sendto(Buffer.from("d1"), b.getsockname());
      await a.sendto(Buffer.from("d2"), b.getsockname());
      for await (const [data, from] of b.datagrams()) {
        assert.equal(data.toString(), "d1");
        assert.deepEqual(from, a.getsockname());
        break;
      }
      assert.equal((await b.recv(10))?.toString(), "d2");
      const ended = (async () => {
        for await (const _ of b.datagrams()) assert.fail("no datagram was sent");
      })();
      await b.close();
      await within(ended, 5000, "datagrams() to end on close");
      await a.close();
    });
  });
}

describe("datagram options", () => {
  test("SO_BROADCAST and SO_SNDBUF apply; stream-only options are refused", async () => {
    const s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1);
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536);
    await s.bind(["127.0.0.1", 0]);
    assert.equal(s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST), 1);
    assert.ok((s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) as number) >= 65536);
    assert.throws(() => s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1), { code: "EOPNOTSUPP" });
    assert.equal(s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), socket.SOCK_DGRAM);
    await s.close();
  });

  test("SO_REUSEADDR lets two UDP sockets share a port", async () => {
    const a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
    await a.bind(["127.0.0.1", 0]);
    const b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    await assert.rejects(b.bind(a.getsockname()), { code: "EADDRINUSE" });
    const c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
    await c.bind(a.getsockname());
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});
