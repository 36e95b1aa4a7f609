/**
 * Python's ssl.SSLContext on Node's tls: the settings of a side of TLS connections
 * (verification, trust, own certificate, versions, ciphers, ALPN) and wrapSocket().
 *
 * Everything a caller can get wrong (a missing file, garbage PEM, a wrong passphrase, a
 * key that is not the certificate's, an unknown cipher) fails in the call that loads it,
 * never at the first connection. The Node SecureContext is built once and reused by
 * every connection until a setting changes, which also keeps session tickets valid
 * across a server's connections.
 */
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext, rootCertificates, type SecureContext, type SecureVersion } from "node:tls";
import { fromNodeError } from "../errors.js";
import type { Socket } from "../socket/socket.js";
import {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  type Protocol,
  Purpose,
  type PurposeObject,
  TLSVersion,
  type VerifyMode,
} from "./constants.js";
import { fromTlsError, SSLError, ValueError } from "./errors.js";
import type { SSLSession } from "./session.js";
import { type SSLSocket, wrap } from "./ssl-socket.js";

/** Where loadVerifyLocations() finds trusted certificates (Python's three arguments). */
export interface VerifyLocations {
  /** A file of PEM certificates. */
  cafile?: string | null;
  /** A directory of PEM files; every certificate in them is trusted. */
  capath?: string | null;
  /** PEM text (one or more certificates) or DER bytes of one certificate. */
  cadata?: string | Uint8Array | null;
}

/** A key's passphrase: text, bytes, or a function returning either (Python's `password`). */
export type Password = string | Uint8Array | (() => string | Uint8Array);

export interface WrapSocketOptions {
  /** Accept TLS connections (a listening or accepted socket) instead of dialling. */
  serverSide?: boolean;
  /** The server's name: checked against its certificate, and sent as SNI unless it is an IP literal. */
  serverHostname?: string | null;
  /** A session to resume, from a connection with the same context and serverHostname. */
  session?: SSLSession | null;
  /** Handshake at once (default true); otherwise call doHandshake(). */
  doHandshakeOnConnect?: boolean;
}

/** What an SSLSocket needs from its context; read through settingsOf(). */
export interface ContextSettings {
  readonly secure: SecureContext;
  readonly serverSide: boolean;
  readonly verifyMode: VerifyMode;
  readonly checkHostname: boolean;
  /** ALPN protocols in wire format (length-prefixed names), or null. */
  readonly alpn: Buffer | null;
}

/** Reads a context's settings (for ssl-socket.ts), building its SecureContext if needed. */
export let settingsOf: (context: SSLContext) => ContextSettings;

const VERSIONS: Record<number, SecureVersion | undefined> = {
  [TLSVersion.TLSv1]: "TLSv1",
  [TLSVersion.TLSv1_1]: "TLSv1.1",
  [TLSVersion.TLSv1_2]: "TLSv1.2",
  [TLSVersion.TLSv1_3]: "TLSv1.3",
};

export class SSLContext {
  /** PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER. */
  readonly protocol: Protocol;
  #verifyMode: VerifyMode;
  #checkHostname: boolean;
  #minimumVersion: TLSVersion = TLSVersion.MINIMUM_SUPPORTED;
  #maximumVersion: TLSVersion = TLSVersion.MAXIMUM_SUPPORTED;
  #ciphers: string | null = null;
  #alpn: Buffer | null = null;
  #chain: { cert: string; key: string; passphrase: string | undefined } | null = null;
  /** Trust added by loadVerifyLocations(), as PEM. */
  readonly #extraCa: string[] = [];
  /** loadDefaultCerts() was called: Node's bundled roots (and NODE_EXTRA_CA_CERTS) are trusted. */
  #defaults = false;
  /** TLS 1.2 session-ID resumption with client certificates needs one per context. */
  readonly #sessionIdContext = randomBytes(16).toString("hex");
  #built: SecureContext | null = null;

  constructor(protocol: Protocol = PROTOCOL_TLS_CLIENT) {
    if (protocol !== PROTOCOL_TLS_CLIENT && protocol !== PROTOCOL_TLS_SERVER) {
      throw new ValueError(`invalid or unsupported protocol version ${String(protocol)}`);
    }
    this.protocol = protocol;
    const client = protocol === PROTOCOL_TLS_CLIENT;
    this.#verifyMode = client ? CERT_REQUIRED : CERT_NONE;
    this.#checkHostname = client;
  }

  static {
    settingsOf = (context) => ({
      secure: context.#secureContext(),
      serverSide: context.protocol === PROTOCOL_TLS_SERVER,
      verifyMode: context.#verifyMode,
      checkHostname: context.#checkHostname,
      alpn: context.#alpn,
    });
  }

  /** CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED. CERT_NONE is refused while checkHostname is on. */
  get verifyMode(): VerifyMode {
    return this.#verifyMode;
  }

  set verifyMode(mode: VerifyMode) {
    if (mode !== CERT_NONE && mode !== CERT_OPTIONAL && mode !== CERT_REQUIRED) {
      throw new ValueError("invalid value for verify_mode");
    }
    if (mode === CERT_NONE && this.#checkHostname) {
      throw new ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
    }
    this.#verifyMode = mode;
  }

  /**
   * Whether the server's certificate must name the server (serverHostname). Turning it on
   * under CERT_NONE raises verifyMode to CERT_REQUIRED, as Python 3.7+ does.
   */
  get checkHostname(): boolean {
    return this.#checkHostname;
  }

  set checkHostname(on: boolean) {
    if (on && this.#verifyMode === CERT_NONE) this.#verifyMode = CERT_REQUIRED;
    this.#checkHostname = Boolean(on);
  }

  get minimumVersion(): TLSVersion {
    return this.#minimumVersion;
  }

  set minimumVersion(version: TLSVersion) {
    checkVersion(version);
    this.#minimumVersion = version;
    this.#built = null;
  }

  get maximumVersion(): TLSVersion {
    return this.#maximumVersion;
  }

  set maximumVersion(version: TLSVersion) {
    checkVersion(version);
    this.#maximumVersion = version;
    this.#built = null;
  }

  /**
   * This side's certificate (chain) and key, from files: the key from `keyfile`, or from
   * `certfile` when one PEM holds both. An encrypted key needs `password`.
   */
  loadCertChain(certfile: string, keyfile?: string | null, password?: Password | null): void {
    const certPem = readText(certfile);
    const keyPem = keyfile ? readText(keyfile) : certPem;
    this.#loadChain(certPem, keyPem, certfile, keyfile ?? certfile, password);
  }

  /**
   * A hotline extension: loadCertChain() from PEM text instead of files (a certificate
   * made by generateCertificate(), say). `key` defaults to `cert` (one PEM holding both).
   */
  loadCertChainData(cert: string, key?: string | null, password?: Password | null): void {
    if (typeof cert !== "string" || (key !== undefined && key !== null && typeof key !== "string")) {
      throw new TypeError("loadCertChainData() takes PEM text");
    }
    this.#loadChain(cert, key ?? cert, "the certificate data", key ? "the key data" : "the certificate data", password);
  }

  #loadChain(certPem: string, keyPem: string, certfile: string, keyName: string, password?: Password | null): void {
    const passphrase = password === undefined || password === null ? undefined : passwordText(password);
    let key: ReturnType<typeof createPrivateKey>;
    try {
      key = createPrivateKey({ key: keyPem, format: "pem", ...(passphrase === undefined ? {} : { passphrase }) });
    } catch (err) {
      throw keyError(err, keyName, passphrase !== undefined, keyPem.includes("ENCRYPTED"));
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(firstCertificate(certPem, certfile));
    } catch (err) {
      if (err instanceof SSLError) throw err;
      throw fromTlsError(err, `${certfile}: not a valid PEM certificate`);
    }
    if (!cert.checkPrivateKey(key)) {
      throw new SSLError(
        `key values mismatch: the key in ${keyName} does not belong to the certificate in ${certfile}`,
        {
          reason: "KEY_VALUES_MISMATCH",
          library: "X509",
        },
      );
    }
    const chain = { cert: certPem, key: keyPem, passphrase };
    try {
      createSecureContext({ cert: chain.cert, key: chain.key, passphrase: chain.passphrase });
    } catch (err) {
      throw fromTlsError(err, `${certfile}`);
    }
    this.#chain = chain;
    this.#built = null;
  }

  /**
   * Trusts more certificates: a PEM file (`cafile`, or a string as Python's first
   * argument), a directory of PEM files, or PEM/DER data. Adds to what is trusted already
   * (Node's `ca` would replace Node's roots; hotline keeps them when loaded).
   */
  loadVerifyLocations(locations: string | VerifyLocations): void {
    const where: VerifyLocations = typeof locations === "string" ? { cafile: locations } : (locations ?? {});
    const { cafile, capath, cadata } = where;
    if (!cafile && !capath && (cadata === undefined || cadata === null)) {
      throw new TypeError("cafile, capath and cadata cannot be all omitted");
    }
    const found: string[] = [];
    if (cafile) found.push(...certificatesIn(readText(cafile), cafile));
    if (capath) {
      for (const name of listDirectory(capath)) {
        const path = join(capath, name);
        let text: string;
        try {
          if (!statSync(path).isFile()) continue;
          text = readFileSync(path, "latin1");
        } catch {
          continue; // OpenSSL's hashed directory: unreadable entries are skipped, as there
        }
        if (text.includes("-----BEGIN CERTIFICATE-----")) found.push(...certificatesIn(text, path));
      }
    }
    if (cadata !== undefined && cadata !== null) {
      if (typeof cadata === "string") found.push(...certificatesIn(cadata, "cadata"));
      else if (cadata instanceof Uint8Array) {
        try {
          found.push(new X509Certificate(Buffer.from(cadata)).toString());
        } catch (err) {
          throw fromTlsError(err, "cadata: not a DER certificate");
        }
      } else throw new TypeError("cadata should be a string or bytes");
    }
    this.#extraCa.push(...found);
    this.#built = null;
  }

  /**
   * Trusts the default roots: Node's bundled Mozilla store, plus NODE_EXTRA_CA_CERTS and
   * SSL_CERT_FILE when set (Node 20 cannot read the system store itself).
   */
  loadDefaultCerts(purpose: PurposeObject = Purpose.SERVER_AUTH): void {
    if (purpose !== Purpose.SERVER_AUTH && purpose !== Purpose.CLIENT_AUTH) {
      throw new TypeError("purpose must be Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH");
    }
    this.#defaults = true;
    this.#built = null;
  }

  /** OpenSSL cipher list (TLS 1.2) and/or TLS 1.3 suite names; SSLError if none is usable. */
  setCiphers(ciphers: string): void {
    if (typeof ciphers !== "string") throw new TypeError("ciphers must be a string");
    try {
      createSecureContext({ ciphers });
    } catch (err) {
      throw new SSLError("No cipher can be selected.", { cause: err, nodeCode: codeOf(err) });
    }
    this.#ciphers = ciphers;
    this.#built = null;
  }

  /** ALPN protocols to offer (client) or accept (server), most preferred first. */
  setAlpnProtocols(protocols: readonly string[]): void {
    if (!Array.isArray(protocols)) throw new TypeError("protocols must be a list of strings");
    const parts: Buffer[] = [];
    for (const name of protocols) {
      if (typeof name !== "string") throw new TypeError("ALPN protocols must be strings");
      const bytes = Buffer.from(name, "utf8");
      if (bytes.length === 0 || bytes.length > 255) {
        throw new SSLError(`ALPN protocols must be 1 to 255 in length, not ${bytes.length}`);
      }
      parts.push(Buffer.from([bytes.length]), bytes);
    }
    this.#alpn = parts.length === 0 ? null : Buffer.concat(parts);
  }

  /**
   * Wraps a stream socket, which is detached (using it afterwards fails as on a closed
   * socket). A connected socket handshakes now (bounded by its timeout); an unconnected
   * client handshakes in connect(); a listening server in each accept().
   */
  wrapSocket(sock: Socket, options: WrapSocketOptions = {}): Promise<SSLSocket> {
    return wrap(this, sock, options);
  }

  toString(): string {
    return `<hotline.ssl.SSLContext ${this.protocol === PROTOCOL_TLS_CLIENT ? "PROTOCOL_TLS_CLIENT" : "PROTOCOL_TLS_SERVER"}>`;
  }

  #secureContext(): SecureContext {
    if (this.#built) return this.#built;
    const min = this.#minimumVersion;
    const max = this.#maximumVersion;
    const options: Parameters<typeof createSecureContext>[0] = {
      minVersion: min === TLSVersion.MINIMUM_SUPPORTED ? undefined : VERSIONS[min],
      maxVersion: max === TLSVersion.MAXIMUM_SUPPORTED ? "TLSv1.3" : VERSIONS[max],
      sessionIdContext: this.#sessionIdContext,
      ca: this.#trust(),
    };
    if (this.#ciphers !== null) options.ciphers = this.#ciphers;
    if (this.#chain) Object.assign(options, this.#chain);
    try {
      this.#built = createSecureContext(options);
    } catch (err) {
      // Only combinations of valid settings get here (say, a maximum below the minimum).
      throw fromTlsError(err);
    }
    return this.#built;
  }

  /** Node's `ca`: undefined means Node's roots; an empty list trusts nothing, as a bare Python context. */
  #trust(): string[] | undefined {
    if (!this.#defaults) return [...this.#extraCa];
    const envFiles = [process.env.NODE_EXTRA_CA_CERTS, process.env.SSL_CERT_FILE].filter((f): f is string => !!f);
    if (this.#extraCa.length === 0 && envFiles.length === 0) return undefined;
    const env: string[] = [];
    for (const file of envFiles) {
      try {
        env.push(...certificatesIn(readFileSync(file, "latin1"), file));
      } catch {
        // An unreadable default store is what OpenSSL skips too.
      }
    }
    return [...rootCertificates, ...env, ...this.#extraCa];
  }
}

/**
 * Python's create_default_context(): a client context (Purpose.SERVER_AUTH) that requires
 * a certificate naming the server, or a server context (Purpose.CLIENT_AUTH); TLS 1.2 at
 * least; the default roots trusted, or the given ones (then only those, as Python).
 */
export function createDefaultContext(
  purpose: PurposeObject = Purpose.SERVER_AUTH,
  locations: VerifyLocations = {},
): SSLContext {
  let context: SSLContext;
  if (purpose === Purpose.SERVER_AUTH) context = new SSLContext(PROTOCOL_TLS_CLIENT);
  else if (purpose === Purpose.CLIENT_AUTH) context = new SSLContext(PROTOCOL_TLS_SERVER);
  else throw new TypeError("purpose must be Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH");
  context.minimumVersion = TLSVersion.TLSv1_2;
  const { cafile, capath, cadata } = locations;
  if (cafile || capath || (cadata !== undefined && cadata !== null)) context.loadVerifyLocations(locations);
  else if (context.verifyMode !== CERT_NONE) context.loadDefaultCerts(purpose);
  return context;
}

function checkVersion(version: TLSVersion): void {
  if (version !== TLSVersion.MINIMUM_SUPPORTED && version !== TLSVersion.MAXIMUM_SUPPORTED && !VERSIONS[version]) {
    throw new ValueError(`unsupported TLS version ${String(version)}`);
  }
}

function readText(path: string): string {
  if (typeof path !== "string" || path === "") throw new TypeError("a file name is needed");
  try {
    return readFileSync(path, "latin1");
  } catch (err) {
    throw fromNodeError(err, path);
  }
}

function listDirectory(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (err) {
    throw fromNodeError(err, path);
  }
}

function passwordText(password: Password): string {
  const value = typeof password === "function" ? password() : password;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("latin1");
  throw new TypeError("password should be a string or bytes");
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every PEM certificate in `text`, each checked; SSLError if there is none or one is bad. */
function certificatesIn(text: string, where: string): string[] {
  const blocks = text.match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    throw new SSLError(`no certificate or crl found in ${where}`, {
      reason: "NO_CERTIFICATE_OR_CRL_FOUND",
      library: "X509",
    });
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw fromTlsError(err, `${where}: a certificate that cannot be read`);
    }
  }
  return blocks;
}

function firstCertificate(text: string, where: string): string {
  const block = text.match(PEM_CERT)?.[0];
  if (!block) {
    throw new SSLError(`no PEM certificate found in ${where}`, { reason: "NO_START_LINE", library: "PEM" });
  }
  return block;
}

function codeOf(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : null;
}

/** Why a private key did not load, in words a user can act on. */
function keyError(err: unknown, where: string, hadPassword: boolean, encrypted: boolean): SSLError {
  const code = codeOf(err);
  // OpenSSL 3 says "interrupted or cancelled" when it had no passphrase to ask for.
  if (!hadPassword && (encrypted || code === "ERR_MISSING_PASSPHRASE" || code?.includes("INTERRUPTED"))) {
    return new SSLError(`the key in ${where} is encrypted and no password was given`, {
      reason: "BAD_PASSWORD_READ",
      library: "PEM",
      nodeCode: code,
      cause: err,
    });
  }
  if (code === "ERR_OSSL_BAD_DECRYPT" || (hadPassword && code?.includes("DECRYPT"))) {
    return new SSLError(`bad decrypt: wrong password for the key in ${where}`, {
      reason: "BAD_DECRYPT",
      library: "PEM",
      nodeCode: code,
      cause: err,
    });
  }
  return new SSLError(`no private key could be read from ${where}`, {
    reason: "NO_START_LINE",
    library: "PEM",
    nodeCode: code,
    cause: err,
  });
}
