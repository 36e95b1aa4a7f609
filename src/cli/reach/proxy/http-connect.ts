/**
 * The HTTP CONNECT handshake (ncat --proxy-type http): ask for the target, and when the
 * proxy answers 407 and credentials were given, dial again and answer its challenge
 * (Digest before Basic, as ncat; a 407 may carry a body, so a fresh connection is simpler
 * and is what ncat does). The proxy's reply head never reaches the call.
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "../../../index.js";
import {
  basicAuthorization,
  type ChallengeError,
  chooseChallenge,
  digestAuthorization,
  parseChallenges,
} from "./http-auth.js";
import {
  connectRequest,
  headerValues,
  MAX_REPLY_HEAD,
  parseReplyHead,
  printable,
  ReplyError,
  type ReplyHead,
} from "./http-codec.js";
import { HandshakeError, readHead } from "./wire.js";

export type DialProxy = () => Promise<Socket>;

async function ask(sock: Socket, target: string, authorization: string | null): Promise<ReplyHead> {
  await sock.sendall(connectRequest(target, authorization));
  try {
    return parseReplyHead(await readHead(sock, MAX_REPLY_HEAD));
  } catch (err) {
    if (err instanceof ReplyError) throw new HandshakeError(err.message);
    throw err;
  }
}

/** A Socket to the proxy with the tunnel to `target` (host:port) open, or a HandshakeError. */
export async function httpConnect(
  dialProxy: DialProxy,
  target: string,
  userPass: string | null,
  info: (message: string) => void,
): Promise<Socket> {
  let sock = await dialProxy();
  try {
    let reply = await ask(sock, target, null);
    if (reply.status === 407 && userPass !== null) {
      let challenges: ReturnType<typeof parseChallenges>;
      try {
        challenges = parseChallenges(headerValues(reply, "Proxy-Authenticate"));
      } catch (err) {
        throw new HandshakeError(`malformed Proxy-Authenticate: ${(err as ChallengeError).message}`);
      }
      const chosen = chooseChallenge(challenges);
      if (chosen === null) {
        const offered = challenges.map((c) => c.scheme).join(", ") || "none";
        throw new HandshakeError(`the proxy asks for authentication hotline cannot do (schemes offered: ${offered})`);
      }
      const colon = userPass.indexOf(":");
      const authorization =
        chosen.scheme === "basic"
          ? basicAuthorization(userPass)
          : digestAuthorization(
              chosen,
              userPass.slice(0, colon),
              userPass.slice(colon + 1),
              "CONNECT",
              target,
              randomBytes(8).toString("hex"),
            );
      info(
        `the proxy asks for authentication: answering with ${chosen.scheme === "basic" ? "Basic" : `Digest (${chosen.params.get("algorithm") ?? "MD5"})`}`,
      );
      await sock.close();
      sock = await dialProxy();
      reply = await ask(sock, target, authorization);
    }
    if (reply.status === 407) {
      throw new HandshakeError(
        `${userPass === null ? "the proxy wants authentication (give --proxy-auth USER:PASS)" : "the proxy refused the credentials"}: "${printable(reply.statusLine)}"`,
      );
    }
    if (reply.status < 200 || reply.status > 299) {
      throw new HandshakeError(`the proxy refused CONNECT ${printable(target)}: "${printable(reply.statusLine)}"`);
    }
    return sock;
  } catch (err) {
    await sock.close();
    throw err;
  }
}
