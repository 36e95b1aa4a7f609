/**
 * IPv6 is explicit (an AF_INET6 socket is never dual-stack by accident, createServer
 * offers it on request) and the socket options hotline supports.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { procNetReadable, tcpTimer } from "../helpers/proc-net.js";
import { pair, TRANSPORTS } from "../helpers/transports.js";

describe("IPv6", () => {
  test("AF_INET6 is IPv6-only by default: a v4-mapped address cannot be bound", async () => {
    const s = socket.socket(socket.AF_INET6);
    assert.equal(s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 1);
    await assert.rejects(s.bind(["::ffff:127.0.0.1", 0]), { code: "EINVAL" });
    await s.close();
  });

  test("an IPv6-only listener on :: does not answer IPv4 callers", async () => {
    const s = socket.socket(socket.AF_INET6);
    await s.bind(["::", 0]);
    await s.listen();
    const [, port] = s.getsockname() as socket.Inet6Address;
    await assert.rejects(socket.socket().connect(["127.0.0.1", port]), socket.ConnectionRefusedError);
    await s.close();
  });

  test("createServer(dualstackIpv6) answers IPv4 callers as ::ffff:a.b.c.d", async () => {
    const s = await socket.createServer(["::ffff:127.0.0.1", 0], { family: socket.AF_INET6, dualstackIpv6: true });
    assert.equal(s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), 0);
    const [, port] = s.getsockname() as socket.Inet6Address;
    const c = socket.socket(socket.AF_INET);
    await c.connect(["127.0.0.1", port]);
    const [conn, addr] = await s.accept();
    assert.equal(addr.length, 4);
    assert.equal((addr as socket.Inet6Address)[0], "::ffff:127.0.0.1");
    await Promise.all([c.close(), conn.close(), s.close()]);
    await assert.rejects(socket.createServer(["127.0.0.1", 0], { dualstackIpv6: true }), RangeError);
  });

  test("addresses are 4-tuples; a %scope in the host becomes the scope id", async () => {
    const s = socket.socket(socket.AF_INET6);
    await s.bind(["::1", 0, 0, 0]);
    const name = s.getsockname();
    assert.equal(name.length, 4);
    assert.deepEqual([name[0], name[2], name[3]], ["::1", 0, 0]);
    await s.close();
    await assert.rejects(socket.socket(socket.AF_INET6).bind(["::1", 0, 0, 0, 0] as never), TypeError);
    await assert.rejects(socket.socket(socket.AF_INET).bind(["::1", 0]), { errno: -9 });
  });

  test("IPV6_V6ONLY must be set before bind and only on AF_INET6", async () => {
    const s = socket.socket(socket.AF_INET6);
    await s.bind(["::1", 0]);
    assert.throws(() => s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0), { code: "EINVAL" });
    assert.throws(() => socket.socket().setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0), {
      code: "ENOPROTOOPT",
    });
    await s.close();
  });
});

describe("socket options", () => {
  const tcp = TRANSPORTS[0];
  test("TCP_NODELAY and SO_KEEPALIVE are set and read back, and accepted sockets inherit them", async () => {
    assert.ok(tcp);
    const s = socket.socket();
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1);
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, true);
    await s.bind(["127.0.0.1", 0]);
    await s.listen();
    const c = socket.socket();
    await c.connect(s.getsockname());
    const [conn] = await s.accept();
    assert.equal(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1);
    assert.equal(conn.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), 1);
    assert.equal(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 0);
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1);
    assert.equal(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1);
    await Promise.all([c.close(), conn.close(), s.close()]);
  });

  test("TCP_KEEPIDLE arms the kernel's keepalive timer for that many seconds, set before connect or after accept", async (t) => {
    if (!procNetReadable()) return t.skip("/proc/net/tcp is Linux's");
    const s = socket.socket();
    await s.bind(["127.0.0.1", 0]);
    await s.listen();
    const c = socket.socket();
    assert.equal(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE), 7200, "the system's until set");
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30);
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1);
    await c.connect(s.getsockname());
    const [conn] = await s.accept();
    const [, cport] = c.getsockname() as socket.Inet4Address;
    const [, sport] = s.getsockname() as socket.Inet4Address;
    assert.equal(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE), 30);
    const dialled = tcpTimer(cport, sport);
    assert.equal(dialled?.kind, 2, `keepalive armed on the dialled socket: ${JSON.stringify(dialled)}`);
    assert.ok((dialled?.seconds ?? 0) <= 30 && (dialled?.seconds ?? 0) > 20, `${dialled?.seconds} s`);
    assert.equal(tcpTimer(sport, cport)?.kind, 0, "not on the accepted one yet");
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1);
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 45);
    const accepted = tcpTimer(sport, cport);
    assert.equal(accepted?.kind, 2, `keepalive armed on the accepted socket: ${JSON.stringify(accepted)}`);
    assert.ok((accepted?.seconds ?? 0) <= 45 && (accepted?.seconds ?? 0) > 35, `${accepted?.seconds} s`);
    assert.throws(() => c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 0), { code: "EINVAL" });
    assert.throws(() => c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 32768), { code: "EINVAL" });
    const u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    assert.throws(() => u.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30), { code: "EOPNOTSUPP" });
    await Promise.all([c.close(), conn.close(), s.close(), u.close()]);
  });

  test("SO_REUSEADDR is always on for TCP; turning it off is refused with a reason", async () => {
    const s = socket.socket();
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
    assert.equal(s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR), 1);
    assert.throws(
      () => s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0),
      (err: socket.OSError) => err.code === "ENOPROTOOPT" && /SO_REUSEADDR/.test(err.message),
    );
    await s.close();
  });

  test("SO_LINGER round-trips as packed bytes; (1, 0) closes with RST", async () => {
    const [a, b] = await pair(TRANSPORTS[0] as (typeof TRANSPORTS)[number]);
    const packed = Buffer.alloc(8);
    packed.writeInt32LE(1, 0);
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, packed);
    assert.deepEqual(a.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8), packed);
    assert.equal(a.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER), 1);
    await a.close();
    await assert.rejects(b.recv(1), socket.ConnectionResetError);
    await b.close();
  });

  test("options Node cannot honour fail at once with a clear OSError", async () => {
    const s = socket.socket();
    assert.throws(
      () => s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),
      (err: socket.OSError) => {
        return err.code === "ENOPROTOOPT" && /not supported by hotline/.test(err.message);
      },
    );
    assert.throws(() => s.setsockopt(socket.SOL_SOCKET, 12345, 1), { code: "ENOPROTOOPT" });
    assert.throws(() => s.getsockopt(socket.SOL_SOCKET, 12345), { code: "ENOPROTOOPT" });
    assert.throws(() => s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, "yes" as never), TypeError);
    await s.close();
  });

  test("socket types and families Node cannot offer fail at once", () => {
    assert.throws(
      () => socket.socket(socket.AF_INET, socket.SOCK_RAW),
      (err: socket.OSError) => {
        return err.code === "ESOCKTNOSUPPORT" && /SOCK_STREAM and SOCK_DGRAM/.test(err.message);
      },
    );
    assert.throws(() => socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET), { code: "ESOCKTNOSUPPORT" });
    assert.throws(() => socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM), { code: "ESOCKTNOSUPPORT" });
    assert.throws(() => socket.socket(99), { code: "EAFNOSUPPORT" });
    assert.throws(() => socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_UDP), {
      code: "EPROTONOSUPPORT",
    });
    const s = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK);
    assert.equal(s.type, socket.SOCK_STREAM);
    assert.equal(s.getblocking(), false);
    assert.equal(s.family, socket.AF_INET);
    assert.equal(s.proto, 0);
  });

  test("settimeout validates like Python", () => {
    const s = socket.socket();
    assert.throws(() => s.settimeout(-1), RangeError);
    assert.throws(() => s.settimeout(Number.NaN), TypeError);
    assert.throws(() => socket.setdefaulttimeout(-1), RangeError);
    s.settimeout(2.5);
    assert.equal(s.gettimeout(), 2.5);
    s.setblocking(true);
    assert.equal(s.gettimeout(), null);
  });
});
