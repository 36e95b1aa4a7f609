/**
 * The proxy options, as rows of the option table (table.ts spreads them in): the client's
 * --proxy, --proxy-type, --proxy-auth and --proxy-dns, and `-l --proxy-type http`, the
 * HTTP proxy server. Each row says when it does not fit the rest of the command line.
 */
import { isIP } from "node:net";
import type { Options } from "./options.js";
import type { OptionRow } from "./table.js";
import { proxyAddress, proxyDns, proxyType, UsageError } from "./values.js";

/** ncat's default proxy ports: 3128 for HTTP (and the HTTP proxy server), 1080 for SOCKS. */
export const HTTP_PROXY_PORT = 3128;
export const SOCKS_PORT = 1080;

/** `-l --proxy-type http`: hotline is an HTTP proxy. */
export function isProxyServer(o: Options): boolean {
  return o.command === "listen" && o.proxyType === "http";
}

/** Options of a plain call that mean nothing to the proxy server, each with its name. */
function serverMisfit(o: Options): string | null {
  const unfit: [boolean, string][] = [
    [o.keepOpen, "-k"],
    [o.serial, "--serial"],
    [o.udp, "-u"],
    [o.unix !== null, "-U"],
    [o.crlf, "-C"],
    [o.output !== null, "-o"],
    [o.hexDump !== null, "-x"],
    [o.sendOnly, "--send-only"],
    [o.recvOnly, "--recv-only"],
    [o.mode !== "auto", o.mode === "talk" ? "--talk" : "--pipe"],
    [o.progress !== "auto", o.progress === "on" ? "--progress" : "--no-progress"],
    [o.quitAfterEof !== null, "-q"],
    [o.noShutdown, "--no-shutdown"],
    [o.idle !== null, "-i"],
  ];
  const found = unfit.find(([given]) => given);
  if (!found) return null;
  if (found[1] === "-k")
    return "-k does not apply to the HTTP proxy (-l --proxy-type http): it serves many clients at once already";
  return `${found[1]} does not apply to the HTTP proxy (-l --proxy-type http)`;
}

/** Control characters would end a header line or a SOCKS field early. */
function checkAuth(o: Options): string | null {
  const auth = o.proxyAuth ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(auth)) return "--proxy-auth holds a control character";
  const type = o.command === "listen" ? "http" : (o.proxyType ?? "http");
  if (type === "socks4") {
    if (auth.includes(":")) return "--proxy-auth with socks4 is a user id only (SOCKS4 has no password): give USERID";
    if (Buffer.byteLength(auth) > 255) return "--proxy-auth: a SOCKS4 user id of at most 255 bytes";
    return null;
  }
  const colon = auth.indexOf(":");
  if (colon < 0) return `--proxy-auth takes USER:PASS (got no ':')`;
  if (
    type === "socks5" &&
    (Buffer.byteLength(auth.slice(0, colon)) > 255 || Buffer.byteLength(auth.slice(colon + 1)) > 255)
  ) {
    return "--proxy-auth: SOCKS5 carries a user name and a password of at most 255 bytes each";
  }
  return null;
}

export const PROXY_OPTIONS: readonly OptionRow[] = [
  {
    long: "proxy",
    value: "HOST[:PORT]",
    group: "proxy",
    verbs: ["connect", "send"],
    help: "dial the target through this proxy (port 3128 for http, 1080 for socks; IPv6 as [ADDR]:PORT)",
    set: (o, v) => {
      if (o.proxy !== null) throw new UsageError("give --proxy once");
      o.proxy = proxyAddress(v);
    },
    misfit: (o) =>
      o.udp
        ? "--proxy does not apply to UDP (-u): proxies carry TCP streams"
        : o.unix !== null
          ? "--proxy does not apply to Unix sockets (-U)"
          : null,
  },
  {
    long: "proxy-type",
    value: "TYPE",
    group: "proxy",
    verbs: ["listen", "connect", "send"],
    help: "http (default), socks4 or socks5; with -l, http makes hotline an HTTP proxy",
    set: (o, v) => {
      if (o.proxyType !== null) throw new UsageError("give --proxy-type once");
      o.proxyType = proxyType(v);
    },
    misfit: (o) => {
      if (o.command !== "listen") {
        return o.proxy === null ? "--proxy-type needs --proxy (or -l, to be an HTTP proxy)" : null;
      }
      if (o.proxyType !== "http")
        return `hotline's proxy server (-l --proxy-type) speaks http only, not ${o.proxyType}`;
      return serverMisfit(o);
    },
  },
  {
    long: "proxy-auth",
    value: "USER:PASS",
    group: "proxy",
    verbs: ["listen", "connect", "send"],
    help: "credentials for the proxy (socks4: a user id); with -l, what clients must send (Basic)",
    set: (o, v) => {
      if (o.proxyAuth !== null) throw new UsageError("give --proxy-auth once");
      o.proxyAuth = v;
    },
    misfit: (o) => {
      if (o.command !== "listen" && o.proxy === null) return "--proxy-auth needs --proxy";
      if (o.command === "listen" && o.proxyType === null) return "--proxy-auth with -l needs --proxy-type http";
      return checkAuth(o);
    },
  },
  {
    long: "proxy-dns",
    value: "WHERE",
    group: "proxy",
    verbs: ["connect", "send"],
    help: "where the target's name is looked up: remote (default: the proxy), local, both (local, else the proxy), none",
    set: (o, v) => {
      if (o.proxyDns !== null) throw new UsageError("give --proxy-dns once");
      o.proxyDns = proxyDns(v);
    },
    misfit: (o) => {
      if (o.proxy === null) return "--proxy-dns needs --proxy";
      const name = o.host !== null && isIP(o.host) === 0 ? o.host : null;
      if (name === null) return null;
      if (o.proxyDns === "none") return `--proxy-dns none looks nothing up, and '${name}' is not an address`;
      if (o.nodns && (o.proxyDns === "local" || o.proxyDns === "both")) {
        return `-n forbids name lookups, and --proxy-dns ${o.proxyDns} would look '${name}' up here`;
      }
      return null;
    },
  },
];

/** After parsing: the proxy server's default port is 3128, as ncat's. */
export function proxyDefaults(o: Options): void {
  if (isProxyServer(o) && o.port === null) o.port = HTTP_PROXY_PORT;
}
