/**
 * Who may use the HTTP proxy, and where it may connect: the one place the proxy server
 * asks. Today it refuses only request loops (the proxy asked to connect to itself);
 * --allow/--deny (and their files) will answer here for callers, and any option that
 * forbids targets will answer in mayConnect.
 */
import { type Address, formatAddress } from "../../index.js";
import type { Options } from "../options/options.js";

/** Whether a caller may use the proxy at all (checked at accept, before a byte is read). */
export function admitCaller(_o: Options, _caller: Address): boolean {
  return true;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.|0\.0\.0\.0$|::$)/;

/**
 * Why the proxy must not connect to `address` (a resolved target), or null when it may.
 * `self` is the address and port the proxy listens on.
 */
export function mayConnect(_o: Options, address: Address, self: { host: string; port: number }): string | null {
  if (typeof address === "string") return "not an internet address";
  const [host, port] = address;
  if (port === self.port && (LOOPBACK.test(host) || host === self.host)) {
    return `request loop: ${formatAddress(address)} is this proxy`;
  }
  return null;
}
