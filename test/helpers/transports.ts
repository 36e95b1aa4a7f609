/**
 * The stream transports every contract test runs on, and helpers to make connected pairs
 * over them with real sockets: port 0 on loopback, Unix sockets in a fresh temp dir, and
 * TLS over tcp4 (the test PKI's server certificate, trusted through the test CA).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as socket from "../../src/index.js";
import * as ssl from "../../src/ssl/index.js";
import { testPki } from "./certs.js";

export interface Transport {
  name: string;
  family: number;
  /** The family argument for test/fixtures/python/peer.py. */
  peer: "4" | "6" | "unix";
  /** A fresh address to bind: port 0 or a new path. */
  address(): socket.AddressInput;
  /** TLS over the family's stream: listener() and dial() wrap their sockets. */
  tls?: boolean;
}

const dirs: string[] = [];
process.on("exit", () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory, removed when the test process exits. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hotline-test-"));
  dirs.push(dir);
  return dir;
}

export const TRANSPORTS: readonly Transport[] = [
  { name: "tcp4", family: socket.AF_INET, peer: "4", address: () => ["127.0.0.1", 0] },
  { name: "tcp6", family: socket.AF_INET6, peer: "6", address: () => ["::1", 0] },
  { name: "unix", family: socket.AF_UNIX, peer: "unix", address: () => join(tempDir(), "s.sock") },
];

/** TLS over tcp4: a server with the test PKI's server certificate, clients trusting the test CA. */
export const TLS_TRANSPORT: Transport = {
  name: "tls",
  family: socket.AF_INET,
  peer: "4",
  address: () => ["127.0.0.1", 0],
  tls: true,
};

/** The stream contract's transports: TRANSPORTS and TLS. */
export const STREAM_TRANSPORTS: readonly Transport[] = [...TRANSPORTS, TLS_TRANSPORT];

let contexts: { server: ssl.SSLContext; client: ssl.SSLContext } | undefined;

/** The TLS transport's contexts, made once: the test CA's server certificate, and a client trusting that CA. */
export function tlsContexts(): { server: ssl.SSLContext; client: ssl.SSLContext } {
  if (!contexts) {
    const pki = testPki();
    const server = new ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER);
    server.loadCertChain(pki.server.certPath, pki.server.keyPath);
    const client = ssl.createDefaultContext(ssl.Purpose.SERVER_AUTH, { cafile: pki.ca.certPath });
    contexts = { server, client };
  }
  return contexts;
}

/** A new unconnected socket for dialling over the transport (wrapped for TLS, checking the name "localhost"). */
export async function dialer(t: Transport): Promise<socket.Socket> {
  const s = socket.socket(t.family, socket.SOCK_STREAM);
  if (!t.tls) return s;
  return tlsContexts().client.wrapSocket(s, { serverHostname: "localhost" });
}

/** A dialling socket connected to `s`, a listener(t), and the accepted side: [client, server side]. */
export async function connectTo(t: Transport, s: socket.Socket): Promise<[socket.Socket, socket.Socket]> {
  const client = await dialer(t);
  // Both at once: a TLS connect finishes only with the accepting side's handshake.
  const [, [conn]] = await Promise.all([client.connect(s.getsockname()), s.accept()]);
  return [client, conn];
}

/** How peer.py writes an address: host:port or the path. */
export function peerAddress(address: socket.Address): string {
  if (typeof address === "string") return address;
  return address[0].includes(":") ? `[${address[0]}]:${address[1]}` : `${address[0]}:${address[1]}`;
}

/** A listening library socket on the transport. */
export async function listener(t: Transport, backlog = 10): Promise<socket.Socket> {
  const plain = socket.socket(t.family, socket.SOCK_STREAM);
  const s = t.tls ? await tlsContexts().server.wrapSocket(plain, { serverSide: true }) : plain;
  await s.bind(t.address());
  await s.listen(backlog);
  return s;
}

/** A connected pair of library sockets: [client, server side], and the listener, closed. */
export async function pair(t: Transport): Promise<[socket.Socket, socket.Socket]> {
  const server = await listener(t);
  const [client, conn] = await connectTo(t, server);
  await server.close();
  return [client, conn];
}
