/**
 * getpeercert()'s dictionary, in the shape Python's ssl module gives it: subject and
 * issuer as tuples of RDNs of [longName, value], OpenSSL's date text, the serial number
 * in upper-case hex, subjectAltName as [type, value] pairs, and the access URLs.
 */
import type { X509Certificate } from "node:crypto";

export type NameAttribute = [string, string];
/** A distinguished name: one entry per RDN, each a list of attributes (usually one). */
export type DistinguishedName = NameAttribute[][];

export interface PeerCertificate {
  subject: DistinguishedName;
  issuer: DistinguishedName;
  version: number;
  serialNumber: string;
  /** "Nov 30 12:00:00 2026 GMT", as Python (OpenSSL's text). */
  notBefore: string;
  notAfter: string;
  subjectAltName?: [string, string][];
  OCSP?: string[];
  caIssuers?: string[];
}

/** OpenSSL's short attribute names, as Node prints them, with the long names Python uses. */
const LONG_NAMES: Record<string, string | undefined> = {
  CN: "commonName",
  C: "countryName",
  L: "localityName",
  ST: "stateOrProvinceName",
  O: "organizationName",
  OU: "organizationalUnitName",
  emailAddress: "emailAddress",
  DC: "domainComponent",
  street: "streetAddress",
  serialNumber: "serialNumber",
  SN: "surname",
  GN: "givenName",
  title: "title",
  UID: "userId",
  name: "name",
  initials: "initials",
  dnQualifier: "dnQualifier",
  pseudonym: "pseudonym",
  businessCategory: "businessCategory",
  postalCode: "postalCode",
  jurisdictionC: "jurisdictionCountryName",
  jurisdictionST: "jurisdictionStateOrProvinceName",
  jurisdictionL: "jurisdictionLocalityName",
};

/** Python's getpeercert() dictionary for `cert`. */
export function peerCertificateDict(cert: X509Certificate): PeerCertificate {
  const dict: PeerCertificate = {
    subject: parseName(cert.subject),
    issuer: parseName(cert.issuer),
    version: certificateVersion(cert.raw),
    serialNumber: cert.serialNumber.toUpperCase(),
    notBefore: cert.validFrom,
    notAfter: cert.validTo,
  };
  if (cert.subjectAltName) dict.subjectAltName = parseAltNames(cert.subjectAltName);
  if (cert.infoAccess) {
    const ocsp: string[] = [];
    const issuers: string[] = [];
    for (const line of cert.infoAccess.split("\n")) {
      const match = /^(OCSP|CA Issuers) - URI:(.*)$/.exec(line.trim());
      if (match?.[1] === "OCSP") ocsp.push(match[2] as string);
      else if (match?.[1] === "CA Issuers") issuers.push(match[2] as string);
    }
    if (ocsp.length > 0) dict.OCSP = ocsp;
    if (issuers.length > 0) dict.caIssuers = issuers;
  }
  return dict;
}

/** Node's multi-line name ("C=US\nO=Org\nCN=host", "+" joining a multi-valued RDN). */
function parseName(text: string): DistinguishedName {
  const rdns: DistinguishedName = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const rdn: NameAttribute[] = [];
    for (const part of line.split(/(?<!\\)\+/)) {
      const at = part.indexOf("=");
      if (at < 0) continue;
      const short = part.slice(0, at);
      rdn.push([LONG_NAMES[short] ?? short, unquote(part.slice(at + 1))]);
    }
    if (rdn.length > 0) rdns.push(rdn);
  }
  return rdns;
}

/** Node's subjectAltName text: "DNS:a, IP Address:127.0.0.1"; entries with commas come JSON-quoted. */
function parseAltNames(text: string): [string, string][] {
  const names: [string, string][] = [];
  const entry = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))(?:,|$)/y;
  while (entry.lastIndex < text.length) {
    const start = entry.lastIndex;
    const match = entry.exec(text);
    if (!match || entry.lastIndex === start) break;
    const raw = match[1] !== undefined ? (JSON.parse(`"${match[1]}"`) as string) : (match[2] ?? "").trim();
    const at = raw.indexOf(":");
    if (at > 0) names.push([raw.slice(0, at), raw.slice(at + 1)]);
  }
  return names;
}

function unquote(value: string): string {
  if (value.startsWith('"') && value.endsWith('"')) {
    try {
      return JSON.parse(value) as string;
    } catch {
      return value;
    }
  }
  return value.replace(/\\(.)/g, "$1");
}

/** X.509's version (1-3) from the DER: TBSCertificate's optional [0] EXPLICIT INTEGER, v1 when absent. */
function certificateVersion(der: Buffer): number {
  let at = 0;
  const header = (): void => {
    at += 1; // tag
    const first = der[at++] ?? 0;
    if (first & 0x80) at += first & 0x7f;
  };
  header(); // Certificate SEQUENCE
  header(); // TBSCertificate SEQUENCE
  if (der[at] !== 0xa0) return 1;
  header(); // [0]
  if (der[at] !== 0x02) return 1;
  header(); // INTEGER
  return (der[at] ?? 0) + 1;
}
