/** The SOCKS4 / 4a handshake: one request, an 8-byte reply. */
import type { Socket } from "../../../index.js";
import { SOCKS4_REPLY_LENGTH, socks4Reply, socks4Request, type Target } from "./socks-codec.js";
import { readExactly } from "./wire.js";

/** Opens the tunnel on `sock` (connected to the proxy), or throws a SocksError or HandshakeError. */
export async function socks4(sock: Socket, target: Target, userId: string | null): Promise<void> {
  await sock.sendall(socks4Request(target, userId ?? ""));
  socks4Reply(await readExactly(sock, SOCKS4_REPLY_LENGTH, "SOCKS4 reply"));
}
