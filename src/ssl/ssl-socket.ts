/**
 * Python's ssl.SSLSocket: a hotline Socket whose stream runs over TLS.
 *
 * The socket machinery is Socket's own: once the handshake is done, the Node TLSSocket
 * takes the place of the TCP (or Unix) socket under Socket's stream connection, so recv,
 * send, shutdown, close, timeouts, makefile, chunks and forward work unchanged. This
 * file does the handshakes and the checks Node leaves to its callers:
 *
 * - A client handshakes with Node's own verification off and checks the chain and the
 *   name itself before the connection is handed over, so the peer's certificate stays
 *   readable when verification fails (the CLI shows its fingerprint). Nothing is read
 *   from or written to the TLS stream before that check; a failure resets TCP.
 * - A session is offered only to the context and server name it came from (Node 20
 *   would resume it under another name and call it authorised).
 * - SNI is sent for DNS names, never for IP literals.
 */
import { X509Certificate } from "node:crypto";
import { isIP, type Socket as NetSocket } from "node:net";
import {
  checkServerIdentity,
  type PeerCertificate as NodePeerCertificate,
  TLSSocket,
  connect as tlsConnect,
} from "node:tls";
import type { Address, AddressInput } from "../address.js";
import { SO_LINGER, SOCK_STREAM, SOL_SOCKET } from "../constants.js";
import { fromNodeError, oserror, TimeoutError } from "../errors.js";
import { adoptStream, moveSocket, Socket } from "../socket/socket.js";
import { Deadline, until } from "../socket/wait.js";
import { CERT_NONE, CERT_REQUIRED } from "./constants.js";
import { type SSLContext, settingsOf, type WrapSocketOptions } from "./context.js";
import { chainError, fromTlsError, nameError, SSL_ERROR_EOF, SSLEOFError, SSLError, ValueError } from "./errors.js";
import { type PeerCertificate, peerCertificateDict } from "./peer-cert.js";
import { newSession, type SSLSession, secretsOf } from "./session.js";

/** Only wrapSocket() and accept() make SSLSockets, as in Python. */
const MAKER = Symbol("SSLSocket");

/**
 * How long a closed TLS connection keeps reading for the peer's late bytes (TLS 1.3 session
 * tickets) before it lets go: see StreamConn. An RTT is enough; a peer that closes in
 * turn ends the wait at once.
 */
const CLOSE_DRAIN_MS = 2000;

/** TLS alerts after the handshake are SSLErrors (as Python's recv raises them); the rest Socket maps. */
function streamError(err: unknown): SSLError | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("ERR_SSL_") || code.startsWith("ERR_OSSL_"))
    ? fromTlsError(err)
    : null;
}

/** A client waits for late session tickets on close; a server gets none, so it closes at once. */
const CLIENT_STREAM = { drainOnCloseMs: CLOSE_DRAIN_MS, mapError: streamError };
const SERVER_STREAM = { drainOnCloseMs: 0, mapError: streamError };

/** wrap()'s way to a new SSLSocket's private handshake (set in the class's static block). */
let start: (ssl: SSLSocket, raw: NetSocket) => Promise<void>;

interface Handshaken {
  tls: TLSSocket;
  /** The TCP (or Unix) socket under it. */
  raw: NetSocket;
  peer: X509Certificate | null;
  /** The peer's certificate was verified (getpeercert() shows it only then, as Python). */
  verified: boolean;
}

export class SSLSocket extends Socket {
  /** The context this socket was made by. */
  readonly context: SSLContext;
  /** True for the accepting side. */
  readonly serverSide: boolean;
  /** The name the server is checked against (client side), or null. */
  readonly serverHostname: string | null;
  readonly #handshakeOnConnect: boolean;
  #offered: SSLSession | null;
  #latest: SSLSession | null = null;
  /** A session that arrived before the handshake's checks were done. */
  #early: Buffer | null = null;
  #done: Handshaken | null = null;
  /** Connected, handshake not done yet (doHandshakeOnConnect false). */
  #pending: NetSocket | null = null;
  /** The handshake under way: close() ends it at once rather than leaving it to its timeout. */
  #inFlight: { tls: TLSSocket; raw: NetSocket } | null = null;
  #handshaking: Promise<void> | null = null;
  #dialling = false;
  #closed = false;

  /** Not public: SSLSockets come from SSLContext.wrapSocket() and accept(). */
  constructor(
    maker: symbol,
    context: SSLContext,
    like: { family: number; type: number; proto: number },
    options: Required<Pick<WrapSocketOptions, "serverSide" | "doHandshakeOnConnect">> & {
      serverHostname: string | null;
      session: SSLSession | null;
    },
  ) {
    if (maker !== MAKER) {
      throw new TypeError("SSLSocket does not have a public constructor; use SSLContext.wrapSocket()");
    }
    super(like.family, like.type, like.proto);
    this.context = context;
    this.serverSide = options.serverSide;
    this.serverHostname = options.serverHostname;
    this.#handshakeOnConnect = options.doHandshakeOnConnect;
    this.#offered = options.session;
  }

  static {
    start = (ssl, raw) => {
      if (!ssl.#handshakeOnConnect) {
        ssl.#pending = raw;
        return Promise.resolve();
      }
      return ssl.#handshake(raw, handshakeDeadline(ssl.gettimeout()));
    };
  }

  /**
   * Connects and handshakes (Python's `wrap_socket(socket(), server_hostname=h).connect(a)`).
   * The timeout bounds the TCP connect and then the handshake.
   */
  override async connect(address: AddressInput): Promise<void> {
    if (this.serverSide) throw new ValueError("can't connect in server-side mode");
    if (this.#closed) throw oserror("EBADF");
    if (this.#done || this.#pending) throw oserror("EISCONN");
    if (this.#dialling) throw oserror("EALREADY");
    this.#dialling = true;
    try {
      // TCP through a plain socket that takes this one's options, bound address and timeout.
      const plain = new Socket(this.family, this.type, this.proto);
      const timeout = this.gettimeout();
      moveSocket(this, plain, "fresh");
      // A non-blocking socket dials and handshakes to the end, as its handshake must (see handshakeDeadline).
      if (timeout === 0) plain.settimeout(null);
      try {
        await plain.connect(address);
      } catch (err) {
        if (!this.#closed) moveSocket(plain, this, "closed");
        this.settimeout(timeout);
        throw err;
      }
      const raw = moveSocket(plain, this, "closed");
      this.settimeout(timeout);
      if (!raw) throw oserror("ENOTCONN");
      if (this.#closed) {
        raw.destroy();
        throw oserror("EBADF");
      }
      if (this.#handshakeOnConnect) await this.#handshake(raw, handshakeDeadline(this.gettimeout()));
      else this.#pending = raw;
    } finally {
      this.#dialling = false;
    }
  }

  /** Accepts a caller and handshakes with it (bounded by this socket's timeout): `[SSLSocket, address]`. */
  override async accept(): Promise<[SSLSocket, Address]> {
    const [plain, address] = await super.accept();
    const deadline = handshakeDeadline(this.gettimeout());
    const sock = new SSLSocket(MAKER, this.context, plain, {
      serverSide: true,
      serverHostname: null,
      session: null,
      doHandshakeOnConnect: this.#handshakeOnConnect,
    });
    const raw = moveSocket(plain, sock, "closed");
    if (!raw) throw oserror("ENOTCONN");
    if (this.#handshakeOnConnect) await sock.#handshake(raw, deadline);
    else sock.#pending = raw;
    return [sock, address];
  }

  /** The handshake of a socket wrapped or accepted with doHandshakeOnConnect false; bounded by the timeout. */
  async doHandshake(): Promise<void> {
    if (this.#closed) throw oserror("EBADF");
    if (this.#handshaking) return this.#handshaking;
    if (this.#done) return;
    const raw = this.#pending;
    if (!raw) throw oserror("ENOTCONN");
    this.#pending = null;
    this.#handshaking = this.#handshake(raw, handshakeDeadline(this.gettimeout()));
    try {
      await this.#handshaking;
    } finally {
      this.#handshaking = null;
    }
  }

  /** Closes as Socket.close() does: close_notify, then FIN; SO_LINGER (1, 0) resets the TCP connection. */
  override close(): Promise<void> {
    if (!this.#closed && this.#done && !this.#done.raw.destroyed) {
      const linger = this.getsockopt(SOL_SOCKET, SO_LINGER, 8) as Buffer;
      // Socket's own reset cannot go through a TLS socket: mark the TCP socket under it. Not
      // once this side's FIN was asked for (shutdown): libuv cannot reset while a shutdown is
      // queued, and the handle is then never closed (Node 24 spun at 100% CPU); closing
      // discards what is queued all the same.
      const finning = this.#done.tls.writableEnded;
      if (!finning && linger.readInt32LE(0) !== 0 && linger.readInt32LE(4) === 0) markReset(this.#done.raw);
    }
    this.#closed = true;
    this.#pending?.destroy();
    this.#pending = null;
    if (this.#inFlight) abort(this.#inFlight.tls, this.#inFlight.raw);
    return super.close();
  }

  /**
   * The peer's certificate: the DER bytes with `binaryForm`, else Python's dictionary,
   * which is empty when the certificate was not verified (CERT_NONE) as in Python. null
   * when the peer sent none. ValueError before the handshake.
   */
  getpeercert(binaryForm: true): Buffer | null;
  getpeercert(binaryForm?: false): PeerCertificate | Record<string, never> | null;
  getpeercert(binaryForm = false): Buffer | PeerCertificate | Record<string, never> | null {
    const done = this.#handshaken();
    if (!done.peer) return null;
    if (binaryForm) return done.peer.raw;
    return done.verified ? peerCertificateDict(done.peer) : {};
  }

  /**
   * A hotline extension: the peer's certificate as Node's X509Certificate, verified or
   * not (`fingerprint256` for pinning); null before the handshake or when none was sent.
   */
  peerCertificate(): X509Certificate | null {
    return this.#done?.peer ?? null;
  }

  /** The protocol version agreed ("TLSv1.3"), or null before the handshake. */
  version(): string | null {
    return this.#done?.tls.getProtocol() ?? null;
  }

  /** `[name, protocol, secretBits]` of the cipher in use, or null before the handshake. */
  cipher(): [string, string, number] | null {
    const tls = this.#done?.tls;
    if (!tls) return null;
    const { name, version } = tls.getCipher();
    return [name, version, secretBits(name)];
  }

  /** The ALPN protocol both sides chose, or null if none. */
  selectedAlpnProtocol(): string | null {
    const chosen = this.#done?.tls.alpnProtocol;
    return typeof chosen === "string" ? chosen : null;
  }

  /** Python's compression(): always null (TLS compression is off in OpenSSL 3). */
  compression(): null {
    return null;
  }

  /**
   * The TLS session to offer to a later connection (client side): with TLS 1.3 it arrives
   * after the handshake, so read something first. null before any.
   */
  get session(): SSLSession | null {
    return this.#latest;
  }

  /** Whether the handshake resumed the offered session. */
  get sessionReused(): boolean {
    return this.#done?.tls.isSessionReused() ?? false;
  }

  override toString(): string {
    return super.toString().replace("<hotline.socket", "<hotline.ssl.SSLSocket");
  }

  #handshaken(): Handshaken {
    if (this.#closed) throw oserror("EBADF");
    if (!this.#done) throw new ValueError("handshake not done yet");
    return this.#done;
  }

  /** Handshakes over `raw`, checks the peer, and makes the TLS stream this socket's; resets on failure. */
  async #handshake(raw: NetSocket, deadline: Deadline): Promise<void> {
    const settings = settingsOf(this.context);
    const tls = this.serverSide ? this.#serverSocket(raw, settings) : this.#clientSocket(raw, settings);
    let done: Handshaken;
    this.#inFlight = { tls, raw };
    try {
      await until<void>(deadline, (ok, fail) => {
        const succeeded = (): void => ok();
        const failed = (err: unknown): void => fail(handshakeError(err));
        const closed = (): void => fail(eofError());
        const event = this.serverSide ? "secure" : "secureConnect";
        tls.once(event, succeeded);
        tls.on("error", failed);
        tls.on("_tlsError", failed); // a server TLSSocket reports its handshake errors here
        tls.once("close", closed);
        tls.once("end", closed); // a peer that half-closes mid-handshake only ends the stream
        return () => {
          tls.off(event, succeeded);
          tls.off("error", failed);
          tls.off("_tlsError", failed);
          tls.off("close", closed);
          tls.off("end", closed);
        };
      });
      done = this.serverSide ? this.#checkClient(tls, raw, settings) : this.#checkServer(tls, raw, settings);
    } catch (err) {
      abort(tls, raw);
      if (err instanceof TimeoutError) {
        const timeout = new TimeoutError("ETIMEDOUT");
        timeout.message = "The handshake operation timed out";
        throw timeout;
      }
      throw err;
    } finally {
      this.#inFlight = null;
    }
    // Errors after the handshake reach Socket's stream connection, which listens from now on.
    tls.on("error", () => {});
    if (this.#closed || !adoptStream(this, tls, this.serverSide ? SERVER_STREAM : CLIENT_STREAM)) {
      abort(tls, raw);
      throw oserror("EBADF");
    }
    this.#done = done;
    if (this.#early) this.#latest = this.#sessionOf(this.#early, done);
    this.#early = null;
  }

  #sessionOf(data: Buffer, done: Handshaken): SSLSession {
    return newSession(this.context, this.serverHostname, { data, peer: done.peer, verified: done.verified });
  }

  #clientSocket(raw: NetSocket, settings: ReturnType<typeof settingsOf>): TLSSocket {
    const host = this.serverHostname;
    const offered = this.#offered ? secretsOf(this.#offered) : null;
    const tls = tlsConnect({
      socket: raw,
      secureContext: settings.secure,
      // Verified below, by hand, so that the certificate is still there when it fails.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(host !== null && isIP(host) === 0 ? { servername: host } : {}),
      ...(settings.alpn ? { ALPNProtocols: settings.alpn } : {}),
      ...(offered ? { session: offered.data } : {}),
    });
    // TLS 1.2's session comes during the handshake: kept aside until the peer passed the checks.
    tls.on("session", (data: Buffer) => {
      if (this.#done) this.#latest = this.#sessionOf(data, this.#done);
      else this.#early = data;
    });
    return tls;
  }

  #serverSocket(raw: NetSocket, settings: ReturnType<typeof settingsOf>): TLSSocket {
    const ask = settings.verifyMode !== CERT_NONE;
    return new TLSSocket(raw, {
      isServer: true,
      secureContext: settings.secure,
      requestCert: ask,
      // With requestCert, makes OpenSSL refuse a client that sends no certificate.
      rejectUnauthorized: settings.verifyMode === CERT_REQUIRED,
      ...(settings.alpn ? { ALPNProtocols: settings.alpn } : {}),
    });
  }

  /** The server's certificate against the chain and the name, before any byte moves. */
  #checkServer(tls: TLSSocket, raw: NetSocket, settings: ReturnType<typeof settingsOf>): Handshaken {
    const resumed = tls.isSessionReused();
    const offered = this.#offered ? secretsOf(this.#offered) : null;
    const peer = peerOf(tls) ?? (resumed ? (offered?.peer ?? null) : null);
    if (settings.verifyMode === CERT_NONE) return { tls, raw, peer, verified: false };
    if (!tls.authorized) {
      const code = tls.authorizationError;
      throw chainError(typeof code === "string" ? code : String(code ?? "CERT_UNTRUSTED"), peer);
    }
    // A resumed session was verified for this very name (wrap refuses any other).
    if (settings.checkHostname && !resumed) {
      const host = this.serverHostname as string;
      const ip = isIP(host) !== 0;
      // An IP is matched by OpenSSL against the certificate's IP entries only: Node 22.23's
      // checkServerIdentity misses ::1 written as 0:0:0:0:0:0:0:1 in the certificate.
      const failure = ip
        ? peer?.checkIP(host) === undefined
          ? Object.assign(new Error(`IP: ${host} is not in the certificate's IP entries`), {
              code: "ERR_TLS_CERT_ALTNAME_INVALID",
            })
          : undefined
        : checkServerIdentity(host, tls.getPeerCertificate() as NodePeerCertificate);
      if (failure) throw nameError(host, ip, peer, failure);
    }
    return { tls, raw, peer, verified: resumed ? (offered?.verified ?? false) : true };
  }

  /** A client's certificate, when asked for: OpenSSL accepted it only because Node checks it in JavaScript. */
  #checkClient(tls: TLSSocket, raw: NetSocket, settings: ReturnType<typeof settingsOf>): Handshaken {
    const peer = peerOf(tls);
    if (settings.verifyMode === CERT_NONE) return { tls, raw, peer, verified: false };
    if (!peer) {
      if (settings.verifyMode === CERT_REQUIRED) {
        throw new SSLError("peer did not return a certificate", {
          reason: "PEER_DID_NOT_RETURN_A_CERTIFICATE",
          library: "SSL",
        });
      }
      return { tls, raw, peer, verified: false };
    }
    const handle = (tls as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
    if (typeof handle?.verifyError !== "function") {
      throw new SSLError("this Node cannot tell whether the client's certificate verified");
    }
    const failure = handle.verifyError();
    if (failure) {
      throw chainError(String((failure as { code?: unknown }).code ?? "CERT_UNTRUSTED"), peer);
    }
    return { tls, raw, peer, verified: true };
  }
}

/**
 * The peer's certificate. Not getPeerX509Certificate(): on Node 20, calling it spoils
 * every later getPeerCertificate() on the socket (no names; measured: a segfault soon
 * after), and Node's own checks call that one.
 */
function peerOf(tls: TLSSocket): X509Certificate | null {
  const raw = (tls.getPeerCertificate(false) as { raw?: Buffer } | null)?.raw;
  return raw ? new X509Certificate(raw) : null;
}

/** SSLContext.wrapSocket(). */
export async function wrap(context: SSLContext, sock: Socket, options: WrapSocketOptions): Promise<SSLSocket> {
  if (!(sock instanceof Socket)) throw new TypeError("wrapSocket() needs a hotline Socket");
  if (sock.type !== SOCK_STREAM)
    throw oserror("EOPNOTSUPP", "only stream sockets can be wrapped (DTLS is not offered)");
  const serverSide = options.serverSide ?? false;
  const serverHostname = options.serverHostname ?? null;
  const session = options.session ?? null;
  const settings = settingsOf(context);
  if (serverSide && !settings.serverSide) {
    throw new ValueError("Cannot create a server socket with a PROTOCOL_TLS_CLIENT context");
  }
  if (!serverSide && settings.serverSide) {
    throw new ValueError("Cannot create a client socket with a PROTOCOL_TLS_SERVER context");
  }
  if (serverSide && serverHostname !== null)
    throw new ValueError("server_hostname can only be specified in client mode");
  if (serverSide && session !== null) throw new ValueError("session can only be specified in client mode");
  if (serverHostname !== null) checkHostname(serverHostname);
  if (!serverSide && settings.checkHostname && serverHostname === null) {
    throw new ValueError("check_hostname requires server_hostname");
  }
  if (session !== null) {
    if (session.context !== context) throw new ValueError("Session refers to a different SSLContext.");
    if (session.serverHostname !== serverHostname) {
      throw new ValueError(
        `Session refers to a different server name (${String(session.serverHostname)}, not ${String(serverHostname)}): ` +
          "resuming it would skip the certificate check for this name",
      );
    }
  }
  const ssl = new SSLSocket(MAKER, context, sock, {
    serverSide,
    serverHostname,
    session,
    doHandshakeOnConnect: options.doHandshakeOnConnect ?? true,
  });
  const raw = moveSocket(sock, ssl, "closed");
  if (raw) await start(ssl, raw);
  return ssl;
}

function checkHostname(host: string): void {
  if (typeof host !== "string") throw new TypeError("server_hostname must be a string");
  if (host === "" || host.startsWith(".") || host.includes("\0")) {
    throw new ValueError(
      `server_hostname cannot be an empty string or start with a leading dot: ${JSON.stringify(host)}`,
    );
  }
}

/** The socket's timeout bounds the handshake; a non-blocking socket's handshake still waits (Node has no partial handshake). */
function handshakeDeadline(timeout: number | null): Deadline {
  return timeout === 0 ? Deadline.never : Deadline.after(timeout);
}

/**
 * Ends a connection whose handshake failed, with RST for TCP so the peer learns at once.
 * Not raw.resetAndDestroy(): under a TLSSocket it closes the handle TLS still uses (Node
 * 20 segfaults). Instead the TLS socket's close, which destroys the TCP socket, is made to
 * reset it the way resetAndDestroy() does (an internal flag; without it, a plain close).
 */
function abort(tls: TLSSocket, raw: NetSocket): void {
  tls.on("error", () => {}); // nobody listens any more: a late failure must not crash the process
  markReset(raw);
  tls.destroy();
  raw.destroy();
}

/** Makes the next destroy() of a TCP socket send RST (resetAndDestroy's own flag); nothing for a Unix socket. */
function markReset(raw: NetSocket): void {
  const handle = (raw as unknown as { _handle?: { reset?: unknown } })._handle;
  if (typeof handle?.reset === "function") (raw as unknown as { resetAndClosing: boolean }).resetAndClosing = true;
}

function eofError(): SSLEOFError {
  return new SSLEOFError("EOF occurred in violation of protocol", {
    errno: SSL_ERROR_EOF,
    reason: "UNEXPECTED_EOF_WHILE_READING",
    library: "SSL",
  });
}

/** A handshake failure as Python raises it: SSLError for TLS, OSError for the connection. */
function handshakeError(err: unknown): Error {
  if (err instanceof SSLError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = String((err as { message?: unknown } | null)?.message ?? "");
  if (code === "ECONNRESET" && message.includes("before secure TLS connection")) return eofError();
  if (typeof code === "string" && (code.startsWith("ERR_SSL_") || code.startsWith("ERR_OSSL_"))) {
    return fromTlsError(err);
  }
  if (typeof code === "string" && code.startsWith("ERR_TLS_")) return fromTlsError(err);
  return fromNodeError(err);
}

/** The cipher's key size, as Python's third field, from its name. */
function secretBits(name: string): number {
  if (/CHACHA20|256/.test(name)) return 256;
  if (/128/.test(name)) return 128;
  if (/3DES|DES-CBC3/.test(name)) return 168;
  return 0;
}
