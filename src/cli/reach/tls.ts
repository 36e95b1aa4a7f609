/**
 * TLS for the command: the contexts the options ask for, made once before any connection
 * (so a bad certificate file is exit 2 before dialling or listening), and the handshake of
 * each connection, which turns a connected Socket into an SSLSocket. Everything above
 * reach/ sees the result as any other stream Line.
 *
 * Dialling verifies the server by default: its chain against the system's CAs (or only
 * --ssl-trustfile's) and its name (the host dialled, or --ssl-servername). --ssl-pin
 * trusts exactly one certificate instead, and --insecure none (with a warning). A failed
 * verification says why and gives the fingerprint, so the user can pin it knowingly.
 *
 * Listening without --ssl-cert makes a throwaway ECDSA P-256 certificate for the bound
 * address and the loopback names, and always prints its fingerprint: that is what a
 * caller pins.
 */
import type { Socket } from "../../index.js";
import {
  CERT_NONE,
  CERT_REQUIRED,
  createDefaultContext,
  generateCertificate,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  SSLCertVerificationError,
  SSLContext,
  type SSLSocket,
} from "../../ssl/index.js";
import { Failure } from "../io.js";
import type { TlsOptions } from "../options/options.js";
import { debug, type Reporter, reason } from "../report.js";

/** How long a handshake may take when nothing else bounds it (-w does, when dialling). */
export const HANDSHAKE_MS = 10_000;

/** "sha256:" and the lowercase hex of a certificate's SHA-256, as --ssl-pin takes it. */
export function pinOf(fingerprint256: string): string {
  return `sha256:${fingerprint256.replaceAll(":", "").toLowerCase()}`;
}

/** Applies an option to a context (a file read, a cipher list); a failure is exit 2 naming the option and its value. */
function load(what: string, file: string, action: () => void): void {
  try {
    action();
  } catch (err) {
    throw new Failure(`${what} ${file}: ${reason(err)}`, 2);
  }
}

/** The dialling side's context, with every file read now. */
export function clientContext(t: TlsOptions): SSLContext {
  let ctx: SSLContext;
  if (t.pin !== null || t.insecure) {
    // The pin (or nothing) replaces the chain and the name check; see secureDialled.
    ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
    ctx.checkHostname = false;
    ctx.verifyMode = CERT_NONE;
  } else if (t.trustfile !== null) {
    // As ncat: a trust file replaces the system's CAs rather than adding to them.
    ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
    const file = t.trustfile;
    load("--ssl-trustfile", file, () => ctx.loadVerifyLocations({ cafile: file }));
  } else {
    ctx = createDefaultContext();
  }
  common(ctx, t);
  if (t.alpn !== null) ctx.setAlpnProtocols(t.alpn);
  return ctx;
}

/**
 * The listening side's context: the given certificate, or a throwaway one for `host` (the
 * host to bind, if named) and the loopback names. `made` is the line announcing the
 * throwaway certificate's fingerprint, for after the bind.
 */
export function serverContext(t: TlsOptions, host: string | null): { ctx: SSLContext; made: string | null } {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  let made: string | null = null;
  if (t.cert === null) {
    const names = ["localhost", "127.0.0.1", "::1"];
    if (host !== null && !names.includes(host) && host !== "0.0.0.0" && host !== "::") names.unshift(host);
    const certificate = generateCertificate({ names, commonName: "hotline" });
    ctx.loadCertChainData(certificate.cert, certificate.key);
    made = `TLS certificate made for this run (${names.join(", ")}): ${pinOf(certificate.sha256)}`;
  }
  if (t.trustfile !== null) {
    const file = t.trustfile;
    load("--ssl-trustfile", file, () => ctx.loadVerifyLocations({ cafile: file }));
    ctx.verifyMode = CERT_REQUIRED;
  }
  common(ctx, t);
  return { ctx, made };
}

/** What both sides take: this side's certificate (a client certificate, when dialling), ciphers. */
function common(ctx: SSLContext, t: TlsOptions): void {
  if (t.cert !== null) {
    const { cert, key } = t;
    load("--ssl-cert", cert, () => ctx.loadCertChain(cert, key ?? undefined));
  }
  if (t.ciphers !== null) {
    const list = t.ciphers;
    load("--ssl-ciphers", list, () => ctx.setCiphers(list));
  }
}

/**
 * The handshake of a dialled connection, within `ms`. `host` is what was dialled (null
 * for a Unix socket). Resolves with the SSLSocket once the server is trusted; on any
 * failure the connection is reset and a Failure says why.
 */
export async function secureDialled(
  sock: Socket,
  ctx: SSLContext,
  t: TlsOptions,
  host: string | null,
  where: string,
  ms: number,
  report: Reporter,
): Promise<SSLSocket> {
  const name = t.servername ?? host;
  sock.settimeout(ms / 1000);
  let ssock: SSLSocket;
  try {
    ssock = await ctx.wrapSocket(sock, name === null ? {} : { serverHostname: name });
  } catch (err) {
    await sock.close();
    throw new Failure(`TLS ${where}: ${verificationReason(err)}`);
  }
  ssock.settimeout(null);
  const cert = ssock.peerCertificate();
  const fingerprint = cert ? pinOf(cert.fingerprint256) : "(no certificate)";
  if (t.pin !== null && fingerprint !== `sha256:${t.pin}`) {
    ssock.close();
    throw new Failure(`TLS ${where}: the certificate is not the pinned one: the server shows ${fingerprint}`);
  }
  if (t.insecure) report.say(`warning: --insecure: ${where} is not verified; it shows ${fingerprint}`);
  const how = t.pin !== null ? "pinned" : t.insecure ? "NOT verified" : `verified for ${name}`;
  report.info(`TLS ${ssock.version()} ${ssock.cipher()?.[0] ?? ""}, ${how}${alpnNote(ssock)}`);
  debug("TLS with %s: %s", where, fingerprint);
  return ssock;
}

/**
 * The handshake of an accepted caller, within HANDSHAKE_MS. `started` gets the SSLSocket
 * before the handshake, so a listener that closes meanwhile can end it at once. On failure
 * (a caller that speaks no TLS, a bad certificate, too slow) the connection is closed and
 * the error thrown: the listener says so and goes on.
 */
export async function secureAccepted(
  conn: Socket,
  ctx: SSLContext,
  peer: string,
  report: Reporter,
  started: (ssock: SSLSocket) => void,
): Promise<SSLSocket> {
  conn.settimeout(HANDSHAKE_MS / 1000);
  let ssock: SSLSocket;
  try {
    ssock = await ctx.wrapSocket(conn, { serverSide: true, doHandshakeOnConnect: false });
  } catch (err) {
    conn.close();
    throw err;
  }
  started(ssock);
  try {
    await ssock.doHandshake();
  } catch (err) {
    ssock.close();
    throw err;
  }
  ssock.settimeout(null);
  report.info(`TLS ${ssock.version()} ${ssock.cipher()?.[0] ?? ""} with ${peer}${alpnNote(ssock)}`, 2);
  return ssock;
}

function alpnNote(ssock: SSLSocket): string {
  const alpn = ssock.selectedAlpnProtocol();
  return alpn ? `, ALPN ${alpn}` : "";
}

/** A verification failure as one line: the reason, then the fingerprint to pin if trusted. */
function verificationReason(err: unknown): string {
  if (!(err instanceof SSLCertVerificationError)) return reason(err);
  const cert = err.peerCertificate;
  if (!cert) return `certificate verify failed: ${err.verifyMessage}`;
  const pin = pinOf(cert.fingerprint256);
  return `certificate verify failed: ${err.verifyMessage}; the server shows ${pin}; if you trust it: --ssl-pin ${pin}`;
}
