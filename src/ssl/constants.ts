/**
 * Python's ssl constants, with Python's values: verify modes, protocols, TLS versions and
 * the purposes createDefaultContext() takes.
 */

/** verify_mode: no verification (client), or no client certificate asked (server). */
export const CERT_NONE = 0;
/** verify_mode: verify a certificate if the peer sends one (server: asks, accepts none). */
export const CERT_OPTIONAL = 1;
/** verify_mode: the peer must send a certificate that verifies. */
export const CERT_REQUIRED = 2;

export type VerifyMode = typeof CERT_NONE | typeof CERT_OPTIONAL | typeof CERT_REQUIRED;

/** A client context: CERT_REQUIRED and checkHostname on, as in Python. */
export const PROTOCOL_TLS_CLIENT = 16;
/** A server context: CERT_NONE and checkHostname off, as in Python. */
export const PROTOCOL_TLS_SERVER = 17;

export type Protocol = typeof PROTOCOL_TLS_CLIENT | typeof PROTOCOL_TLS_SERVER;

/** Python's ssl.TLSVersion, with its values (the protocol's version numbers). */
export const TLSVersion = {
  MINIMUM_SUPPORTED: -2,
  MAXIMUM_SUPPORTED: -1,
  TLSv1: 0x0301,
  TLSv1_1: 0x0302,
  TLSv1_2: 0x0303,
  TLSv1_3: 0x0304,
} as const;

export type TLSVersion = (typeof TLSVersion)[keyof typeof TLSVersion];

/** What a purpose is, as Python's `_ASN1Object`. */
export interface PurposeObject {
  readonly nid: number;
  readonly shortname: string;
  readonly longname: string;
  readonly oid: string;
}

/**
 * Python's ssl.Purpose. SERVER_AUTH makes a context that authenticates servers (a
 * client's); CLIENT_AUTH one that authenticates clients (a server's).
 */
export const Purpose: { readonly SERVER_AUTH: PurposeObject; readonly CLIENT_AUTH: PurposeObject } = Object.freeze({
  SERVER_AUTH: Object.freeze({
    nid: 129,
    shortname: "serverAuth",
    longname: "TLS Web Server Authentication",
    oid: "1.3.6.1.5.5.7.3.1",
  }),
  CLIENT_AUTH: Object.freeze({
    nid: 130,
    shortname: "clientAuth",
    longname: "TLS Web Client Authentication",
    oid: "1.3.6.1.5.5.7.3.2",
  }),
});

export const HAS_SNI = true;
export const HAS_ALPN = true;
export const HAS_TLSv1_3 = true;
/** The OpenSSL Node was built with, as Python's OPENSSL_VERSION ("OpenSSL 3.0.15+quic"). */
export const OPENSSL_VERSION = `OpenSSL ${process.versions.openssl}`;
