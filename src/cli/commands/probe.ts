/**
 * -z and `hotline probe HOST PORTS`: which ports accept a TCP connection, by the seed's
 * connect_ex. At most PARALLEL ports are tried at once, each within -w (default 2 s).
 * Open ports go to stdout, one per line, in port order; exit 0 if any is open, else 1.
 */
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  getaddrinfo,
  type Inet4Address,
  type Inet6Address,
  SOCK_STREAM,
  socket,
} from "../../index.js";
import { Failure, type Io, write } from "../io.js";
import type { Options } from "../options/parse.js";
import { type Reporter, reason } from "../report.js";

const PARALLEL = 64;
const DEFAULT_WAIT_MS = 2000;

export async function probe(o: Options, io: Io, report: Reporter): Promise<number> {
  if (o.udp || o.unix !== null) throw new Failure("probing works on TCP ports only", 2);
  const host = o.host ?? "127.0.0.1";
  const family = o.family === 4 ? AF_INET : o.family === 6 ? AF_INET6 : AF_UNSPEC;
  let target: Inet4Address | Inet6Address;
  let fam: number;
  try {
    const [first] = await getaddrinfo(host, 0, family, SOCK_STREAM);
    if (!first) throw new Error("no address");
    fam = first[0];
    target = first[4];
  } catch (err) {
    throw new Failure(`resolve ${host}: ${reason(err)}`);
  }
  const seconds = (o.wait ?? DEFAULT_WAIT_MS) / 1000;
  const open = new Set<number>();
  const queue = [...o.ports];
  const worker = async (): Promise<void> => {
    for (let port = queue.shift(); port !== undefined; port = queue.shift()) {
      if (io.interrupt.aborted) return;
      const s = socket(fam, SOCK_STREAM);
      s.settimeout(seconds);
      const address =
        fam === AF_INET6 ? ([target[0], port, 0, 0] as Inet6Address) : ([target[0], port] as Inet4Address);
      const errno = await s.connectEx(address).catch(() => -1);
      await s.close();
      if (errno === 0) open.add(port);
      else report.info(`${host} ${port}: ${errno === 11 ? "timed out" : errno === 111 ? "closed" : `error ${errno}`}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, o.ports.length) }, worker));
  if (io.interrupt.aborted) return 130;
  for (const port of o.ports) if (open.has(port)) await write(io.stdout, `${host} ${port} open\n`);
  report.info(`${open.size} of ${o.ports.length} ports open`);
  return open.size > 0 ? 0 : 1;
}
