/**
 * The SOCKS5 handshake: methods (none, and user/password when --proxy-auth is given),
 * authentication, CONNECT, and the reply read to its last byte by its address type.
 */
import type { Socket } from "../../../index.js";
import {
  socks5Connect,
  socks5Greeting,
  socks5Method,
  socks5ReplyHead,
  socks5ReplyRest,
  socks5UserPass,
  socks5UserPassReply,
  type Target,
  USER_PASS,
} from "./socks-codec.js";
import { readExactly } from "./wire.js";

/** Opens the tunnel on `sock` (connected to the proxy), or throws a SocksError or HandshakeError. */
export async function socks5(
  sock: Socket,
  target: Target,
  userPass: string | null,
  info: (m: string) => void,
): Promise<void> {
  await sock.sendall(socks5Greeting(userPass !== null));
  const method = socks5Method(await readExactly(sock, 2, "SOCKS5 method choice"), userPass !== null);
  if (method === USER_PASS && userPass !== null) {
    info("the proxy asks for a user name and password");
    const colon = userPass.indexOf(":");
    await sock.sendall(socks5UserPass(userPass.slice(0, colon), userPass.slice(colon + 1)));
    socks5UserPassReply(await readExactly(sock, 2, "SOCKS5 authentication reply"));
  }
  await sock.sendall(socks5Connect(target));
  const head = await readExactly(sock, 4, "SOCKS5 reply");
  socks5ReplyHead(head);
  const fifth = await readExactly(sock, 1, "SOCKS5 reply");
  await readExactly(sock, socks5ReplyRest(Buffer.concat([head, fifth])), "SOCKS5 reply");
}
