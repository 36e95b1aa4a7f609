/**
 * Python's ssl errors: SSLError (an OSError whose errno is an SSL_ERROR_* number),
 * SSLCertVerificationError with Python's verify_code/verify_message, SSLZeroReturnError,
 * SSLEOFError, and ValueError for the argument errors Python raises as ValueError.
 *
 * Node reports TLS failures as error codes (`ERR_SSL_*`, `DEPTH_ZERO_SELF_SIGNED_CERT`,
 * `ERR_TLS_CERT_ALTNAME_INVALID`...). fromTlsError() turns them into these classes and
 * keeps Node's error as `cause` and its code as `nodeCode`.
 */
import type { X509Certificate } from "node:crypto";
import { OSError } from "../errors.js";

/** SSL_ERROR_* numbers, as Python's ssl module has them (they are OpenSSL's). */
export const SSL_ERROR_SSL = 1;
export const SSL_ERROR_WANT_READ = 2;
export const SSL_ERROR_WANT_WRITE = 3;
export const SSL_ERROR_WANT_X509_LOOKUP = 4;
export const SSL_ERROR_SYSCALL = 5;
export const SSL_ERROR_ZERO_RETURN = 6;
export const SSL_ERROR_WANT_CONNECT = 7;
export const SSL_ERROR_EOF = 8;
export const SSL_ERROR_INVALID_ERROR_CODE = 10;

/** Python's ValueError: a value of the right type that is not allowed (as Python raises it). */
export class ValueError extends Error {
  override get name(): string {
    return "ValueError";
  }
}

export interface SSLErrorOptions {
  /** Python's `errno`: an SSL_ERROR_* number (SSL_ERROR_SSL by default). */
  errno?: number;
  /** OpenSSL's reason in upper case, as Python's `reason` ("CERTIFICATE_VERIFY_FAILED"). */
  reason?: string | null;
  /** OpenSSL's library, as Python's `library` ("SSL", "PEM", "X509"). */
  library?: string | null;
  /** Node's error code ("ERR_SSL_WRONG_VERSION_NUMBER"); also `code` unless `code` is given. */
  nodeCode?: string | null;
  /** `code`, when it is not Node's code. */
  code?: string;
  cause?: unknown;
}

/**
 * A TLS failure. As in Python its `errno` is an SSL_ERROR_* number (1, SSL_ERROR_SSL, for
 * protocol and verification failures), `reason` and `library` are OpenSSL's, and the
 * message reads "[SSL: REASON] text". `code` is Node's code (assert on that, or on
 * `reason`), `cause` Node's error.
 */
export class SSLError extends OSError {
  readonly reason: string | null;
  readonly library: string | null;
  /** Node's error code, as Node reported the failure. */
  readonly nodeCode: string | null;

  constructor(text: string, options: SSLErrorOptions = {}) {
    super("EIO", undefined, options.cause === undefined ? undefined : { cause: options.cause });
    const errno = options.errno ?? SSL_ERROR_SSL;
    const reason = options.reason ?? null;
    const library = options.library ?? null;
    // OSError's fields are Python's errno/strerror of a C errno; an SSLError has its own.
    Object.defineProperty(this, "errno", { value: errno, enumerable: true });
    Object.defineProperty(this, "strerror", { value: text, enumerable: true });
    Object.defineProperty(this, "code", {
      value: options.code ?? options.nodeCode ?? reason ?? "SSL_ERROR",
      enumerable: true,
    });
    this.message = reason ? `[${library ?? "SSL"}: ${reason}] ${text}` : library ? `[${library}] ${text}` : text;
    this.reason = reason;
    this.library = library;
    this.nodeCode = options.nodeCode ?? null;
  }
}

/** The peer closed the TLS connection with close_notify where a handshake was expected. */
export class SSLZeroReturnError extends SSLError {}

/** The connection ended in the middle of the TLS protocol (no close_notify). */
export class SSLEOFError extends SSLError {}

export interface VerificationFailure {
  verifyCode: number;
  verifyMessage: string;
  nodeCode: string;
  peerCertificate: X509Certificate | null;
  cause?: unknown;
}

/**
 * The peer's certificate failed verification (chain or name). Python's `verify_code` and
 * `verify_message` are `verifyCode` and `verifyMessage` (OpenSSL's X509_V_ERR numbers and
 * texts); `nodeCode` is Node's name for it ("DEPTH_ZERO_SELF_SIGNED_CERT"). A hotline
 * extension: `peerCertificate`, the certificate that failed, so a caller can show its
 * SHA-256 fingerprint (`peerCertificate.fingerprint256`) and offer to pin it.
 */
export class SSLCertVerificationError extends SSLError {
  readonly verifyCode: number;
  readonly verifyMessage: string;
  readonly peerCertificate: X509Certificate | null;

  constructor(failure: VerificationFailure) {
    super(`certificate verify failed: ${failure.verifyMessage}`, {
      reason: "CERTIFICATE_VERIFY_FAILED",
      library: "SSL",
      nodeCode: failure.nodeCode,
      cause: failure.cause,
    });
    this.verifyCode = failure.verifyCode;
    this.verifyMessage = failure.verifyMessage;
    this.peerCertificate = failure.peerCertificate;
  }
}

/** Python's alias: `ssl.CertificateError is ssl.SSLCertVerificationError`. */
export const CertificateError = SSLCertVerificationError;

/** Node's verification codes (OpenSSL's X509_V_ERR names) with OpenSSL's numbers and texts, as Python reports them. */
const VERIFY: Record<string, readonly [number, string] | undefined> = {
  UNABLE_TO_GET_ISSUER_CERT: [2, "unable to get issuer certificate"],
  UNABLE_TO_GET_CRL: [3, "unable to get certificate CRL"],
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: [4, "unable to decrypt certificate's signature"],
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: [6, "unable to decode issuer public key"],
  CERT_SIGNATURE_FAILURE: [7, "certificate signature failure"],
  CERT_NOT_YET_VALID: [9, "certificate is not yet valid"],
  CERT_HAS_EXPIRED: [10, "certificate has expired"],
  ERROR_IN_CERT_NOT_BEFORE_FIELD: [13, "format error in certificate's notBefore field"],
  ERROR_IN_CERT_NOT_AFTER_FIELD: [14, "format error in certificate's notAfter field"],
  DEPTH_ZERO_SELF_SIGNED_CERT: [18, "self-signed certificate"],
  SELF_SIGNED_CERT_IN_CHAIN: [19, "self-signed certificate in certificate chain"],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [20, "unable to get local issuer certificate"],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: [21, "unable to verify the first certificate"],
  CERT_CHAIN_TOO_LONG: [22, "certificate chain too long"],
  CERT_REVOKED: [23, "certificate revoked"],
  INVALID_CA: [24, "invalid CA certificate"],
  PATH_LENGTH_EXCEEDED: [25, "path length constraint exceeded"],
  INVALID_PURPOSE: [26, "unsupported certificate purpose"],
  CERT_UNTRUSTED: [27, "certificate not trusted"],
  CERT_REJECTED: [28, "certificate rejected"],
};

/** OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH. */
export const HOSTNAME_MISMATCH = 62;
export const IP_ADDRESS_MISMATCH = 64;

/** A chain failure Node reported as `nodeCode` (its authorizationError). */
export function chainError(nodeCode: string, peer: X509Certificate | null): SSLCertVerificationError {
  const [verifyCode, verifyMessage] = VERIFY[nodeCode] ?? [1, nodeCode.toLowerCase().replaceAll("_", " ")];
  return new SSLCertVerificationError({ verifyCode, verifyMessage, nodeCode, peerCertificate: peer });
}

/** The peer's certificate does not name `host` (checked as Python does: IPs against IP entries only). */
export function nameError(host: string, ip: boolean, peer: X509Certificate | null, cause: unknown) {
  return new SSLCertVerificationError({
    verifyCode: ip ? IP_ADDRESS_MISMATCH : HOSTNAME_MISMATCH,
    verifyMessage: ip
      ? `IP address mismatch, certificate is not valid for '${host}'.`
      : `Hostname mismatch, certificate is not valid for '${host}'.`,
    nodeCode: (cause as { code?: string } | null)?.code ?? "ERR_TLS_CERT_ALTNAME_INVALID",
    peerCertificate: peer,
    cause,
  });
}

/** OpenSSL library names as Node gives them ("SSL routines") → Python's short ones ("SSL"). */
const LIBRARIES: Record<string, string | undefined> = {
  "SSL routines": "SSL",
  "PEM routines": "PEM",
  "x509 certificate routines": "X509",
  "X509 certificate routines": "X509",
  "asn1 encoding routines": "ASN1",
  "Provider routines": "PROV",
  "digital envelope routines": "EVP",
  "DECODER routines": "DECODER",
};

/**
 * Node's TLS or OpenSSL error as an SSLError: reason and library from OpenSSL's own
 * fields when Node has them ("ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL" → reason
 * "TLSV1_ALERT_NO_APPLICATION_PROTOCOL", library "SSL"). `context` prefixes the text.
 */
export function fromTlsError(err: unknown, context?: string): SSLError {
  if (err instanceof SSLError) return err;
  const e = (err ?? {}) as { code?: unknown; reason?: unknown; library?: unknown; message?: unknown };
  const nodeCode = typeof e.code === "string" ? e.code : null;
  const text = typeof e.reason === "string" ? e.reason : typeof e.message === "string" ? e.message : String(err);
  let reason: string | null = null;
  if (nodeCode?.startsWith("ERR_SSL_")) reason = nodeCode.slice("ERR_SSL_".length);
  else if (nodeCode?.startsWith("ERR_OSSL_")) reason = nodeCode.slice("ERR_OSSL_".length);
  const library = typeof e.library === "string" ? (LIBRARIES[e.library] ?? e.library) : reason ? "SSL" : null;
  const full = context ? `${context}: ${text}` : text;
  return new SSLError(full, { reason, library, nodeCode, cause: err });
}
