/**
 * hotline/ssl as a stream: half-close over TLS 1.2 and 1.3, 64 MiB each way with a slow
 * reader (SHA-256 in against out), and interop with independent TLS stacks: Python's ssl
 * module (tls_peer.py) and openssl s_client/s_server, in both roles.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { test } from "node:test";
import * as socket from "../../src/index.js";
import * as ssl from "../../src/ssl/index.js";
import { testPki } from "../helpers/certs.js";
import { Child, python } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";
import { unusedPort } from "../helpers/ports.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const TLS_PEER = `${PYTHON_FIXTURES}tls_peer.py`;
const HAS_OPENSSL = spawnSync("openssl", ["version"]).status === 0;

function clientContext(max: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED): ssl.SSLContext {
  const context = ssl.createDefaultContext(ssl.Purpose.SERVER_AUTH, { cafile: testPki().ca.certPath });
  context.maximumVersion = max;
  return context;
}

function serverContext(): ssl.SSLContext {
  const context = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
  context.loadCertChain(testPki().server.certPath, testPki().server.keyPath);
  return context;
}

/** A TLS listener on 127.0.0.1 and its port. */
async function tlsListener(context = serverContext()): Promise<[ssl.SSLSocket, number]> {
  const listener = await context.wrapSocket(socket.socket(), { serverSide: true });
  await listener.bind(["127.0.0.1", 0]);
  await listener.listen();
  listener.settimeout(20);
  return [listener, listener.getsockname()[1] as number];
}

/** A connected TLS pair over loopback: [client, server side]. */
async function tlsPair(max?: ssl.TLSVersion): Promise<[ssl.SSLSocket, ssl.SSLSocket]> {
  const [listener, port] = await tlsListener();
  const client = await clientContext(max).wrapSocket(socket.socket(), { serverHostname: "localhost" });
  const [, [conn]] = await Promise.all([client.connect(["127.0.0.1", port]), listener.accept()]);
  await listener.close();
  return [client, conn];
}

async function readAll(s: socket.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of s.chunks()) parts.push(chunk);
  return Buffer.concat(parts);
}

for (const [label, version] of [
  ["TLS 1.2", ssl.TLSVersion.TLSv1_2],
  ["TLS 1.3", ssl.TLSVersion.TLSv1_3],
] as const) {
  test(`half-close over ${label}: the peer reads end of stream and its reply still arrives`, async () => {
    const [a, b] = await tlsPair(version);
    assert.equal(a.version(), label.replace(" ", "v"));
    await a.sendall(Buffer.from("question"));
    a.shutdown(socket.SHUT_WR);
    assert.equal((await within(readAll(b), 5000, "question then end of stream")).toString(), "question");
    await b.sendall(Buffer.from("answer after your close_notify"));
    b.shutdown(socket.SHUT_WR);
    assert.equal((await within(readAll(a), 5000, "the reply")).toString(), "answer after your close_notify");
    await assert.rejects(a.sendall(Buffer.from("x")), socket.BrokenPipeError);
    await Promise.all([a.close(), b.close()]);
  });
}

test("64 MiB each way over TLS at once, with a slow reader on one side: SHA-256 in equals out", async () => {
  const [a, b] = await tlsPair();
  const toB = random(64 * 1024 * 1024);
  const toA = random(64 * 1024 * 1024);
  /** Reads in small pieces, yielding to the event loop now and then: slower than the sender. */
  const slowRead = async (s: socket.Socket): Promise<string> => {
    const hash = createHash("sha256");
    for (let n = 0; ; n++) {
      const chunk = await s.recv(4096);
      if (!chunk) break;
      hash.update(chunk);
      if (n % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return hash.digest("hex");
  };
  const fastRead = async (s: socket.Socket): Promise<string> => sha256(await readAll(s));
  const [, , gotB, gotA] = await within(
    Promise.all([
      a.sendall(toB).then(() => a.shutdown(socket.SHUT_WR)),
      b.sendall(toA).then(() => b.shutdown(socket.SHUT_WR)),
      slowRead(b),
      fastRead(a),
    ]),
    120_000,
    "64 MiB each way",
  );
  assert.equal(gotB, sha256(toB), "what the slow server side read");
  assert.equal(gotA, sha256(toA), "what the client read");
  await Promise.all([a.close(), b.close()]);
});

test("a recv timeout over TLS consumes nothing; a reset after a first exchange is ConnectionResetError", async () => {
  const [a, b] = await tlsPair();
  b.settimeout(0.05);
  await assert.rejects(b.recv(10), socket.TimeoutError);
  await a.sendall(Buffer.from("late"));
  b.settimeout(5);
  assert.equal((await b.recv(10))?.toString(), "late");
  await b.sendall(Buffer.from("ok"));
  assert.equal((await within(a.recv(10), 5000, "ok"))?.toString(), "ok");
  const pending = b.recv(10);
  a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
  await a.close();
  await assert.rejects(within(pending, 5000, "the reset"), socket.ConnectionResetError);
  await b.close();
});

test("wrapping connected sockets on both sides (the command's way), over TCP and a Unix socket", async () => {
  for (const family of [socket.AF_INET, socket.AF_UNIX]) {
    const listener = socket.socket(family);
    await listener.bind(family === socket.AF_UNIX ? `${tempDir()}/tls.sock` : ["127.0.0.1", 0]);
    await listener.listen();
    const plainClient = socket.socket(family);
    const [, [plainServer]] = await Promise.all([plainClient.connect(listener.getsockname()), listener.accept()]);
    await listener.close();
    plainClient.settimeout(5);
    plainServer.settimeout(5);
    const [client, server] = await within(
      Promise.all([
        clientContext().wrapSocket(plainClient, { serverHostname: "localhost" }),
        serverContext().wrapSocket(plainServer, { serverSide: true }),
      ]),
      10_000,
      "both handshakes",
    );
    assert.throws(() => plainClient.getpeername(), { code: "EBADF" }, "the plain socket is detached");
    assert.equal(client.gettimeout(), 5, "the timeout moved with the connection");
    const toServer = random(2 * 1024 * 1024);
    const toClient = random(2 * 1024 * 1024);
    const [, , gotServer, gotClient] = await within(
      Promise.all([
        client.sendall(toServer).then(() => client.shutdown(socket.SHUT_WR)),
        server.sendall(toClient).then(() => server.shutdown(socket.SHUT_WR)),
        readAll(server),
        readAll(client),
      ]),
      20_000,
      "2 MiB each way",
    );
    assert.equal(sha256(gotServer), sha256(toServer));
    assert.equal(sha256(gotClient), sha256(toClient));
    await Promise.all([client.close(), server.close()]);
  }
});

test("STARTTLS: bytes of the TLS hello already read by the plain socket are not lost", async () => {
  const listener = socket.socket();
  await listener.bind(["127.0.0.1", 0]);
  await listener.listen();
  const plainClient = socket.socket();
  const [, [plainServer]] = await Promise.all([plainClient.connect(listener.getsockname()), listener.accept()]);
  await listener.close();
  plainServer.settimeout(5);
  plainClient.settimeout(5);
  await plainClient.sendall(Buffer.from("STARTTLS\r\n"));
  assert.equal((await within(plainServer.recv(100), 5000, "STARTTLS"))?.toString(), "STARTTLS\r\n");
  await plainServer.sendall(Buffer.from("220 go ahead\r\n"));
  assert.equal((await within(plainClient.recv(100), 5000, "220"))?.toString(), "220 go ahead\r\n");
  const clientSide = clientContext().wrapSocket(plainClient, { serverHostname: "localhost" });
  // The client's hello is now read into the plain socket's buffer, before the server wraps.
  assert.equal((await within(plainServer.recv(1, socket.MSG_PEEK), 5000, "the hello"))?.[0], 0x16);
  const [client, server] = await within(
    Promise.all([clientSide, serverContext().wrapSocket(plainServer, { serverSide: true })]),
    10_000,
    "the handshakes after STARTTLS",
  );
  await client.sendall(Buffer.from("secret"));
  assert.equal((await within(server.recv(100), 5000, "over TLS"))?.toString(), "secret");
  await Promise.all([client.close(), server.close()]);
});

test("a non-blocking TLS socket connects and handshakes to the end, then stays non-blocking", async () => {
  const [listener, port] = await tlsListener();
  const client = await clientContext().wrapSocket(socket.socket(), { serverHostname: "localhost" });
  client.setblocking(false);
  const [, [conn]] = await within(
    Promise.all([client.connect(["127.0.0.1", port]), listener.accept()]),
    10_000,
    "the non-blocking connect",
  );
  assert.equal(client.gettimeout(), 0);
  assert.equal(client.version(), "TLSv1.3");
  await assert.rejects(client.recv(10), socket.BlockingIOError);
  await Promise.all([client.close(), conn.close(), listener.close()]);
});

test("Python's ssl client (create_default_context with our CA) against a hotline TLS server: 8 MiB each way", async () => {
  const pki = testPki();
  const [listener, port] = await tlsListener();
  try {
    // Python reads what hotline sends.
    const reader = python(TLS_PEER, ["client", port, "sink", pki.ca.certPath, "localhost"]);
    const [conn] = await within(listener.accept(), 10_000, "Python's handshake");
    const data = random(8 * 1024 * 1024);
    await conn.sendall(data);
    conn.shutdown(socket.SHUT_WR);
    const [, digest, count] = await reader.line(/^received (\w+) (\d+)$/m, 20_000);
    assert.equal(digest, sha256(data));
    assert.equal(Number(count), data.length);
    await conn.close();
    // hotline reads what Python sends.
    const writer = python(TLS_PEER, ["client", port, `source=${8 * 1024 * 1024}`, pki.ca.certPath, "localhost"]);
    const [conn2] = await within(listener.accept(), 10_000, "Python's second handshake");
    const got = await within(readAll(conn2), 20_000, "Python's bytes");
    await conn2.close();
    const [, sent] = await writer.line(/^sent (\w+) \d+$/m, 20_000);
    assert.equal(sha256(got), sent);
    assert.equal((await writer.done()).code, 0);
    assert.equal((await reader.done()).code, 0);
  } finally {
    await listener.close();
  }
});

test("a hotline TLS client against Python's ssl server: verified, 8 MiB each way", async () => {
  const pki = testPki();
  const dial = async (mode: string): Promise<[ssl.SSLSocket, Child]> => {
    const peer = python(TLS_PEER, ["server", 0, mode, pki.server.certPath, pki.server.keyPath]);
    const [, port] = await peer.line(/^ready (\d+)$/m);
    const sock = await clientContext().wrapSocket(socket.socket(), { serverHostname: "localhost" });
    await sock.connect(["127.0.0.1", Number(port)]);
    return [sock, peer];
  };
  const [toPython, sinkPeer] = await dial("sink");
  assert.equal(toPython.getpeercert(true)?.length ? "verified" : "", "verified");
  const data = random(8 * 1024 * 1024);
  await toPython.sendall(data);
  toPython.shutdown(socket.SHUT_WR);
  const [, digest, count] = await sinkPeer.line(/^received (\w+) (\d+)$/m, 20_000);
  assert.equal(digest, sha256(data));
  assert.equal(Number(count), data.length);
  await toPython.close();
  const [fromPython, sourcePeer] = await dial(`source=${8 * 1024 * 1024}`);
  const got = await within(readAll(fromPython), 20_000, "Python's bytes");
  await fromPython.close();
  const [, sent] = await sourcePeer.line(/^sent (\w+) \d+$/m, 20_000);
  assert.equal(sha256(got), sent);
  assert.equal((await sourcePeer.done()).code, 0);
  assert.equal((await sinkPeer.done()).code, 0);
});

test("openssl s_client (verifying with our CA) sends 1 MiB to a hotline TLS server", {
  skip: HAS_OPENSSL ? false : "openssl is not installed",
}, async () => {
  const pki = testPki();
  const [listener, port] = await tlsListener();
  try {
    const data = random(1024 * 1024);
    const client = new Child(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-CAfile",
        pki.ca.certPath,
        "-verify_return_error",
        "-verify_hostname",
        "localhost",
        "-servername",
        "localhost",
        "-quiet",
        "-no_ign_eof",
        "-nocommands", // else a line starting with R or K in the data renegotiates or updates keys
      ],
      { stdin: data },
    );
    const [conn] = await within(listener.accept(), 10_000, "openssl's handshake");
    const got = await within(readAll(conn), 20_000, "openssl's bytes");
    assert.equal(sha256(got), sha256(data));
    await conn.close();
    assert.equal((await client.done()).code, 0);
  } finally {
    await listener.close();
  }
});

test("a hotline TLS client sends 1 MiB to openssl s_server and reads its reply", {
  skip: HAS_OPENSSL ? false : "openssl is not installed",
}, async () => {
  const pki = testPki();
  const port = await unusedPort();
  // Hex text: s_server takes a read from stdin that starts with q, Q, P or S as a command
  // (P even writes plain text onto the TLS socket: "wrong version number" at the client), so
  // the reply holds none of them, and no newline (r, R, k, K, c, B are commands before one).
  const reply = Buffer.from(random(32 * 1024).toString("hex"));
  // Not -quiet, which would hide the ACCEPT line that says it listens: what arrives is
  // then among s_server's own report lines, so it goes between markers, as hex text.
  const server = new Child(
    "openssl",
    [
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      pki.server.certPath,
      "-key",
      pki.server.keyPath,
      "-naccept",
      "1",
    ],
    {},
  );
  // Its stdin stays open: at end of input s_server would close the connection.
  server.proc.stdin?.write(reply);
  await server.line(/^ACCEPT$/m, 10_000);
  const sock = await clientContext().wrapSocket(socket.socket(), { serverHostname: "localhost" });
  await sock.connect(["127.0.0.1", port]);
  assert.equal(sock.getpeercert(true)?.length ? "verified" : "", "verified");
  const data = random(512 * 1024).toString("hex"); // 1 MiB of text
  const reading = (async () => {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < reply.length) {
      const chunk = await sock.recv(65536);
      if (!chunk) break;
      parts.push(chunk);
      have += chunk.length;
    }
    return Buffer.concat(parts);
  })();
  await sock.sendall(Buffer.from(`<<<${data}>>>`));
  assert.equal(sha256(await within(reading, 20_000, "s_server's reply")), sha256(reply));
  sock.shutdown(socket.SHUT_WR);
  const finished = await server.done(20_000);
  server.proc.stdin?.end();
  await sock.close();
  // s_server writes "Read BLOCK\n" on the same stdout when a TLS record came in part (and
  // "Write BLOCK\n" when its socket is full), wherever the data stands: on a loaded machine a
  // record arrives split, so the report lines are taken out of the hex (failed once in CI).
  const out = finished.stdout.toString("latin1").replace(/(Read|Write) BLOCK( \(Async\))?\n/g, "");
  const got = /<<<([0-9a-f]*)>>>/.exec(out)?.[1] ?? "";
  assert.equal(got.length, data.length);
  assert.equal(sha256(Buffer.from(got)), sha256(Buffer.from(data)));
});
