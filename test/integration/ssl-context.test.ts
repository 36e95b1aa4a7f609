/**
 * hotline/ssl's SSLContext: Python's defaults and rules, and every bad input failing where
 * it is loaded (never at the first connection), with an error that says what is wrong.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as socket from "../../src/index.js";
import * as ssl from "../../src/ssl/index.js";
import { testPki } from "../helpers/certs.js";
import { tempDir } from "../helpers/transports.js";

test("a client context verifies and checks names; a server context does neither (Python's defaults)", () => {
  const client = new ssl.SSLContext();
  assert.equal(client.protocol, ssl.PROTOCOL_TLS_CLIENT);
  assert.equal(client.verifyMode, ssl.CERT_REQUIRED);
  assert.equal(client.checkHostname, true);
  const server = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
  assert.equal(server.verifyMode, ssl.CERT_NONE);
  assert.equal(server.checkHostname, false);
  const byDefault = ssl.createDefaultContext();
  assert.equal(byDefault.minimumVersion, ssl.TLSVersion.TLSv1_2);
  assert.equal(byDefault.verifyMode, ssl.CERT_REQUIRED);
  const forClients = ssl.createDefaultContext(ssl.Purpose.CLIENT_AUTH);
  assert.equal(forClients.protocol, ssl.PROTOCOL_TLS_SERVER);
  assert.throws(() => new ssl.SSLContext(3 as ssl.Protocol), ssl.ValueError);
});

test("verifyMode CERT_NONE is refused while checkHostname is on; checkHostname on raises CERT_NONE to CERT_REQUIRED", () => {
  const context = new ssl.SSLContext();
  assert.throws(
    () => {
      context.verifyMode = ssl.CERT_NONE;
    },
    (err: Error) => err instanceof ssl.ValueError && /check_hostname/.test(err.message),
  );
  context.checkHostname = false;
  context.verifyMode = ssl.CERT_NONE;
  assert.equal(context.verifyMode, ssl.CERT_NONE);
  context.checkHostname = true; // as Python 3.7+: verification comes back with it
  assert.equal(context.verifyMode, ssl.CERT_REQUIRED);
  assert.throws(() => {
    context.verifyMode = 7 as ssl.VerifyMode;
  }, ssl.ValueError);
  assert.throws(() => {
    context.minimumVersion = 0x0300 as ssl.TLSVersion;
  }, ssl.ValueError);
});

test("loadCertChain: a missing file is FileNotFoundError naming it", () => {
  const context = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
  const missing = join(tempDir(), "nope.pem");
  assert.throws(
    () => context.loadCertChain(missing),
    (err: Error) => err instanceof socket.FileNotFoundError && err.message.includes(missing),
  );
});

test("loadCertChain: garbage PEM, a key that is not the certificate's, and a wrong passphrase fail at load time", () => {
  const pki = testPki();
  const dir = tempDir();
  const garbage = join(dir, "garbage.pem");
  writeFileSync(garbage, "this is not PEM\n");
  const context = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
  assert.throws(
    () => context.loadCertChain(garbage, pki.server.keyPath),
    (err: ssl.SSLError) =>
      err instanceof ssl.SSLError && err.reason === "NO_START_LINE" && err.message.includes(garbage),
  );
  assert.throws(
    () => context.loadCertChain(pki.server.certPath, garbage),
    (err: ssl.SSLError) => err instanceof ssl.SSLError && err.message.includes(garbage),
  );
  assert.throws(
    () => context.loadCertChain(pki.server.certPath, pki.client.keyPath),
    (err: ssl.SSLError) =>
      err instanceof ssl.SSLError && err.reason === "KEY_VALUES_MISMATCH" && /does not belong/.test(err.message),
  );
  const encrypted = join(dir, "encrypted.key");
  writeFileSync(
    encrypted,
    createPrivateKey(pki.server.key).export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: "right",
    }) as string,
  );
  assert.throws(
    () => context.loadCertChain(pki.server.certPath, encrypted, "wrong"),
    (err: ssl.SSLError) =>
      err instanceof ssl.SSLError && err.reason === "BAD_DECRYPT" && /wrong password/.test(err.message),
  );
  assert.throws(
    () => context.loadCertChain(pki.server.certPath, encrypted),
    (err: ssl.SSLError) => err instanceof ssl.SSLError && /no password was given/.test(err.message),
  );
  context.loadCertChain(pki.server.certPath, encrypted, () => "right");
  context.loadCertChain(pki.combinedPath); // one PEM holding both
  context.loadCertChainData(pki.server.cert, pki.server.key);
});

test("loadVerifyLocations: a file without certificates, garbage cadata and nothing at all are refused", () => {
  const pki = testPki();
  const context = new ssl.SSLContext();
  assert.throws(
    () => context.loadVerifyLocations({ cafile: pki.server.keyPath }),
    (err: ssl.SSLError) => err instanceof ssl.SSLError && err.reason === "NO_CERTIFICATE_OR_CRL_FOUND",
  );
  assert.throws(() => context.loadVerifyLocations({ cadata: new Uint8Array([1, 2, 3]) }), ssl.SSLError);
  assert.throws(() => context.loadVerifyLocations({}), TypeError);
  assert.throws(() => context.loadVerifyLocations(join(tempDir(), "none.pem")), socket.FileNotFoundError);
  context.loadVerifyLocations(pki.ca.certPath);
  context.loadVerifyLocations({ cadata: pki.otherCa.cert });
  context.loadVerifyLocations({ capath: pki.dir });
});

test("setCiphers refuses a list with no usable cipher; setAlpnProtocols refuses empty and long names", () => {
  const context = new ssl.SSLContext();
  assert.throws(
    () => context.setCiphers("NO-SUCH-CIPHER"),
    (err: Error) => err instanceof ssl.SSLError && err.message === "No cipher can be selected.",
  );
  context.setCiphers("ECDHE+AESGCM");
  assert.throws(() => context.setAlpnProtocols([""]), ssl.SSLError);
  assert.throws(() => context.setAlpnProtocols(["x".repeat(256)]), ssl.SSLError);
  context.setAlpnProtocols(["h2", "http/1.1"]);
});

test("wrapSocket's argument rules are Python's", async () => {
  const client = new ssl.SSLContext();
  const server = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
  await assert.rejects(client.wrapSocket(socket.socket()), /check_hostname requires server_hostname/);
  await assert.rejects(client.wrapSocket(socket.socket(), { serverSide: true }), ssl.ValueError);
  await assert.rejects(server.wrapSocket(socket.socket()), ssl.ValueError);
  await assert.rejects(
    server.wrapSocket(socket.socket(), { serverSide: true, serverHostname: "localhost" }),
    ssl.ValueError,
  );
  await assert.rejects(client.wrapSocket(socket.socket(), { serverHostname: "" }), ssl.ValueError);
  await assert.rejects(client.wrapSocket(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), { serverHostname: "x" }), {
    code: "EOPNOTSUPP",
  });
  assert.throws(
    () => new (ssl.SSLSocket as unknown as new (...args: unknown[]) => unknown)(Symbol("x")),
    /public constructor/,
  );
});

test("the wrapped socket is detached: using it afterwards fails as a closed socket", async () => {
  const context = new ssl.SSLContext();
  const plain = socket.socket();
  plain.settimeout(4);
  const wrapped = await context.wrapSocket(plain, { serverHostname: "localhost" });
  assert.equal(wrapped.gettimeout(), 4, "the timeout moves with the socket");
  assert.throws(() => plain.getsockname(), { code: "EBADF" });
  await assert.rejects(plain.connect(["127.0.0.1", 9]), { code: "EBADF" });
  await plain.close(); // idempotent, never rejects
  await wrapped.close();
});
