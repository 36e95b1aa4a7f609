/**
 * hotline/ssl: Python's ssl module for hotline sockets, promise-based.
 *
 *   import * as socket from "hotline";
 *   import * as ssl from "hotline/ssl";
 *   const context = ssl.createDefaultContext();
 *   const sock = await context.wrapSocket(await socket.createConnection(["example.com", 443]),
 *     { serverHostname: "example.com" });
 *
 * The only module that imports node:tls. Every export is listed by name.
 */
export type { Certificate, CertificateOptions } from "./certificate.js";
export { generateCertificate } from "./certificate.js";
export type { Protocol, PurposeObject, VerifyMode } from "./constants.js";
export {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  HAS_ALPN,
  HAS_SNI,
  HAS_TLSv1_3,
  OPENSSL_VERSION,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
  TLSVersion,
} from "./constants.js";
export type { Password, VerifyLocations, WrapSocketOptions } from "./context.js";
export { createDefaultContext, SSLContext } from "./context.js";
export type { SSLErrorOptions } from "./errors.js";
export {
  CertificateError,
  SSL_ERROR_EOF,
  SSL_ERROR_INVALID_ERROR_CODE,
  SSL_ERROR_SSL,
  SSL_ERROR_SYSCALL,
  SSL_ERROR_WANT_CONNECT,
  SSL_ERROR_WANT_READ,
  SSL_ERROR_WANT_WRITE,
  SSL_ERROR_WANT_X509_LOOKUP,
  SSL_ERROR_ZERO_RETURN,
  SSLCertVerificationError,
  SSLEOFError,
  SSLError,
  SSLZeroReturnError,
  ValueError,
} from "./errors.js";
export type { DistinguishedName, NameAttribute, PeerCertificate } from "./peer-cert.js";
export { SSLSession } from "./session.js";
export { SSLSocket } from "./ssl-socket.js";
