/**
 * `hotline lookup NAME`: what the seed's getaddrinfo, gethostbyname and getfqdn say. One
 * line per address (address, tab, family), then the IPv4 address gethostbyname picks and
 * the fully qualified name.
 */
import { AF_INET6, AF_UNSPEC, getaddrinfo, getfqdn, gethostbyname, SOCK_STREAM } from "../../index.js";
import { Failure, type Io, write } from "../io.js";
import type { Options } from "../options/parse.js";
import { reason } from "../report.js";

export async function lookup(o: Options, io: Io): Promise<number> {
  const name = o.name ?? "";
  const family = o.family === 4 ? 2 : o.family === 6 ? AF_INET6 : AF_UNSPEC;
  let lines = "";
  try {
    for (const [fam, , , , sockaddr] of await getaddrinfo(name, null, family, SOCK_STREAM)) {
      lines += `${sockaddr[0]}\t${fam === AF_INET6 ? "AF_INET6" : "AF_INET"}\n`;
    }
  } catch (err) {
    throw new Failure(`lookup ${name}: ${reason(err)}`);
  }
  const v4 = await gethostbyname(name).catch(() => null);
  if (v4 !== null) lines += `gethostbyname\t${v4}\n`;
  lines += `fqdn\t${await getfqdn(name)}\n`;
  await write(io.stdout, lines);
  return 0;
}
