/**
 * hotline/ssl's handshakes against real TLS peers on loopback: every verification failure
 * with Python's codes and the certificate kept for its fingerprint, SNI, ALPN, sessions
 * (never resumed under another name), client certificates, getpeercert's shape, and
 * the handshake timeout.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { createServer as createNetServer, type Socket as NetSocket } from "node:net";
import { test } from "node:test";
import * as tls from "node:tls";
import * as socket from "../../src/index.js";
import * as ssl from "../../src/ssl/index.js";
import { type Pem, testPki } from "../helpers/certs.js";
import { within } from "../helpers/within.js";

/** A client context trusting the test CA only. */
function clientContext(): ssl.SSLContext {
  return ssl.createDefaultContext(ssl.Purpose.SERVER_AUTH, { cafile: testPki().ca.certPath });
}

function serverContext(pem: Pem = testPki().server): ssl.SSLContext {
  const context = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
  context.loadCertChain(pem.certPath, pem.keyPath);
  return context;
}

/** What a server saw of an accepted caller, read before it closed the connection. */
interface Accepted {
  peercert: ReturnType<ssl.SSLSocket["getpeercert"]>;
  alpn: string | null;
  serverSide: boolean;
}

/**
 * A hotline TLS server on 127.0.0.1 that accepts `count` callers, answers each with "hi"
 * and closes; `results` says how each handshake went (what it saw, or the error).
 */
async function hotlineServer(
  context: ssl.SSLContext,
  count = 1,
): Promise<{ port: number; results: Promise<(Accepted | Error)[]>; close: () => Promise<void> }> {
  const listener = await context.wrapSocket(socket.socket(), { serverSide: true });
  await listener.bind(["127.0.0.1", 0]);
  await listener.listen();
  listener.settimeout(10);
  const results = (async () => {
    const out: (Accepted | Error)[] = [];
    for (let i = 0; i < count; i++) {
      try {
        const [conn] = (await listener.accept()) as [ssl.SSLSocket, socket.Address];
        out.push({ peercert: conn.getpeercert(), alpn: conn.selectedAlpnProtocol(), serverSide: conn.serverSide });
        await conn.sendall(Buffer.from("hi"));
        await conn.recv(10); // until the caller closes
        await conn.close();
      } catch (err) {
        out.push(err as Error);
      }
    }
    return out;
  })();
  return { port: listener.getsockname()[1] as number, results, close: () => listener.close() };
}

/** Dials 127.0.0.1:port with `context` checking `host`; resolves to the socket or the error. */
async function dial(
  context: ssl.SSLContext,
  port: number,
  host: string | null,
  session: ssl.SSLSession | null = null,
): Promise<ssl.SSLSocket> {
  const sock = socket.socket();
  sock.settimeout(10);
  const wrapped = await context.wrapSocket(sock, { serverHostname: host, session });
  await wrapped.connect(["127.0.0.1", port]);
  return wrapped;
}

const cases: [string, () => Pem, string, number, string, string][] = [
  [
    "self-signed",
    () => testPki().selfSigned,
    "localhost",
    18,
    "self-signed certificate",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
  ],
  [
    "unknown issuer",
    () => testPki().untrusted,
    "localhost",
    21,
    "unable to verify the first certificate",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  ],
  ["expired", () => testPki().expired, "localhost", 10, "certificate has expired", "CERT_HAS_EXPIRED"],
  [
    "host mismatch",
    () => testPki().wrongName,
    "localhost",
    62,
    "Hostname mismatch, certificate is not valid for 'localhost'.",
    "ERR_TLS_CERT_ALTNAME_INVALID",
  ],
  [
    "IP mismatch",
    () => testPki().wrongName,
    "127.0.0.1",
    64,
    "IP address mismatch, certificate is not valid for '127.0.0.1'.",
    "ERR_TLS_CERT_ALTNAME_INVALID",
  ],
];

for (const [name, pem, host, code, message, nodeCode] of cases) {
  test(`verification fails for a ${name} certificate: Python's code and text, the certificate kept, the connection reset`, async () => {
    const server = await hotlineServer(serverContext(pem()));
    try {
      const err = await dial(clientContext(), server.port, host).then(
        () => assert.fail("the handshake was accepted"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ssl.SSLCertVerificationError, `got ${String(err)}`);
      assert.ok(err instanceof ssl.CertificateError && err instanceof ssl.SSLError && err instanceof socket.OSError);
      assert.equal(err.verifyCode, code);
      assert.equal(err.verifyMessage, message);
      assert.equal(err.nodeCode, nodeCode);
      assert.equal(err.reason, "CERTIFICATE_VERIFY_FAILED");
      assert.equal(err.library, "SSL");
      assert.equal(err.errno, ssl.SSL_ERROR_SSL);
      assert.equal(err.message, `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ${message}`);
      const fingerprint = new X509Certificate(pem().cert).fingerprint256;
      assert.equal(err.peerCertificate?.fingerprint256, fingerprint, "the failing certificate, for its fingerprint");
      // The server never gets an application byte through: its side fails or sees the reset.
      const [outcome] = await within(server.results, 10_000, "the server's side");
      assert.ok(outcome instanceof Error, "the server's accept succeeded and its conversation ran");
    } finally {
      await server.close();
    }
  });
}

test("an IP literal verifies against the certificate's IP entries, ::1 included (Node 22.23's checkServerIdentity refused ::1 written as 0:0:0:0:0:0:0:1)", async () => {
  for (const host of ["127.0.0.1", "::1"]) {
    const server = await hotlineServer(serverContext());
    const sock = await dial(clientContext(), server.port, host);
    assert.equal((await sock.recv(10))?.toString(), "hi", `verified as ${host}`);
    await sock.close();
    await server.results;
    await server.close();
  }
});

test("CERT_NONE connects to any certificate; getpeercert() is {} then, the DER and peerCertificate() are still there", async () => {
  const pki = testPki();
  const server = await hotlineServer(serverContext(pki.selfSigned));
  try {
    const context = new ssl.SSLContext();
    context.checkHostname = false;
    context.verifyMode = ssl.CERT_NONE;
    const sock = await dial(context, server.port, null);
    assert.deepEqual(sock.getpeercert(), {});
    assert.equal(sock.getpeercert(true)?.toString("hex"), new X509Certificate(pki.selfSigned.cert).raw.toString("hex"));
    assert.equal(sock.peerCertificate()?.fingerprint256, new X509Certificate(pki.selfSigned.cert).fingerprint256);
    assert.equal((await within(sock.recv(10), 5000, "hi"))?.toString(), "hi");
    await sock.close();
  } finally {
    await server.close();
  }
});

test("getpeercert() has Python's shape; version(), cipher() and the addresses are there", async () => {
  const pki = testPki();
  const server = await hotlineServer(serverContext());
  try {
    const sock = await dial(clientContext(), server.port, "localhost");
    const cert = sock.getpeercert();
    const x509 = new X509Certificate(pki.server.cert);
    assert.deepEqual(cert, {
      subject: [[["commonName", "localhost"]]],
      issuer: [[["commonName", "hotline test CA"]]],
      version: 3,
      serialNumber: x509.serialNumber.toUpperCase(),
      notBefore: x509.validFrom,
      notAfter: x509.validTo,
      subjectAltName: [
        ["DNS", "localhost"],
        ["IP Address", "127.0.0.1"],
        ["IP Address", "0:0:0:0:0:0:0:1"],
      ],
    });
    assert.match((cert as ssl.PeerCertificate).notAfter, /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$/);
    assert.equal(sock.version(), "TLSv1.3");
    const [name, protocol, bits] = sock.cipher() ?? [];
    assert.match(String(name), /^TLS_/);
    assert.equal(protocol, "TLSv1.3");
    assert.ok(bits === 128 || bits === 256);
    assert.equal(sock.selectedAlpnProtocol(), null);
    assert.equal(sock.serverHostname, "localhost");
    assert.equal(sock.serverSide, false);
    assert.deepEqual(sock.getpeername(), ["127.0.0.1", server.port]);
    const [accepted] = await Promise.all([server.results, sock.close()]);
    const conn = accepted[0] as Accepted;
    assert.equal(conn.serverSide, true);
    assert.equal(conn.peercert, null, "a server that asked for no certificate has none");
  } finally {
    await server.close();
  }
});

test("SNI: the server name is sent for a DNS name and never for an IP literal", async () => {
  const pki = testPki();
  const seen: (string | false)[] = [];
  const server = tls.createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => {
    seen.push((s as tls.TLSSocket & { servername: string | false }).servername);
    s.end("hi");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    for (const host of ["localhost", "127.0.0.1"]) {
      const sock = await dial(clientContext(), port, host);
      assert.equal((await within(sock.recv(10), 5000, "hi"))?.toString(), "hi");
      await sock.close();
    }
    assert.deepEqual(seen, ["localhost", false]);
  } finally {
    server.close();
  }
});

test("ALPN: both sides' choice is selected; with none shared the handshake fails with the alert", async () => {
  const serverCtx = serverContext();
  serverCtx.setAlpnProtocols(["h2", "hotline/1"]);
  const server = await hotlineServer(serverCtx, 2);
  try {
    const client = clientContext();
    client.setAlpnProtocols(["hotline/1", "http/1.1"]);
    const sock = await dial(client, server.port, "localhost");
    assert.equal(sock.selectedAlpnProtocol(), "hotline/1");
    await sock.close();
    const other = clientContext();
    other.setAlpnProtocols(["http/1.1"]);
    const err = await dial(other, server.port, "localhost").then(
      () => assert.fail("connected without a shared protocol"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ssl.SSLError, `got ${String(err)}`);
    assert.equal(err.reason, "TLSV1_ALERT_NO_APPLICATION_PROTOCOL");
    assert.equal(err.nodeCode, "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL");
    assert.match(err.message, /^\[SSL: TLSV1_ALERT_NO_APPLICATION_PROTOCOL\] /);
    const [first, second] = await within(server.results, 10_000, "the server");
    assert.ok(!(first instanceof Error) && first?.alpn === "hotline/1");
    assert.ok(second instanceof ssl.SSLError, `server side: ${String(second)}`);
  } finally {
    await server.close();
  }
});

/** A Node TLS server that records whether each connection resumed a session. */
async function resumingServer(): Promise<{ port: number; resumed: boolean[]; close: () => void }> {
  const pki = testPki();
  const resumed: boolean[] = [];
  const server = tls.createServer({ cert: pki.server.cert, key: pki.server.key }, (s) => {
    resumed.push(s.isSessionReused());
    s.end("hi");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, resumed, close: () => server.close() };
}

/** Connects, reads the server's "hi" (the TLS 1.3 ticket comes with it), returns the session. */
async function sessionFrom(context: ssl.SSLContext, port: number, host: string): Promise<ssl.SSLSession> {
  const sock = await dial(context, port, host);
  await within(sock.recv(10), 5000, "hi");
  await within(sock.recv(10), 5000, "end of stream");
  const session = sock.session;
  await sock.close();
  assert.ok(session, "no session arrived");
  return session;
}

for (const version of [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3]) {
  const label = version === ssl.TLSVersion.TLSv1_2 ? "TLS 1.2" : "TLS 1.3";
  test(`sessions over ${label}: resumed for the same name and context, refused for another name or context`, async () => {
    const server = await resumingServer();
    try {
      const context = clientContext();
      context.maximumVersion = version;
      const session = await sessionFrom(context, server.port, "localhost");
      assert.equal(session.serverHostname, "localhost");
      assert.equal(session.context, context);
      const again = await dial(context, server.port, "localhost", session);
      assert.equal(again.sessionReused, true);
      assert.equal(
        again.getpeercert(true)?.length ? "cert" : "none",
        "cert",
        "a resumed session still shows the certificate",
      );
      assert.equal((again.getpeercert() as ssl.PeerCertificate).subject[0]?.[0]?.[1], "localhost");
      await within(again.recv(10), 5000, "hi");
      await again.close();
      // Node 20 would resume it under another name and call the connection authorised.
      await assert.rejects(
        dial(context, server.port, "127.0.0.1", session),
        (err: Error) => err instanceof ssl.ValueError && /different server name/.test(err.message),
      );
      await assert.rejects(
        dial(clientContext(), server.port, "localhost", session),
        (err: Error) => err instanceof ssl.ValueError && /different SSLContext/.test(err.message),
      );
      assert.deepEqual(server.resumed, [false, true], "only the same-name connection resumed");
    } finally {
      server.close();
    }
  });
}

test("a session saved for one name never lets a certificate for another name through", async () => {
  // A server whose certificate names only wrong.example: a session from a connection that
  // verified "wrong.example" must not carry a connection to "localhost" past the name check.
  const pki = testPki();
  const server = tls.createServer({ cert: pki.wrongName.cert, key: pki.wrongName.key }, (s) => s.end("hi"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const context = clientContext();
    const session = await sessionFrom(context, port, "wrong.example");
    await assert.rejects(dial(context, port, "localhost", session), ssl.ValueError);
    await assert.rejects(dial(context, port, "localhost"), (err: Error) => {
      return err instanceof ssl.SSLCertVerificationError && err.verifyCode === 62;
    });
  } finally {
    server.close();
  }
});

test("a server with CERT_REQUIRED wants a client certificate from its CA; CERT_OPTIONAL takes none", async () => {
  const pki = testPki();
  const required = serverContext();
  required.loadVerifyLocations(pki.ca.certPath);
  required.verifyMode = ssl.CERT_REQUIRED;
  const server = await hotlineServer(required, 3);
  try {
    const withCert = clientContext();
    withCert.loadCertChain(pki.client.certPath, pki.client.keyPath);
    const good = await dial(withCert, server.port, "localhost");
    await within(good.recv(10), 5000, "hi");
    await good.close();
    // Without a certificate (TLS 1.3: the client learns at its first read).
    const bare = await dial(clientContext(), server.port, "localhost")
      .then(async (sock) => {
        try {
          return await sock.recv(10);
        } finally {
          await sock.close();
        }
      })
      .catch((err: unknown) => err);
    assert.ok(bare instanceof ssl.SSLError, `a client without a certificate got ${String(bare)}`);
    const foreign = clientContext();
    foreign.loadCertChain(pki.untrusted.certPath, pki.untrusted.keyPath);
    await dial(foreign, server.port, "localhost")
      .then((sock) => sock.recv(10).finally(() => sock.close()))
      .catch(() => null);
    const [first, second, third] = await within(server.results, 10_000, "the server");
    assert.ok(first && !(first instanceof Error), `good client: ${String(first)}`);
    assert.deepEqual((first.peercert as ssl.PeerCertificate).subject, [[["commonName", "hotline test client"]]]);
    assert.ok(second instanceof ssl.SSLError, `no certificate: ${String(second)}`);
    assert.ok(
      third instanceof ssl.SSLCertVerificationError && third.verifyCode === 21,
      `a certificate from another CA: ${String(third)}`,
    );
  } finally {
    await server.close();
  }
  const optional = serverContext();
  optional.loadVerifyLocations(pki.ca.certPath);
  optional.verifyMode = ssl.CERT_OPTIONAL;
  const lenient = await hotlineServer(optional);
  try {
    const sock = await dial(clientContext(), lenient.port, "localhost");
    await within(sock.recv(10), 5000, "hi");
    await sock.close();
    const [only] = await within(lenient.results, 10_000, "the lenient server");
    assert.ok(only && !(only instanceof Error) && only.peercert === null);
  } finally {
    await lenient.close();
  }
});

test("a handshake with a peer that accepts and never speaks times out with Python's message and resets", async () => {
  const held: NetSocket[] = [];
  const closedByPeer: Promise<string>[] = [];
  const silent = createNetServer((s) => {
    held.push(s);
    closedByPeer.push(
      new Promise((resolve) => {
        s.on("error", (err: NodeJS.ErrnoException) => resolve(String(err.code)));
        s.on("end", () => resolve("end"));
      }),
    );
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  try {
    const sock = socket.socket();
    sock.settimeout(0.3);
    const wrapped = await clientContext().wrapSocket(sock, { serverHostname: "localhost" });
    const started = performance.now();
    const err = await wrapped.connect(["127.0.0.1", (silent.address() as { port: number }).port]).then(
      () => assert.fail("connected"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof socket.TimeoutError, `got ${String(err)}`);
    assert.equal(err.message, "The handshake operation timed out");
    assert.ok(performance.now() - started < 5000);
    assert.equal(await within(closedByPeer[0] as Promise<string>, 5000, "the peer to see the end"), "ECONNRESET");
    await wrapped.close();
  } finally {
    for (const s of held) s.destroy();
    silent.close();
  }
});

test("a server's accept() bounds the handshake of a caller that never speaks by the listener's timeout", async () => {
  const listener = await serverContext().wrapSocket(socket.socket(), { serverSide: true });
  await listener.bind(["127.0.0.1", 0]);
  await listener.listen();
  listener.settimeout(0.3);
  const mute = socket.socket();
  await mute.connect(listener.getsockname());
  await assert.rejects(
    listener.accept(),
    (err: Error) => err instanceof socket.TimeoutError && /handshake/.test(err.message),
  );
  // A plain-TCP client that speaks something else gets a clean TLS error, not a hang.
  const plain = socket.socket();
  await plain.connect(listener.getsockname());
  await plain.sendall(Buffer.from("GET / HTTP/1.0\r\n\r\n"));
  await assert.rejects(listener.accept(), ssl.SSLError);
  await Promise.all([mute.close(), plain.close(), listener.close()]);
});

test("a caller that half-closes mid-handshake fails accept() with SSLEOFError at once, even with no timeout", async () => {
  const listener = await serverContext().wrapSocket(socket.socket(), { serverSide: true });
  await listener.bind(["127.0.0.1", 0]);
  await listener.listen();
  for (const hello of [Buffer.alloc(0), Buffer.from([0x16, 0x03, 0x01, 0x00, 0xc8, 0x01])]) {
    const caller = socket.socket();
    await caller.connect(listener.getsockname());
    if (hello.length > 0) await caller.sendall(hello); // a ClientHello cut short
    caller.shutdown(socket.SHUT_WR);
    const err = await within(listener.accept(), 5000, "accept to fail").then(
      () => assert.fail("accepted"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ssl.SSLEOFError, `got ${String(err)}`);
    assert.equal(err.errno, ssl.SSL_ERROR_EOF);
    await caller.close();
  }
  await listener.close();
});

test("doHandshakeOnConnect false: accept() returns at once, doHandshake() finishes it", async () => {
  const listener = await serverContext().wrapSocket(socket.socket(), {
    serverSide: true,
    doHandshakeOnConnect: false,
  });
  await listener.bind(["127.0.0.1", 0]);
  await listener.listen();
  const dialing = dial(clientContext(), listener.getsockname()[1] as number, "localhost");
  const [conn] = (await within(listener.accept(), 5000, "accept")) as [ssl.SSLSocket, socket.Address];
  assert.throws(() => conn.getpeercert(), ssl.ValueError, "no handshake yet");
  await within(conn.doHandshake(), 5000, "the handshake");
  const client = await dialing;
  await conn.sendall(Buffer.from("hello"));
  assert.equal((await within(client.recv(10), 5000, "hello"))?.toString(), "hello");
  await Promise.all([client.close(), conn.close(), listener.close()]);
});
