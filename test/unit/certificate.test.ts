/**
 * The certificate maker: its DER, what OpenSSL, Node and Python make of what it writes, and
 * real TLS handshakes on loopback with the test PKI built on it.
 */
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as tls from "node:tls";
import { generateCertificate } from "../../src/ssl/certificate.js";
import * as der from "../../src/ssl/der.js";
import { LOCAL_NAMES, type Pem, testPki } from "../helpers/certs.js";
import { Child } from "../helpers/child.js";
import { has } from "../helpers/hotline.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const NO_OPENSSL = has("openssl") ? false : "openssl is not installed";
const NO_PYTHON = has("python3") ? false : "python3 is not installed";
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** Runs a program to its end (bounded) and returns its exit code and output. */
async function run(command: string, args: readonly string[]): Promise<{ code: number | null; out: string }> {
  const child = new Child(command, args, { lifetimeMs: 15_000 });
  const done = await child.done();
  return { code: done.code, out: done.stdout.toString("utf8") + done.stderr };
}

/** The fields of the TBSCertificate, read with the module's own DER reader. */
function tbsFields(cert: string): { raw: Buffer; fields: der.Element[] } {
  const raw = new X509Certificate(cert).raw;
  const [tbs] = der.children(raw, der.read(raw, 0));
  assert.ok(tbs);
  return { raw, fields: der.children(raw, tbs) };
}

describe("the DER encoder", () => {
  test("lengths use the short form below 128 and the long form (0x81, 0x82 ...) above", () => {
    assert.equal(hex(der.tlv(0x04, Buffer.alloc(127)).subarray(0, 2)), "047f");
    assert.equal(hex(der.tlv(0x04, Buffer.alloc(128)).subarray(0, 3)), "048180");
    assert.equal(hex(der.tlv(0x04, Buffer.alloc(300)).subarray(0, 4)), "0482012c");
    assert.equal(hex(der.tlv(0x04, Buffer.alloc(70000)).subarray(0, 5)), "0483011170");
  });

  test("INTEGER gets a leading zero when its high bit is set, and loses redundant ones", () => {
    assert.equal(hex(der.unsignedInteger(Buffer.from([0x80]))), "02020080");
    assert.equal(hex(der.unsignedInteger(Buffer.from([0x7f]))), "02017f");
    assert.equal(hex(der.unsignedInteger(Buffer.from([0, 0, 0x01, 0x02]))), "02020102");
    assert.equal(hex(der.unsignedInteger(Buffer.from([0, 0, 0x81]))), "02020081");
    assert.equal(hex(der.unsignedInteger(Buffer.from([0, 0]))), "020100");
    assert.equal(hex(der.smallInteger(2)), "020102");
  });

  test("OIDs pack the first two arcs in one byte and the rest in base 128", () => {
    assert.equal(hex(der.oid("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
    assert.equal(hex(der.oid("2.5.29.17")), "0603551d11");
    assert.equal(hex(der.oid("1.3.6.1.5.5.7.3.1")), "06082b06010505070301");
    assert.throws(() => der.oid("1"), TypeError);
  });

  test("named bits drop trailing zero bits and count the unused ones", () => {
    assert.equal(hex(der.namedBits([0])), "03020780"); // digitalSignature
    assert.equal(hex(der.namedBits([5, 6])), "03020106"); // keyCertSign, cRLSign
    assert.equal(hex(der.namedBits([8])), "0303070080"); // decipherOnly, in a second byte
  });

  test("times are UTCTime up to 2049 and GeneralizedTime from 2050, in whole seconds", () => {
    assert.equal(der.time(new Date("2049-12-31T23:59:59Z")).toString("latin1"), "\x17\x0d491231235959Z");
    assert.equal(der.time(new Date("2050-01-01T00:00:00Z")).toString("latin1"), "\x18\x0f20500101000000Z");
    assert.equal(der.time(new Date("1950-01-01T00:00:00Z")).toString("latin1"), "\x17\x0d500101000000Z");
    assert.throws(() => der.time(new Date("1949-12-31T23:59:59Z")), RangeError);
  });

  test("the reader walks long-form lengths and refuses an element that runs past its parent", () => {
    const inner = der.octetString(Buffer.alloc(200, 7));
    const outer = der.sequence(der.boolean(true), inner);
    const kids = der.children(outer, der.read(outer, 0));
    assert.deepEqual(
      kids.map((k) => [k.tag, k.end - k.start]),
      [
        [0x01, 1],
        [0x04, 200],
      ],
    );
    assert.throws(() => der.read(outer.subarray(0, 50), 0), /runs past/);
  });
});

describe("generateCertificate", () => {
  test("a self-signed leaf for localhost, 127.0.0.1 and ::1: names, dates, key and fingerprint as Node reads them", () => {
    const before = Date.now();
    const made = generateCertificate({ names: LOCAL_NAMES });
    const x509 = new X509Certificate(made.cert);
    assert.equal(x509.subject, "CN=localhost");
    assert.equal(x509.issuer, "CN=localhost");
    assert.equal(x509.subjectAltName, "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    assert.equal(x509.checkHost("localhost"), "localhost");
    assert.equal(x509.checkHost("example.org"), undefined);
    assert.equal(x509.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(x509.checkIP("::1"), "::1");
    assert.equal(x509.checkIP("127.0.0.2"), undefined);
    assert.equal(x509.ca, false);
    assert.deepEqual(x509.keyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    assert.ok(x509.verify(x509.publicKey), "self-signature verifies");
    // checkIssued(itself) is false, and rightly: OpenSSL also wants keyCertSign in the issuer's keyUsage,
    // which a leaf does not have. Trusted as its own anchor it still verifies (the handshake tests show it).
    assert.ok(!x509.checkIssued(x509));
    assert.ok(x509.checkPrivateKey(createPrivateKey(made.key)));
    assert.match(made.key, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");

    assert.match(made.sha256, /^[0-9a-f]{64}$/);
    assert.equal(x509.fingerprint256.replaceAll(":", "").toLowerCase(), made.sha256);

    // Default validity: an hour back for clock skew, thirty days ahead, in whole seconds.
    const from = Date.parse(x509.validFrom);
    const to = Date.parse(x509.validTo);
    assert.ok(Math.abs(from - (before - HOUR_MS)) < 5_000, x509.validFrom);
    assert.ok(Math.abs(to - (before + 30 * DAY_MS)) < 5_000, x509.validTo);

    // Serial: positive, at most 16 bytes, different each time.
    assert.match(x509.serialNumber, /^[0-7]?[0-9A-F]{1,31}$/);
    assert.notEqual(new X509Certificate(generateCertificate().cert).serialNumber, x509.serialNumber);
  });

  test("IP literals go in iPAddress entries only, never dNSName (or IP clients would not match them)", () => {
    // A common name of its own, or checkHost would fall back to the CN (OpenSSL does when no dNSName exists).
    const options = { names: ["10.1.2.3", "2001:db8::42"], commonName: "ip only" };
    const x509 = new X509Certificate(generateCertificate(options).cert);
    assert.equal(x509.subjectAltName, "IP Address:10.1.2.3, IP Address:2001:DB8:0:0:0:0:0:42");
    assert.equal(x509.checkHost("10.1.2.3"), undefined);
    assert.equal(x509.checkIP("10.1.2.3"), "10.1.2.3");
    assert.equal(x509.checkIP("2001:db8::42"), "2001:db8::42");
    assert.equal(new X509Certificate(generateCertificate({ names: ["10.1.2.3"] }).cert).subject, "CN=10.1.2.3");
  });

  test("a name list with no entry gives no SubjectAltName at all (an empty one is invalid) and CN hotline", () => {
    const x509 = new X509Certificate(generateCertificate().cert);
    assert.equal(x509.subjectAltName, undefined);
    assert.equal(x509.subject, "CN=hotline");
  });

  test("a CA is CA:TRUE; its leaves name it as issuer and verify against it, not against another CA", () => {
    const ca = generateCertificate({ ca: true, commonName: "hotline test CA — ünïcode" });
    const other = generateCertificate({ ca: true, commonName: "hotline test CA — ünïcode" });
    const leaf = generateCertificate({ names: ["localhost"], issuer: ca });
    const [caX, otherX, leafX] = [ca, other, leaf].map((c) => new X509Certificate(c.cert)) as [
      X509Certificate,
      X509Certificate,
      X509Certificate,
    ];
    assert.equal(caX.ca, true);
    assert.equal(caX.keyUsage, undefined, "a CA has no extended key usage");
    assert.equal(leafX.issuer, caX.subject);
    assert.equal(leafX.subject, "CN=localhost");
    assert.ok(leafX.checkIssued(caX));
    assert.ok(leafX.verify(caX.publicKey));
    assert.ok(!leafX.verify(otherX.publicKey));
    assert.ok(!leafX.verify(leafX.publicKey), "not self-signed");
  });

  test("the leaf's authorityKeyIdentifier is its CA's subjectKeyIdentifier, and its issuer the CA's subject bytes", () => {
    const ca = generateCertificate({ ca: true, commonName: "hotline test CA" });
    const leaf = generateCertificate({ names: ["localhost"], issuer: ca });
    const ids = (pem: string) => {
      const { raw, fields } = tbsFields(pem);
      const wrapper = fields.find((f) => f.tag === 0xa3);
      assert.ok(wrapper);
      const [list] = der.children(raw, wrapper);
      assert.ok(list);
      const found: Record<string, string> = {};
      for (const ext of der.children(raw, list)) {
        const parts = der.children(raw, ext);
        const [id] = parts;
        const value = parts.at(-1);
        assert.ok(id && value);
        found[hex(raw.subarray(id.offset, id.end))] = hex(raw.subarray(value.start, value.end));
      }
      return { raw, fields, found };
    };
    const caIds = ids(ca.cert);
    const leafIds = ids(leaf.cert);
    const ski = caIds.found[hex(der.oid("2.5.29.14"))];
    const aki = leafIds.found[hex(der.oid("2.5.29.35"))];
    assert.ok(ski && aki);
    // SKI: OCTET STRING (04 14 ...); AKI: SEQUENCE { [0] keyIdentifier } (30 16 80 14 ...).
    assert.equal(aki, `30168014${ski.slice(4)}`);
    const caSubject = caIds.fields[5];
    const leafIssuer = leafIds.fields[3];
    assert.ok(caSubject && leafIssuer);
    assert.ok(
      caIds.raw
        .subarray(caSubject.offset, caSubject.end)
        .equals(leafIds.raw.subarray(leafIssuer.offset, leafIssuer.end)),
    );
  });

  test("validity: given dates in whole seconds, UTCTime before 2050 and GeneralizedTime after", () => {
    const made = generateCertificate({
      notBefore: new Date("2049-06-01T12:00:00.999Z"),
      notAfter: new Date("2061-02-03T04:05:06.5Z"),
    });
    const x509 = new X509Certificate(made.cert);
    assert.equal(x509.validFrom, "Jun  1 12:00:00 2049 GMT");
    assert.equal(x509.validTo, "Feb  3 04:05:06 2061 GMT");
    const { fields } = tbsFields(made.cert);
    const validity = fields[4];
    assert.ok(validity);
    const { raw } = tbsFields(made.cert);
    assert.deepEqual(
      der.children(raw, validity).map((t) => t.tag),
      [der.TAG.utcTime, der.TAG.generalizedTime],
    );
    const days = new X509Certificate(generateCertificate({ days: 2 }).cert);
    assert.ok(Math.abs(Date.parse(days.validTo) - (Date.now() + 2 * DAY_MS)) < 5_000);
  });

  test("bad options fail with one clear TypeError or RangeError", () => {
    for (const [options, kind, message] of [
      [{ names: [""] }, TypeError, /name is empty/],
      [{ names: ["bad name"] }, TypeError, /"bad name" is not a DNS name/],
      [{ names: ["tab\there"] }, TypeError, /not a DNS name/],
      [{ names: ["nul\u0000"] }, TypeError, /not a DNS name/],
      [{ names: ["[::1]"] }, TypeError, /IPv6/],
      [{ names: ["fe80::1%eth0"] }, TypeError, /not a valid IPv6 address/],
      [{ names: ["1.2.3.256"] }, TypeError, /not a valid IPv4 address/],
      [{ names: ["héllo.example"] }, TypeError, /not a DNS name/],
      [{ commonName: "" }, TypeError, /common name is empty/],
      [{ commonName: "line\nbreak" }, TypeError, /control characters/],
      [{ commonName: "x".repeat(65) }, RangeError, /longer than 64/],
      [{ notBefore: new Date("2030-01-02"), notAfter: new Date("2030-01-01") }, RangeError, /is before notBefore/],
      [{ notBefore: new Date(Number.NaN) }, TypeError, /notBefore is not a valid Date/],
      [{ notAfter: new Date("1900-01-01"), notBefore: new Date("1899-01-01") }, RangeError, /outside 1950/],
      [{ days: 0 }, RangeError, /days must be a positive number/],
      [{ days: Number.NaN }, RangeError, /days must be a positive number/],
    ] as const) {
      assert.throws(() => generateCertificate(options), { name: kind.name, message }, JSON.stringify(options));
    }
  });

  test("an issuer must be a CA with its own EC P-256 key", () => {
    const ca = generateCertificate({ ca: true });
    const leaf = generateCertificate({ names: ["localhost"] });
    assert.throws(() => generateCertificate({ issuer: leaf }), { name: "TypeError", message: /is not a CA/ });
    assert.throws(() => generateCertificate({ issuer: { cert: ca.cert, key: leaf.key } }), {
      name: "TypeError",
      message: /does not belong/,
    });
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" });
    assert.throws(() => generateCertificate({ issuer: { cert: ca.cert, key: String(rsa) } }), {
      name: "TypeError",
      message: /must be ECDSA P-256 \(prime256v1\), not rsa/,
    });
    assert.throws(() => generateCertificate({ issuer: { cert: "nonsense", key: ca.key } }), {
      name: "TypeError",
      message: /issuer certificate is not a PEM certificate/,
    });
  });

  test("generation time (reported, not asserted)", (t) => {
    const times: number[] = [];
    const ca = generateCertificate({ ca: true });
    for (let i = 0; i < 300; i++) {
      const start = process.hrtime.bigint();
      generateCertificate(i % 2 === 0 ? { names: LOCAL_NAMES, issuer: ca } : { names: LOCAL_NAMES });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    t.diagnostic(
      `generateCertificate: median ${times[150]?.toFixed(3)} ms, p90 ${times[270]?.toFixed(3)} ms over 300 (half CA-issued)`,
    );
  });
});

describe("what OpenSSL makes of the certificates", { skip: NO_OPENSSL }, () => {
  test("openssl x509 -text reads each kind: algorithm, curve, names, constraints, usages", async () => {
    const pki = testPki();
    const text = async (pem: Pem) => {
      const { code, out } = await run("openssl", ["x509", "-noout", "-text", "-in", pem.certPath]);
      assert.equal(code, 0, out);
      return out;
    };
    for (const pem of [pki.server, pki.selfSigned, pki.ca, pki.expired, pki.client]) {
      const out = await text(pem);
      assert.match(out, /Signature Algorithm: ecdsa-with-SHA256/);
      assert.match(out, /ASN1 OID: prime256v1/);
      assert.match(out, /Version: 3 \(0x2\)/);
      assert.match(out, /X509v3 Subject Key Identifier/);
      assert.match(out, /X509v3 Authority Key Identifier/);
    }
    const server = await text(pki.server);
    assert.match(server, /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    assert.match(server, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(server, /Key Usage: critical\s+Digital Signature\n/);
    assert.match(server, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(server, /Issuer: CN = hotline test CA/);
    const ca = await text(pki.ca);
    assert.match(ca, /Basic Constraints: critical\s+CA:TRUE/);
    assert.match(ca, /Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    assert.doesNotMatch(ca, /Subject Alternative Name/);
    assert.match(await text(pki.wrongName), /DNS:wrong\.example\n/);
  });

  test("openssl verify -x509_strict: OK for CA-issued leaves, and the failures are the right ones", async () => {
    const pki = testPki();
    const verify = (ca: Pem, leaf: Pem, ...extra: string[]) =>
      run("openssl", ["verify", "-x509_strict", ...extra, "-CAfile", ca.certPath, leaf.certPath]);
    for (const leaf of [pki.server, pki.wrongName, pki.client]) {
      const { code, out } = await verify(pki.ca, leaf);
      assert.equal(code, 0, out);
      assert.match(out, /: OK/);
    }
    const ipCheck = await verify(pki.ca, pki.server, "-verify_ip", "::1", "-purpose", "sslserver");
    assert.equal(ipCheck.code, 0, ipCheck.out);
    assert.match((await verify(pki.otherCa, pki.untrusted)).out, /: OK/);
    assert.match((await verify(pki.ca, pki.untrusted)).out, /unable to get local issuer certificate/);
    assert.match((await verify(pki.ca, pki.expired)).out, /certificate has expired/);
    assert.match((await verify(pki.ca, pki.wrongName, "-verify_hostname", "localhost")).out, /hostname mismatch/i);
  });

  test("a CA made by openssl, with a three-part subject and its own key identifier, issues leaves that verify", async () => {
    const dir = tempDir();
    const [caPath, keyPath, leafPath] = ["ca.pem", "ca.key", "leaf.pem"].map((name) => join(dir, name)) as [
      string,
      string,
      string,
    ];
    const made = await run("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"],
      ...["-keyout", keyPath, "-out", caPath, "-subj", "/C=XX/O=Hotline Foreign/CN=foreign CA"],
      ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
      // A self-signed root whose AKI would not match its odd SKI does not verify even alone: no AKI.
      ...["-addext", "subjectKeyIdentifier=0102030405", "-addext", "authorityKeyIdentifier=none"],
    ]);
    assert.equal(made.code, 0, made.out);
    const ca = { cert: readFileSync(caPath, "utf8"), key: readFileSync(keyPath, "utf8") };
    const leaf = generateCertificate({ names: ["localhost"], issuer: ca });
    writeFileSync(leafPath, leaf.cert);
    assert.equal(new X509Certificate(leaf.cert).issuer, new X509Certificate(ca.cert).subject);
    const text = await run("openssl", ["x509", "-noout", "-text", "-in", leafPath]);
    assert.match(text.out, /Issuer: C = XX, O = Hotline Foreign, CN = foreign CA/);
    assert.match(text.out, /Authority Key Identifier:\s+(keyid:)?01:02:03:04:05\n/);
    const verified = await run("openssl", ["verify", "-x509_strict", "-CAfile", caPath, leafPath]);
    assert.equal(verified.code, 0, verified.out);
  });
});

describe("TLS handshakes on loopback with the test PKI", () => {
  /** A TLS server answering "hello\n" to each connection, run for the callback. */
  async function withServer(
    pem: Pem,
    body: (port: number) => Promise<void>,
    options: tls.TlsOptions = {},
  ): Promise<string[]> {
    const seen: string[] = [];
    const server = tls.createServer({ cert: pem.cert, key: pem.key, ...options }, (socket) => {
      seen.push(`authorized=${socket.authorized} ${socket.getPeerX509Certificate()?.subject ?? "no peer cert"}`);
      socket.on("error", () => {});
      socket.end("hello\n");
    });
    server.on("tlsClientError", () => {}); // failed handshakes are what some tests are about
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      await body((server.address() as AddressInfo).port);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    return seen;
  }

  /** Connects, reads to the end, and returns what the client saw: authorized and data, or the error code. */
  function connect(options: tls.ConnectionOptions): Promise<string> {
    return within(
      new Promise<string>((resolve) => {
        const socket = tls.connect(options);
        let data = "";
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => {
          data += chunk;
        });
        socket.on("end", () => {
          resolve(`authorized=${socket.authorized} ${JSON.stringify(data)}`);
          socket.destroy();
        });
        socket.on("error", (error: NodeJS.ErrnoException) => {
          resolve(error.code ?? error.message);
          socket.destroy();
        });
      }),
      10_000,
      "a TLS client to finish",
    );
  }

  test("a CA-issued leaf verifies by name (SNI localhost) and by IP (127.0.0.1, no servername)", async () => {
    const pki = testPki();
    await withServer(pki.server, async (port) => {
      const ok = 'authorized=true "hello\\n"';
      assert.equal(await connect({ host: "127.0.0.1", port, ca: pki.ca.cert, servername: "localhost" }), ok);
      assert.equal(await connect({ host: "127.0.0.1", port, ca: pki.ca.cert }), ok);
      // The name check really runs: a name the certificate does not carry fails.
      assert.equal(
        await connect({ host: "127.0.0.1", port, ca: pki.ca.cert, servername: "example.org" }),
        "ERR_TLS_CERT_ALTNAME_INVALID",
      );
    });
  });

  test("each broken certificate fails with its own error code", async () => {
    const pki = testPki();
    const cases: [Pem, tls.ConnectionOptions, string][] = [
      [pki.expired, { ca: pki.ca.cert, servername: "localhost" }, "CERT_HAS_EXPIRED"],
      [pki.selfSigned, { servername: "localhost" }, "DEPTH_ZERO_SELF_SIGNED_CERT"],
      [pki.wrongName, { ca: pki.ca.cert, servername: "localhost" }, "ERR_TLS_CERT_ALTNAME_INVALID"],
      [pki.untrusted, { ca: pki.ca.cert, servername: "localhost" }, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"],
    ];
    for (const [pem, options, code] of cases) {
      await withServer(pem, async (port) => {
        assert.equal(await connect({ host: "127.0.0.1", port, ...options }), code, pem.certPath);
      });
    }
    // The self-signed one is fine once trusted as its own CA: the failure above is about trust only.
    await withServer(pki.selfSigned, async (port) => {
      assert.equal(
        await connect({ host: "127.0.0.1", port, ca: pki.selfSigned.cert, servername: "localhost" }),
        'authorized=true "hello\\n"',
      );
    });
  });

  test("a client certificate issued by the CA is accepted by a server that asks for one", async () => {
    const pki = testPki();
    const seen = await withServer(
      pki.server,
      async (port) => {
        const options = { host: "127.0.0.1", port, ca: pki.ca.cert, servername: "localhost" };
        assert.equal(
          await connect({ ...options, cert: pki.client.cert, key: pki.client.key }),
          'authorized=true "hello\\n"',
        );
        assert.equal(
          await connect({ ...options, cert: pki.untrusted.cert, key: pki.untrusted.key }),
          'authorized=true "hello\\n"',
        );
      },
      { requestCert: true, rejectUnauthorized: false, ca: pki.ca.cert },
    );
    assert.deepEqual(seen, ["authorized=true CN=hotline test client", "authorized=false CN=localhost"]);
  });

  test("Python's ssl module (X509 strict) trusts the CA and verifies by name and by IP", {
    skip: NO_PYTHON,
  }, async () => {
    const pki = testPki();
    const script = [
      "import socket, ssl, sys",
      "ctx = ssl.create_default_context(cafile=sys.argv[1])",
      "ctx.verify_flags |= ssl.VERIFY_X509_STRICT",
      "try:",
      "    with socket.create_connection(('127.0.0.1', int(sys.argv[2])), timeout=10) as raw:",
      "        with ctx.wrap_socket(raw, server_hostname=sys.argv[3]) as s:",
      "            print('OK', s.recv(100).decode().strip())",
      "except ssl.SSLError as e:",
      "    print('FAIL', e.verify_message if isinstance(e, ssl.SSLCertVerificationError) else e)",
    ].join("\n");
    const python = async (ca: Pem, port: number, name: string) => {
      const { code, out } = await run("python3", ["-c", script, ca.certPath, String(port), name]);
      assert.equal(code, 0, out);
      return out.trim();
    };
    await withServer(pki.server, async (port) => {
      assert.equal(await python(pki.ca, port, "localhost"), "OK hello");
      assert.equal(await python(pki.ca, port, "127.0.0.1"), "OK hello");
      assert.equal(await python(pki.ca, port, "::1"), "OK hello");
      assert.match(await python(pki.otherCa, port, "localhost"), /^FAIL unable to get local issuer certificate/);
      assert.match(await python(pki.ca, port, "example.org"), /^FAIL Hostname mismatch/);
    });
  });
});

describe("the test PKI helper", () => {
  test("writes every file once per process, and the chain relations hold", () => {
    const pki = testPki();
    assert.equal(testPki(), pki, "built once");
    const all = {
      ca: pki.ca,
      server: pki.server,
      expired: pki.expired,
      wrongName: pki.wrongName,
      selfSigned: pki.selfSigned,
      client: pki.client,
      otherCa: pki.otherCa,
      untrusted: pki.untrusted,
    };
    for (const [name, pem] of Object.entries(all)) {
      assert.equal(readFileSync(pem.certPath, "utf8"), pem.cert, name);
      assert.equal(readFileSync(pem.keyPath, "utf8"), pem.key, name);
      assert.equal(statSync(pem.keyPath).mode & 0o077, 0, `${name} key is private`);
      assert.ok(pem.certPath.startsWith(pki.dir));
    }
    assert.equal(readFileSync(pki.combinedPath, "utf8"), pki.server.cert + pki.server.key);

    const x = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, new X509Certificate(v.cert)])) as Record<
      keyof typeof all,
      X509Certificate
    >;
    assert.equal(x.ca.subject, "CN=hotline test CA");
    assert.ok(x.ca.ca && x.otherCa.ca);
    for (const leaf of [x.server, x.expired, x.wrongName, x.client]) {
      assert.ok(leaf.checkIssued(x.ca) && leaf.verify(x.ca.publicKey), leaf.subject);
      assert.ok(!leaf.checkIssued(x.otherCa) || !leaf.verify(x.otherCa.publicKey));
      assert.equal(leaf.ca, false);
    }
    assert.ok(x.untrusted.checkIssued(x.otherCa) && x.untrusted.verify(x.otherCa.publicKey));
    assert.ok(!x.untrusted.verify(x.ca.publicKey));
    assert.ok(x.selfSigned.issuer === x.selfSigned.subject && x.selfSigned.verify(x.selfSigned.publicKey));
    for (const leaf of [x.server, x.expired, x.selfSigned, x.untrusted]) {
      assert.equal(leaf.subjectAltName, "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    }
    assert.equal(x.wrongName.subjectAltName, "DNS:wrong.example");
    assert.equal(x.client.subject, "CN=hotline test client");
    assert.ok(
      Date.parse(x.expired.validTo) < Date.now() && Date.parse(x.expired.validFrom) < Date.parse(x.expired.validTo),
    );
    assert.ok(Date.parse(x.server.validTo) > Date.now() + 29 * DAY_MS);
    for (const pem of Object.values(all)) {
      assert.equal(new X509Certificate(pem.cert).fingerprint256.replaceAll(":", "").toLowerCase(), pem.sha256);
    }
  });
});
