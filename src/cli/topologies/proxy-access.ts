/**
 * Who may use the HTTP proxy, and where it may connect: the one place the proxy server
 * asks. Callers answer to --allow/--deny (and their files); targets are refused only for
 * request loops (the proxy asked to connect to itself), and any option that forbids
 * targets will answer in mayConnect.
 */
import { type Address, formatAddress } from "../../index.js";
import type { Options } from "../options/options.js";
import type { AccessList } from "../reach/access-list.js";

/** Whether a caller may use the proxy at all (checked at accept, before a byte is read). */
export function admitCaller(access: AccessList | null, caller: Address): boolean {
  return access === null || access.admits(caller);
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
