/**
 * Makes X.509 certificates with node:crypto alone: no openssl binary, no npm package. The CLI
 * listener uses it for a throwaway certificate, and the tests for a whole test PKI.
 *
 * Keys are ECDSA P-256 and signatures ecdsa-with-SHA256: small, fast to make, and accepted by
 * every TLS stack hotline talks to. crypto.sign() on an EC key already returns the DER
 * ECDSA-Sig-Value that X.509 puts in the signature BIT STRING.
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from "node:crypto";
import { isIPv4 } from "node:net";
import { parseIpv6 } from "../address.js";
import * as der from "./der.js";

export interface CertificateOptions {
  /** Subject alternative names: DNS names and IP literals (IPv4/IPv6; IPs go in iPAddress entries, never dNSName). */
  names?: readonly string[];
  /** Subject common name; default the first name, or "hotline". */
  commonName?: string;
  /** Validity; default notBefore = now - 1 hour (clock skew), notAfter = now + `days` (default 30). */
  notBefore?: Date;
  notAfter?: Date;
  days?: number;
  /** A CA certificate (basicConstraints CA:TRUE critical, keyUsage keyCertSign+cRLSign); default a leaf (CA:FALSE, digitalSignature, extKeyUsage serverAuth+clientAuth). */
  ca?: boolean;
  /** Sign with this CA (PEM cert + PEM key) instead of self-signing; issuer name and authorityKeyIdentifier come from it. */
  issuer?: { cert: string; key: string };
}

export interface Certificate {
  /** PEM "CERTIFICATE". */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  /** SHA-256 of the DER certificate, lowercase hex, no colons (64 chars). */
  sha256: string;
}

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** keyUsage bit numbers (RFC 5280 4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** GeneralName tags (RFC 5280 4.2.1.6): [2] dNSName and [7] iPAddress, both IMPLICIT primitives. */
const DNS_NAME = der.contextTag(2, false);
const IP_ADDRESS = der.contextTag(7, false);

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** ub-common-name in RFC 5280's ASN.1 module. */
const COMMON_NAME_MAX = 64;

/** Makes a certificate and its key: self-signed, or signed by `options.issuer`. */
export function generateCertificate(options: CertificateOptions = {}): Certificate {
  const names = checkNames(options.names ?? []);
  const commonName = checkCommonName(options.commonName ?? names[0]?.text ?? "hotline");
  const [notBefore, notAfter] = validity(options);
  const ca = options.ca === true;
  const issuer = options.issuer === undefined ? undefined : loadIssuer(options.issuer);

  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const keyId = keyIdentifier(spki);
  const subject = der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.utf8String(commonName))));
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));

  const extensions = [
    extension(OID.basicConstraints, true, ca ? der.sequence(der.boolean(true)) : der.sequence()),
    extension(
      OID.keyUsage,
      true,
      der.namedBits(ca ? [KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign] : [KEY_USAGE.digitalSignature]),
    ),
  ];
  if (!ca) {
    extensions.push(extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth), der.oid(OID.clientAuth))));
  }
  extensions.push(
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
    extension(
      OID.authorityKeyIdentifier,
      false,
      der.sequence(der.tlv(der.contextTag(0, false), issuer?.keyId ?? keyId)),
    ),
  );
  // An empty SubjectAltName is invalid (it must hold at least one name): leave it out instead.
  if (names.length > 0) {
    extensions.push(
      extension(OID.subjectAltName, false, der.sequence(...names.map((name) => der.tlv(name.tag, name.bytes)))),
    );
  }

  const tbs = der.sequence(
    der.tlv(der.contextTag(0, true), der.smallInteger(2)), // version v3
    der.unsignedInteger(serialNumber()),
    algorithm,
    issuer?.subject ?? subject,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    subject,
    spki,
    der.tlv(der.contextTag(3, true), der.sequence(...extensions)),
  );
  const signature = sign("sha256", tbs, issuer?.key ?? privateKey);
  const raw = der.sequence(tbs, algorithm, der.bitString(signature));

  const base64 = raw.toString("base64").replace(/.{1,64}/g, "$&\n");
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`,
    key: String(privateKey.export({ type: "pkcs8", format: "pem" })),
    sha256: createHash("sha256").update(raw).digest("hex"),
  };
}

interface Name {
  text: string;
  tag: number;
  bytes: Buffer;
}

/**
 * Sorts each name into an iPAddress or a dNSName entry. An IP written into a dNSName never
 * matches: TLS clients compare IP targets with iPAddress entries only.
 */
function checkNames(names: readonly string[]): Name[] {
  if (!Array.isArray(names)) throw new TypeError("certificate names must be an array of strings");
  const out: Name[] = [];
  const seen = new Set<string>();
  for (const text of names) {
    if (typeof text !== "string") throw new TypeError(`certificate name ${String(text)} is not a string`);
    const name = parseName(text);
    const key = `${name.tag}:${name.bytes.toString("hex")}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

function parseName(text: string): Name {
  if (text === "") throw new TypeError("certificate name is empty");
  if (text.includes(":")) {
    const groups = parseIpv6(text);
    if (groups === null) throw new TypeError(`certificate name ${JSON.stringify(text)} is not a valid IPv6 address`);
    const bytes = Buffer.alloc(16);
    for (const [i, group] of groups.entries()) bytes.writeUInt16BE(group, i * 2);
    return { text, tag: IP_ADDRESS, bytes };
  }
  if (/^[0-9.]+$/.test(text)) {
    if (!isIPv4(text)) throw new TypeError(`certificate name ${JSON.stringify(text)} is not a valid IPv4 address`);
    return { text, tag: IP_ADDRESS, bytes: Buffer.from(text.split(".").map(Number)) };
  }
  // dNSName is an IA5String of LDH labels; "*" for wildcards and "_" which real names carry.
  if (!/^[A-Za-z0-9*_-]+(\.[A-Za-z0-9*_-]+)*\.?$/.test(text) || text.length > 253) {
    throw new TypeError(
      `certificate name ${JSON.stringify(text)} is not a DNS name or IP address (letters, digits, "-", "_", "*" and dots only)`,
    );
  }
  return { text, tag: DNS_NAME, bytes: Buffer.from(text, "ascii") };
}

function checkCommonName(name: string): string {
  if (typeof name !== "string" || name === "") throw new TypeError("certificate common name is empty");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw new TypeError(`certificate common name ${JSON.stringify(name)} contains control characters`);
  }
  if ([...name].length > COMMON_NAME_MAX) {
    throw new RangeError(`certificate common name is longer than ${COMMON_NAME_MAX} characters`);
  }
  return name;
}

/** The validity period in whole seconds (X.509 times carry no fractions). */
function validity(options: CertificateOptions): [Date, Date] {
  const days = options.days ?? 30;
  if (typeof days !== "number" || !Number.isFinite(days) || days <= 0) {
    throw new RangeError(`certificate days must be a positive number, not ${String(days)}`);
  }
  const now = Date.now();
  const notBefore = checkDate(options.notBefore ?? new Date(now - HOUR_MS), "notBefore");
  const notAfter = checkDate(options.notAfter ?? new Date(now + days * DAY_MS), "notAfter");
  if (notAfter.getTime() < notBefore.getTime()) {
    throw new RangeError(
      `certificate notAfter ${notAfter.toISOString()} is before notBefore ${notBefore.toISOString()}`,
    );
  }
  return [notBefore, notAfter];
}

function checkDate(date: Date, what: string): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    throw new TypeError(`certificate ${what} is not a valid Date`);
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** A random positive serial of at most 16 bytes: the top bit cleared so it needs no sign byte. */
function serialNumber(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  // A zero serial is not allowed; with 127 random bits this never happens, but it costs one line.
  if (serial.every((byte) => byte === 0)) serial[15] = 1;
  return serial;
}

/** RFC 5280's method 1: SHA-1 of the subjectPublicKey BIT STRING's bits. */
function keyIdentifier(spki: Buffer): Buffer {
  const [, bits] = der.children(spki, der.read(spki, 0));
  if (bits === undefined || bits.tag !== der.TAG.bitString) throw new TypeError("unexpected public key encoding");
  return createHash("sha1")
    .update(spki.subarray(bits.start + 1, bits.end))
    .digest();
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // DER leaves out a BOOLEAN equal to its DEFAULT, and critical is DEFAULT FALSE.
  return critical
    ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value))
    : der.sequence(der.oid(id), der.octetString(value));
}

interface Issuer {
  key: KeyObject;
  /** The CA's subject Name, byte for byte, so the chain matches whatever encoding the CA used. */
  subject: Buffer;
  /** The CA's subjectKeyIdentifier (what OpenSSL matches authorityKeyIdentifier against), or one computed from its key. */
  keyId: Buffer;
}

function loadIssuer(issuer: { cert: string; key: string }): Issuer {
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(issuer.cert);
  } catch (error) {
    throw new TypeError(`issuer certificate is not a PEM certificate: ${(error as Error).message}`);
  }
  try {
    key = createPrivateKey(issuer.key);
  } catch (error) {
    throw new TypeError(`issuer key is not a PEM private key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    const kind = key.asymmetricKeyType === "ec" ? `EC ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
    throw new TypeError(`issuer key must be ECDSA P-256 (prime256v1), not ${kind}`);
  }
  if (!cert.checkPrivateKey(key)) throw new TypeError("issuer key does not belong to the issuer certificate");
  if (!cert.ca) throw new TypeError(`issuer certificate ${cert.subject.trim()} is not a CA (basicConstraints CA:TRUE)`);
  const raw = cert.raw;
  const fields = tbsFields(raw);
  // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, ... [3] extensions.
  const offset = fields[0]?.tag === der.contextTag(0, true) ? 1 : 0;
  const subject = fields[offset + 4];
  const spki = fields[offset + 5];
  if (subject === undefined || spki === undefined) throw new TypeError("issuer certificate is malformed");
  return {
    key,
    subject: Buffer.from(raw.subarray(subject.offset, subject.end)),
    keyId: subjectKeyIdentifier(raw, fields) ?? keyIdentifier(Buffer.from(raw.subarray(spki.offset, spki.end))),
  };
}

function tbsFields(raw: Buffer): der.Element[] {
  const [tbs] = der.children(raw, der.read(raw, 0));
  if (tbs === undefined || tbs.tag !== der.TAG.sequence) throw new TypeError("issuer certificate is malformed");
  return der.children(raw, tbs);
}

/** The keyIdentifier inside the certificate's subjectKeyIdentifier extension, if it has one. */
function subjectKeyIdentifier(raw: Buffer, fields: der.Element[]): Buffer | undefined {
  const wrapper = fields.find((field) => field.tag === der.contextTag(3, true));
  if (wrapper === undefined) return undefined;
  const [list] = der.children(raw, wrapper);
  if (list === undefined) return undefined;
  const wanted = der.oid(OID.subjectKeyIdentifier);
  for (const ext of der.children(raw, list)) {
    const parts = der.children(raw, ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id === undefined || value === undefined || !raw.subarray(id.offset, id.end).equals(wanted)) continue;
    const inner = der.read(raw, value.start, value.end);
    if (inner.tag === der.TAG.octetString) return Buffer.from(raw.subarray(inner.start, inner.end));
  }
  return undefined;
}
