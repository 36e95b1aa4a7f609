/**
 * The stream transports every contract test runs on, and helpers to make connected pairs
 * over them with real sockets: port 0 on loopback, Unix sockets in a fresh temp dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as socket from "../../src/index.js";

export interface Transport {
  name: string;
  family: number;
  /** The family argument for test/fixtures/python/peer.py. */
  peer: "4" | "6" | "unix";
  /** A fresh address to bind: port 0 or a new path. */
  address(): socket.AddressInput;
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

/** How peer.py writes an address: host:port or the path. */
export function peerAddress(address: socket.Address): string {
  if (typeof address === "string") return address;
  return address[0].includes(":") ? `[${address[0]}]:${address[1]}` : `${address[0]}:${address[1]}`;
}

/** A listening library socket on the transport. */
export async function listener(t: Transport, backlog = 10): Promise<socket.Socket> {
  const s = socket.socket(t.family, socket.SOCK_STREAM);
  await s.bind(t.address());
  await s.listen(backlog);
  return s;
}

/** A connected pair of library sockets: [client, server side], and the listener, closed. */
export async function pair(t: Transport): Promise<[socket.Socket, socket.Socket]> {
  const server = await listener(t);
  const client = socket.socket(t.family, socket.SOCK_STREAM);
  const [, [conn]] = await Promise.all([client.connect(server.getsockname()), server.accept()]);
  await server.close();
  return [client, conn];
}
