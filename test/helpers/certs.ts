/**
 * A test PKI made once per test process, on first use, with hotline's own certificate maker
 * (no openssl binary needed): two unrelated CAs, and leaves for every case a TLS test needs.
 * Each certificate and key is also written to a temp dir for peers that want files.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Certificate, generateCertificate } from "../../src/ssl/certificate.js";
import { tempDir } from "./transports.js";

export interface Pem {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
  sha256: string;
}

export interface TestPki {
  dir: string;
  /** A CA ("hotline test CA"). */
  ca: Pem;
  /** Leaf issued by ca for localhost, 127.0.0.1, ::1. */
  server: Pem;
  /** Issued by ca for the same names, notBefore 2 days ago, notAfter 1 day ago. */
  expired: Pem;
  /** Issued by ca for wrong.example only. */
  wrongName: Pem;
  /** Self-signed leaf for localhost, 127.0.0.1, ::1 (no CA). */
  selfSigned: Pem;
  /** Leaf issued by ca for "hotline test client" (for client-certificate tests). */
  client: Pem;
  /** A second, unrelated CA. */
  otherCa: Pem;
  /** Leaf issued by otherCa for localhost, 127.0.0.1, ::1. */
  untrusted: Pem;
  /** One PEM file holding the server certificate then its key (ncat's --ssl-cert/--ssl-key accept that). */
  combinedPath: string;
}

export const LOCAL_NAMES: readonly string[] = ["localhost", "127.0.0.1", "::1"];

const DAY_MS = 24 * 3_600_000;

let pki: TestPki | undefined;

/** The process's test PKI, made on the first call (about a dozen milliseconds). */
export function testPki(): TestPki {
  pki ??= build();
  return pki;
}

function build(): TestPki {
  const dir = tempDir();
  const save = (name: string, made: Certificate): Pem => {
    const certPath = join(dir, `${name}.pem`);
    const keyPath = join(dir, `${name}.key`);
    writeFileSync(certPath, made.cert);
    writeFileSync(keyPath, made.key, { mode: 0o600 });
    return { ...made, certPath, keyPath };
  };
  const now = Date.now();
  const ca = save("ca", generateCertificate({ ca: true, commonName: "hotline test CA", days: 365 }));
  const otherCa = save("other-ca", generateCertificate({ ca: true, commonName: "hotline other CA", days: 365 }));
  const server = save("server", generateCertificate({ names: LOCAL_NAMES, issuer: ca }));
  const combinedPath = join(dir, "server-combined.pem");
  writeFileSync(combinedPath, server.cert + server.key, { mode: 0o600 });
  return {
    dir,
    ca,
    server,
    expired: save(
      "expired",
      generateCertificate({
        names: LOCAL_NAMES,
        issuer: ca,
        notBefore: new Date(now - 2 * DAY_MS),
        notAfter: new Date(now - DAY_MS),
      }),
    ),
    wrongName: save("wrong-name", generateCertificate({ names: ["wrong.example"], issuer: ca })),
    selfSigned: save("self-signed", generateCertificate({ names: LOCAL_NAMES })),
    client: save("client", generateCertificate({ commonName: "hotline test client", issuer: ca })),
    otherCa,
    untrusted: save("untrusted", generateCertificate({ names: LOCAL_NAMES, issuer: otherCa })),
    combinedPath,
  };
}
