/**
 * --ssl with the real binary: verified by default, pinned, insecure with a warning; the
 * throwaway listener certificate; a listener that no silent or plaintext caller can
 * block; bad certificate input as exit 2; byte-exact data both ways; and the real peers
 * (ncat, openssl, Python's ssl) in both roles.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { testPki } from "../helpers/certs.js";
import { Child } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { bash, has, HL as hl, hotline, listening, shellQuote as q } from "../helpers/hotline.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const PIN = /--ssl-pin (sha256:[0-9a-f]{64})/;

/** A hotline TLS listener with the test PKI's server certificate (or none: a throwaway one). */
function tlsListener(extra: readonly string[] = []): Child {
  const pki = testPki();
  const cert = ["--ssl-cert", pki.server.certPath, "--ssl-key", pki.server.keyPath];
  // Its stdin ends at once: a one-call listener then hangs up after its caller's end.
  return hotline(["-l", "127.0.0.1", "0", ...cert, ...extra], { lifetimeMs: 20_000, stdin: "" });
}

/** A Python program given as text, unbuffered. */
function pythonCode(code: string, lifetimeMs = 20_000): Child {
  return new Child("python3", ["-u", "-c", code], { lifetimeMs });
}

/** How a child ended, stdout as text. */
async function exitOf(child: Child, ms = 15_000): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const done = await child.done(ms);
  return { code: done.code, stderr: done.stderr, stdout: done.stdout.toString("utf8") };
}

describe("TLS: verification by default", () => {
  test("a throwaway listener certificate is refused, with the pin to use; the pin then works", async () => {
    const server = hotline(["-lk", "127.0.0.1", "0", "--ssl"], { lifetimeMs: 20_000 });
    const [, printed] = await server.line(/TLS certificate made for this run \(.*\): (sha256:[0-9a-f]{64})/);
    const port = await listening(server);
    const refused = await exitOf(hotline(["--ssl", "127.0.0.1", port], { stdin: "never sent\n" }));
    assert.equal(refused.code, 1, refused.stderr);
    const lines = refused.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line: ${refused.stderr}`);
    assert.match(refused.stderr, /certificate verify failed: self-signed certificate/);
    assert.equal(PIN.exec(refused.stderr)?.[1], printed, "the pin offered is the listener's fingerprint");
    assert.doesNotMatch(server.stdout, /never sent/, "nothing crossed before verification");

    const pinned = await exitOf(hotline(["--ssl-pin", printed as string, "127.0.0.1", port], { stdin: "hello\n" }));
    assert.equal(pinned.code, 0, pinned.stderr);
    await server.line(/hello/);
    server.kill();
    await server.done();
  });

  test("a CA-issued certificate verifies by name, by IP, and over IPv6; a wrong name fails", async () => {
    const pki = testPki();
    const server = hotline(["-lk", "0", "--ssl-cert", pki.server.certPath, "--ssl-key", pki.server.keyPath], {
      lifetimeMs: 20_000,
    });
    const port = await listening(server);
    for (const host of ["localhost", "127.0.0.1", "::1"]) {
      const ok = await exitOf(
        hotline(["-v", "--ssl-trustfile", pki.ca.certPath, host, port], { stdin: `via ${host}\n` }),
      );
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /TLS TLSv1\.3 \S+, verified for /);
    }
    const wrong = await exitOf(
      hotline(["--ssl-trustfile", pki.ca.certPath, "--ssl-servername", "other.example", "127.0.0.1", port]),
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Hostname mismatch/);
    assert.match(wrong.stderr, PIN);
    const untrusted = await exitOf(hotline(["--ssl", "localhost", port]));
    assert.equal(untrusted.code, 1, "the test CA is not in the system's trust");
    assert.match(untrusted.stderr, /certificate verify failed/);
    for (const host of ["localhost", "127.0.0.1", "::1"]) await server.line(new RegExp(`via ${host}`));
    server.kill();
    await server.done();
  });

  test("an expired certificate is refused with its reason", async () => {
    const pki = testPki();
    const server = hotline([
      "-l",
      "127.0.0.1",
      "0",
      "--ssl-cert",
      pki.expired.certPath,
      "--ssl-key",
      pki.expired.keyPath,
    ]);
    const port = await listening(server);
    const r = await exitOf(hotline(["--ssl-trustfile", pki.ca.certPath, "localhost", port]));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /certificate has expired/);
    server.kill();
    await server.done();
  });

  test("a wrong pin is refused; --insecure connects and warns with the fingerprint", async () => {
    const pki = testPki();
    const server = tlsListener(["-k"]);
    const port = await listening(server);
    const wrong = await exitOf(hotline(["--ssl-pin", `sha256:${"00".repeat(32)}`, "127.0.0.1", port]));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /not the pinned one: the server shows sha256:[0-9a-f]{64}/);
    const colons = pki.server.sha256.toUpperCase().replace(/(..)(?=.)/g, "$1:");
    const pinned = await exitOf(hotline(["--ssl-pin", `sha256:${colons}`, "127.0.0.1", port], { stdin: "x\n" }));
    assert.equal(pinned.code, 0, `the pin may be written as openssl prints it: ${pinned.stderr}`);
    const insecure = await exitOf(hotline(["--insecure", "127.0.0.1", port], { stdin: "y\n" }));
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.match(insecure.stderr, new RegExp(`warning: --insecure: .* sha256:${pki.server.sha256}`));
    server.kill();
    await server.done();
  });
});

describe("TLS: data", () => {
  test("8 MiB each way at once, SHA-256 equal; half-close carries the reply after EOF", async () => {
    const pki = testPki();
    const dir = tempDir();
    const a = random(8 * 1024 * 1024);
    const b = random(8 * 1024 * 1024);
    writeFileSync(join(dir, "a"), a);
    writeFileSync(join(dir, "b"), b);
    const f = (name: string): string => q(join(dir, name));
    const server = bash(`${hl} -l 127.0.0.1 0 --ssl-cert ${q(pki.combinedPath)} < ${f("a")} > ${f("a-got")}`, {
      lifetimeMs: 60_000,
    });
    const port = await listening(server);
    const client = bash(`${hl} --ssl-trustfile ${q(pki.ca.certPath)} localhost ${port} < ${f("b")} > ${f("b-got")}`, {
      lifetimeMs: 60_000,
    });
    const [s, c] = await Promise.all([server.done(60_000), client.done(60_000)]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(sha256(readFileSync(join(dir, "a-got"))), sha256(b));
    assert.equal(sha256(readFileSync(join(dir, "b-got"))), sha256(a));
  });

  test("the listener's reply after the caller's EOF arrives (sort-like peer, TLS 1.2 and 1.3)", async () => {
    const pki = testPki();
    for (const max of ["1.2", "1.3"]) {
      // A Python TLS server that answers only after the client's end of stream.
      const peer = pythonCode(
        `
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(${JSON.stringify(pki.server.certPath)}, ${JSON.stringify(pki.server.keyPath)})
ctx.maximum_version = ssl.TLSVersion.TLSv1_${max.slice(2)}
srv = socket.create_server(("127.0.0.1", 0))
srv.settimeout(15)
print("port", srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
s = ctx.wrap_socket(conn, server_side=True)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
s.sendall(b"".join(sorted(data.splitlines(keepends=True))))
s.shutdown(socket.SHUT_WR)
s.close()
`,
      );
      const [, port] = await peer.line(/port (\d+)/);
      const r = await exitOf(
        hotline(["--ssl-trustfile", pki.ca.certPath, "localhost", port as string], { stdin: "c\na\nb\n" }),
      );
      assert.equal(r.code, 0, `TLS 1.${max}: ${r.stderr}`);
      assert.equal(r.stdout, "a\nb\nc\n", `TLS ${max}: the answer after EOF`);
      await peer.done();
    }
  });

  test("-x shows the plaintext, -v the byte counts", async () => {
    const dir = tempDir();
    const server = tlsListener();
    const port = await listening(server);
    const pki = testPki();
    const r = await exitOf(
      hotline(["-v", "-x", join(dir, "dump"), "--ssl-trustfile", pki.ca.certPath, "localhost", port], {
        stdin: "secret words\n",
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(dir, "dump"), "utf8"), /secret words/);
    assert.match(r.stderr, /13 bytes sent, 0 bytes received/);
    server.kill();
    await server.done();
  });

  test("a Unix socket over TLS, checked against --ssl-servername", async () => {
    const pki = testPki();
    const path = join(tempDir(), "tls.sock");
    const server = hotline(["-lU", path, "--ssl-cert", pki.server.certPath, "--ssl-key", pki.server.keyPath], {
      stdin: "",
    });
    await listening(server);
    const r = await exitOf(
      hotline(["-U", path, "--ssl-trustfile", pki.ca.certPath, "--ssl-servername", "localhost"], { stdin: "unix\n" }),
    );
    assert.equal(r.code, 0, r.stderr);
    const s = await exitOf(server);
    assert.equal(s.stdout, "unix\n");
  });
});

describe("TLS through a proxy", () => {
  test("the target is verified by its own name through hotline's HTTP proxy, never the proxy's", async () => {
    const pki = testPki();
    const target = tlsListener(["-k"]);
    const port = await listening(target);
    const proxy = hotline(["-l", "127.0.0.1", "0", "--proxy-type", "http"], { lifetimeMs: 20_000 });
    const proxyPort = await listening(proxy);
    const via = ["--proxy", `127.0.0.1:${proxyPort}`, "--ssl-trustfile", pki.ca.certPath];
    const ok = await exitOf(hotline(["-v", ...via, "127.0.0.1", port], { stdin: "through the tunnel\n" }));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /verified for 127\.0\.0\.1/);
    await target.line(/through the tunnel/);
    const wrong = await exitOf(hotline([...via, "--ssl-servername", "proxy.example", "127.0.0.1", port]));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Hostname mismatch/);
    target.kill();
    proxy.kill();
    await Promise.all([target.done(), proxy.done()]);
  });
});

describe("TLS with the other topologies", () => {
  test("a chat room over TLS: each caller verifies the listener, lines carry their sender's name", async () => {
    const pki = testPki();
    const cert = ["--ssl-cert", pki.server.certPath, "--ssl-key", pki.server.keyPath];
    const room = hotline(["-l", "127.0.0.1", "0", "--chat", ...cert], { lifetimeMs: 20_000 });
    const port = await listening(room);
    const dial = ["--ssl-trustfile", pki.ca.certPath, "localhost", port];
    const a = hotline(dial, { lifetimeMs: 20_000 });
    await room.line(/is connected as <user1>/);
    const b = hotline(dial, { lifetimeMs: 20_000 });
    await a.line(/is connected as <user2>/);
    a.proc.stdin?.write("hello over TLS\n");
    await b.line(/<user1> hello over TLS/);
    await room.line(/<user1> hello over TLS/);
    for (const child of [a, b, room]) child.kill();
    await Promise.all([a.done(), b.done(), room.done()]);
  });

  test("-e cat over TLS: the child answers through the secure line, byte for byte", async () => {
    const pki = testPki();
    const data = random(2 * 1024 * 1024);
    const server = hotline(
      ["-l", "127.0.0.1", "0", "--ssl-cert", pki.server.certPath, "--ssl-key", pki.server.keyPath, "-e", "cat"],
      { lifetimeMs: 30_000 },
    );
    const port = await listening(server);
    const client = hotline(["--ssl-trustfile", pki.ca.certPath, "localhost", port], {
      stdin: data,
      lifetimeMs: 30_000,
    });
    const [c, srv] = await Promise.all([client.done(30_000), server.done(30_000)]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(srv.code, 0, srv.stderr);
    assert.equal(sha256(c.stdout), sha256(data));
  });

  test("--max-conns over TLS: the caller past the limit is refused, the first keeps talking", async () => {
    const pki = testPki();
    const server = tlsListener(["-k", "-v", "--max-conns", "1"]);
    const port = await listening(server);
    const dial = ["--ssl-trustfile", pki.ca.certPath, "localhost", port];
    const first = hotline(dial, { lifetimeMs: 20_000 });
    await server.line(/call from 127\.0\.0\.1:\d+/);
    // Refused after its handshake (the count is the topology's): the reset reaches a TLS 1.3
    // client as the end of the call, so only "not served" is asserted, not its exit code.
    await exitOf(hotline(dial, { stdin: "too many\n" }));
    await server.line(/refused 127\.0\.0\.1:\d+: --max-conns 1 reached/);
    first.proc.stdin?.write("still here\n");
    await server.line(/still here/);
    assert.doesNotMatch(server.stdout, /too many/);
    first.kill();
    server.kill();
    await Promise.all([first.done(), server.done()]);
  });

  test("a denied caller gets no TLS handshake: not one byte of a ServerHello", async () => {
    const server = tlsListener(["-k", "-v", "--deny", "127.0.0.1"]);
    const port = Number(await listening(server));
    const caller = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
    caller.settimeout(5);
    // The reset can come before connect() returns, or before any of the hello is sent: each
    // is "nothing received". A real ClientHello would do; any bytes show nothing answers them.
    const got = await (async () => {
      await caller.connect(["127.0.0.1", port]);
      await caller.sendall(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 0, 0, 1, 0]));
      return await caller.recv(4096);
    })().catch((err: unknown) => {
      if (err instanceof socket.ConnectionResetError || err instanceof socket.BrokenPipeError) return null;
      throw err;
    });
    assert.equal(got, null, "reset or closed, with nothing sent");
    await server.line(/denied 127\.0\.0\.1:\d+/);
    assert.doesNotMatch(server.stderr, /TLS handshake/);
    await caller.close();
    server.kill();
    await server.done();
  });
});

describe("TLS: the listener is never blocked", () => {
  test("a silent caller and a plaintext caller do not stop a TLS caller being served (-k)", async () => {
    const pki = testPki();
    const server = tlsListener(["-k"]);
    const port = Number(await listening(server));
    const silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
    await silent.connect(["127.0.0.1", port]);
    const plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
    await plain.connect(["127.0.0.1", port]);
    await plain.sendall(Buffer.from("GET / HTTP/1.0\r\n\r\n"));
    // Refused at once (well within the 10 s handshake timeout: nobody waited for the silent
    // caller): an end or a reset, never a plaintext answer and never a timeout.
    plain.settimeout(5);
    const answer = await plain.recv(4096).catch((err: unknown) => {
      if (err instanceof socket.ConnectionResetError) return null;
      throw err;
    });
    assert.ok(answer === null || !answer.toString("latin1").includes("GET"), "no plaintext echo or fallback");
    const [, plainPort] = plain.getsockname() as [string, number];
    await server.line(new RegExp(`TLS handshake with 127\\.0\\.0\\.1:${plainPort} failed`), 5000);
    const r = await exitOf(
      hotline(["--ssl-trustfile", pki.ca.certPath, "localhost", String(port)], { stdin: "served\n" }),
      5000,
    );
    assert.equal(r.code, 0, r.stderr);
    await silent.close();
    await plain.close();
    await server.line(/served/);
    server.kill();
    await server.done();
  });

  test("a one-call listener ends with its call, not 10 s later: a silent caller's handshake is ended with it (it waited out the handshake timeout)", async () => {
    const pki = testPki();
    const server = tlsListener();
    const port = Number(await listening(server));
    const silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
    await silent.connect(["127.0.0.1", port]);
    const r = await exitOf(
      hotline(["--ssl-trustfile", pki.ca.certPath, "localhost", String(port)], { stdin: "the one call\n" }),
    );
    assert.equal(r.code, 0, r.stderr);
    const done = await exitOf(server, 5000); // well within the 10 s handshake timeout
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "the one call\n");
    await silent.close();
  });

  test("a caller that never handshakes is cut after the handshake timeout", { timeout: 30_000 }, async () => {
    const server = tlsListener(["-k"]);
    const port = Number(await listening(server));
    const silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
    await silent.connect(["127.0.0.1", port]);
    silent.settimeout(20);
    const end = await within(
      silent.recv(10).catch(() => null),
      20_000,
      "the silent caller to be cut",
    );
    assert.equal(end, null);
    await server.line(/TLS handshake with 127\.0\.0\.1:\d+ failed: .*timed out/);
    await silent.close();
    server.kill();
    await server.done();
  });

  test("a client certificate is required with --ssl-trustfile on the listener; the refused client exits (on Node 24 it spun at 100% CPU: a reset asked while its FIN was queued)", async () => {
    const pki = testPki();
    const server = tlsListener(["-k", "--ssl-trustfile", pki.ca.certPath]);
    const port = await listening(server);
    const without = await exitOf(hotline(["--ssl-trustfile", pki.ca.certPath, "localhost", port], { stdin: "no\n" }));
    assert.equal(without.code, 1, "no certificate, no call");
    assert.match(without.stderr, /the server wants a client certificate/);
    const withCert = await exitOf(
      hotline(
        [
          "--ssl-trustfile",
          pki.ca.certPath,
          "--ssl-cert",
          pki.client.certPath,
          "--ssl-key",
          pki.client.keyPath,
          "localhost",
          port,
        ],
        { stdin: "with a certificate\n" },
      ),
    );
    assert.equal(withCert.code, 0, withCert.stderr);
    await server.line(/with a certificate/);
    server.kill();
    await server.done();
    assert.doesNotMatch(server.stdout, /^no$/m);
  });
});

describe("TLS: bad input is exit 2 with one line", () => {
  const pki = testPki();
  const dir = tempDir();
  writeFileSync(
    join(dir, "garbage.pem"),
    "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",
  );
  // An encrypted key: hotline has no passphrase option (nor has ncat), so it is refused at once.
  const encrypted = createPrivateKey(pki.server.key).export({
    format: "pem",
    type: "pkcs8",
    cipher: "aes-256-cbc",
    passphrase: "secret",
  });
  writeFileSync(join(dir, "encrypted.key"), encrypted);
  const cases: [string, string[], RegExp][] = [
    ["a missing certificate file", ["-l", "0", "--ssl-cert", join(dir, "nope.pem")], /--ssl-cert .*nope\.pem: /],
    ["garbage PEM", ["-l", "0", "--ssl-cert", join(dir, "garbage.pem")], /--ssl-cert .*garbage\.pem: /],
    [
      "an encrypted key",
      ["-l", "0", "--ssl-cert", pki.server.certPath, "--ssl-key", join(dir, "encrypted.key")],
      /--ssl-cert .*: the key in .*encrypted\.key is encrypted/,
    ],
    [
      "a key that does not match",
      ["-l", "0", "--ssl-cert", pki.server.certPath, "--ssl-key", pki.client.keyPath],
      /--ssl-cert .*: /,
    ],
    ["a missing trust file", ["--ssl-trustfile", join(dir, "nope.pem"), "localhost", "9"], /--ssl-trustfile .*: /],
    ["TLS over UDP", ["-u", "--ssl", "localhost", "9"], /TLS over UDP \(DTLS\) is not offered/],
    ["--ssl-key alone", ["--ssl-key", pki.server.keyPath, "localhost", "9"], /--ssl-key needs --ssl-cert/],
    ["a malformed pin", ["--ssl-pin", "sha256:zz", "localhost", "9"], /invalid --ssl-pin/],
    [
      "a pin and --insecure",
      ["--ssl-pin", `sha256:${"ab".repeat(32)}`, "--insecure", "localhost", "9"],
      /cannot be combined/,
    ],
    ["a pin on a listener", ["-l", "0", "--ssl-pin", `sha256:${"ab".repeat(32)}`], /does not apply to listening/],
    ["TLS on the HTTP proxy server", ["-l", "0", "--proxy-type", "http", "--ssl"], /does not apply to the HTTP proxy/],
    ["TLS to a Unix socket with no name", ["-U", "/tmp/x.sock", "--ssl"], /--ssl-servername/],
  ];
  for (const [what, args, message] of cases) {
    test(what, async () => {
      const r = await exitOf(hotline(args));
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      // One line, and for a usage error the hint to --help after it; never a stack trace.
      assert.match(r.stderr, /^hotline: [^\n]+\n(Try 'hotline --help' for more\.\n)?$/);
    });
  }
});

describe("TLS: real peers", () => {
  test("ncat -l --ssl answers hotline --ssl-pin (the pin taken from the refusal)", async (t) => {
    if (!has("ncat")) return t.skip("ncat is not installed");
    const port = await freePort();
    const ncat = bash(`exec ncat -v -lk --ssl 127.0.0.1 ${port}`, { lifetimeMs: 20_000 });
    await ncat.line(/Listening on /);
    const first = await exitOf(hotline(["--ssl", "127.0.0.1", String(port)]));
    assert.equal(first.code, 1);
    const pin = PIN.exec(first.stderr)?.[1];
    assert.ok(pin, first.stderr);
    const r = await exitOf(hotline(["--ssl-pin", pin, "127.0.0.1", String(port)], { stdin: "to ncat\n" }));
    assert.equal(r.code, 0, r.stderr);
    await ncat.line(/to ncat/);
    ncat.kill();
    await ncat.done();
  });

  test("ncat --ssl and openssl s_client dial a hotline TLS listener", async (t) => {
    if (!has("ncat") || !has("openssl")) return t.skip("ncat or openssl is not installed");
    const server = hotline(["-lk", "127.0.0.1", "0", "--ssl"], { lifetimeMs: 20_000 });
    const port = await listening(server);
    const n = await exitOf(bash(`printf 'from ncat\\n' | ncat --send-only --ssl 127.0.0.1 ${port}`));
    assert.equal(n.code, 0, n.stderr);
    const o = await exitOf(
      bash(`printf 'from openssl\\n' | openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:${port} 2>/dev/null`),
    );
    assert.equal(o.code, 0, o.stderr);
    await server.line(/from ncat/);
    await server.line(/from openssl/);
    server.kill();
    await server.done();
  });

  test("Python's ssl with the test CA dials hotline; hotline offers ALPN to openssl s_server", async (t) => {
    const pki = testPki();
    const server = tlsListener();
    const port = await listening(server);
    const py = await exitOf(
      pythonCode(
        `
import socket, ssl
ctx = ssl.create_default_context(cafile=${JSON.stringify(pki.ca.certPath)})
with socket.create_connection(("localhost", ${port}), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"from python\\n")
        print(s.version(), flush=True)
`,
      ),
    );
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /TLSv1\.3/);
    const s = await exitOf(server);
    assert.equal(s.stdout, "from python\n");

    if (!has("openssl")) return t.skip("openssl is not installed");
    const port2 = await freePort();
    const ossl = bash(
      `exec openssl s_server -quiet -accept 127.0.0.1:${port2} -cert ${q(pki.server.certPath)} -key ${q(pki.server.keyPath)} -alpn h2`,
      { lifetimeMs: 20_000 },
    );
    await waitForPort(port2);
    const r = await exitOf(
      hotline(["-v", "--ssl-alpn", "h2,http/1.1", "--ssl-trustfile", pki.ca.certPath, "localhost", String(port2)], {
        stdin: "alpn\n",
      }),
    );
    assert.match(r.stderr, /ALPN h2/);
    ossl.kill();
    await ossl.done();
  });
});

/** A port nobody listens on now (for peers that cannot bind port 0 and say which). */
async function freePort(): Promise<number> {
  const s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  await s.bind(["127.0.0.1", 0]);
  const [, port] = s.getsockname() as [string, number];
  await s.close();
  return port;
}

/** Waits until something accepts on the port (a peer that prints no readiness line). */
async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
    const code = await s.connectEx(["127.0.0.1", port]);
    await s.close();
    if (code === 0) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on ${port} within 10 s`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
