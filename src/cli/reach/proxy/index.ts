/**
 * Dialling through a proxy (--proxy): the one place the protocol is chosen by
 * --proxy-type. It dials the proxy as dial.ts dials anything, decides by --proxy-dns
 * whether the target's name is looked up here or by the proxy, and runs the handshake.
 * The result is a library Socket connected to the proxy with the tunnel open and not one
 * byte of the target's consumed: dial.ts makes it a Line, and a TLS layer may wrap it first.
 */
import { isIP } from "node:net";
import { AF_INET, AF_INET6, AF_UNSPEC, getaddrinfo, SOCK_STREAM, type Socket } from "../../../index.js";
import { Failure } from "../../io.js";
import { NCAT_PORT, type Options, SEED_HOST, SEED_PORT } from "../../options/options.js";
import { HTTP_PROXY_PORT, SOCKS_PORT } from "../../options/proxy-rows.js";
import { debug, type Reporter, reason } from "../../report.js";
import { ChallengeError } from "./http-auth.js";
import { authority } from "./http-codec.js";
import { httpConnect } from "./http-connect.js";
import { SocksError, type Target } from "./socks-codec.js";
import { socks4 } from "./socks4.js";
import { socks5 } from "./socks5.js";
import { HandshakeError } from "./wire.js";

/** Dials host:port as a plain TCP connection would be dialled (-w, -s, -p, -4/-6 apply). */
export type DialTcp = (host: string, port: number) => Promise<{ sock: Socket; peer: string }>;

export interface Tunnel {
  sock: Socket;
  /** As messages show it: "127.0.0.1:22 via http proxy 127.0.0.1:3128". */
  peer: string;
  /** The target's name or address as the user gave it (TLS verifies against this). */
  targetHost: string;
}

/**
 * The target as the proxy will be asked for it: an address when the user gave one or
 * --proxy-dns says to look the name up here, else the name (ncat's default, remote).
 */
async function targetOf(o: Options, report: Reporter): Promise<Target> {
  const host = o.host ?? SEED_HOST;
  const port = o.port ?? (o.grammar === "seed" ? SEED_PORT : NCAT_PORT);
  const dns = o.proxyDns ?? "remote";
  if (isIP(host) !== 0 || dns === "remote" || dns === "none") {
    if (isIP(host) === 0) report.info(`${host} will be resolved by the proxy`);
    return { host, port };
  }
  // SOCKS4 carries IPv4 only.
  const family = o.proxyType === "socks4" ? AF_INET : o.family === 4 ? AF_INET : o.family === 6 ? AF_INET6 : AF_UNSPEC;
  try {
    const [first] = await getaddrinfo(host, port, family, SOCK_STREAM);
    if (!first) throw new Error("no address");
    const address = first[4][0] as string;
    report.info(`${host} resolved here to ${address}`);
    return { host: address, port };
  } catch (err) {
    if (dns === "local") throw new Failure(`resolve ${host}: ${reason(err)} (--proxy-dns local)`);
    report.info(`${host} did not resolve here (${reason(err)}); the proxy will resolve it`);
    return { host, port };
  }
}

export async function tunnel(o: Options, report: Reporter, dialTcp: DialTcp): Promise<Tunnel> {
  const proxy = o.proxy;
  if (proxy === null) throw new Error("tunnel() without --proxy");
  const type = o.proxyType ?? "http";
  const proxyPort = proxy.port ?? (type === "http" ? HTTP_PROXY_PORT : SOCKS_PORT);
  const target = await targetOf(o, report);
  const where = authority(target.host, target.port);
  let proxyPeer = authority(proxy.host, proxyPort);
  const dialProxy = async (): Promise<Socket> => {
    try {
      const { sock, peer } = await dialTcp(proxy.host, proxyPort);
      proxyPeer = peer;
      report.info(`connected to ${type} proxy ${peer}`, 2);
      return sock;
    } catch (err) {
      if (err instanceof Failure) throw new Failure(`${type} proxy: ${err.message}`, err.exitCode);
      throw err;
    }
  };
  const info = (m: string): void => report.info(`${type} proxy: ${m}`, 2);
  let sock: Socket | null = null;
  try {
    if (type === "http") {
      sock = await httpConnect(dialProxy, where, o.proxyAuth, info);
    } else {
      sock = await dialProxy();
      if (type === "socks4") await socks4(sock, target, o.proxyAuth);
      else await socks5(sock, target, o.proxyAuth, info);
    }
  } catch (err) {
    await sock?.close();
    if (err instanceof HandshakeError || err instanceof SocksError || err instanceof ChallengeError) {
      throw new Failure(`${type} proxy ${proxyPeer}: ${err.message}`);
    }
    if (err instanceof Failure) throw err;
    throw new Failure(`${type} proxy ${proxyPeer}: ${reason(err)}`);
  }
  debug("tunnel to %s open through %s proxy %s", where, type, proxyPeer);
  return { sock, peer: `${where} via ${type} proxy ${proxyPeer}`, targetHost: o.host ?? SEED_HOST };
}
