/**
 * -z and `hotline probe HOST PORTS`: which ports accept a TCP connection, by the seed's
 * connect_ex. Up to PARALLEL ports are tried at once, each within -w (default 2 s).
 * Open ports go to stdout, one per line, in port order; exit 0 if any is open, else 1.
 *
 * Every probe holds a descriptor, so how many run at once also depends on the descriptor
 * limit. A shortage on this machine (EMFILE, ENFILE, ENOBUFS, ENOMEM, or EADDRNOTAVAIL
 * when the local ports run out) says nothing about the port: that port is tried again
 * with half as many probes at once, and only a probe that fails so while it runs alone
 * stops the scan, with one line naming the shortage (exit 1). Counting it as "closed"
 * would report "none open" for a host whose ports are open.
 */
import { readdirSync, readFileSync } from "node:fs";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  getaddrinfo,
  type Inet4Address,
  type Inet6Address,
  OSError,
  SOCK_STREAM,
  socket,
} from "../../index.js";
import { deferred } from "../deferred.js";
import { Failure, type Io, write } from "../io.js";
import type { Options } from "../options/parse.js";
import { type Reporter, reason } from "../report.js";

const PARALLEL = 64;
const DEFAULT_WAIT_MS = 2000;

/** Descriptors left free for Node itself (its event loop, stdio, a late lookup) beside the probes. */
const FD_MARGIN = 8;

/** Errors of this machine rather than of the port: never a verdict on the port. */
const SHORTAGES = ["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM", "EADDRNOTAVAIL"] as const;

/** connect_ex's errno -> the code, for the shortages; this platform's numbers. */
const SHORTAGE_BY_ERRNO = new Map<number, string>(SHORTAGES.map((code) => [new OSError(code).errno, code]));
const ETIMEDOUT_EX = new OSError("EAGAIN").errno; // connect_ex's answer to a timeout
const ECONNREFUSED = new OSError("ECONNREFUSED").errno;

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
  const room = descriptorRoom();
  let parallel = room.parallel;
  report.info(`probing ${o.ports.length} ports, at most ${parallel} at once`, 2);

  /** connect_ex's errno for one port (-1 when it raised). */
  const attempt = async (port: number): Promise<number> => {
    const s = socket(fam, SOCK_STREAM);
    s.settimeout(seconds);
    const address = fam === AF_INET6 ? ([target[0], port, 0, 0] as Inet6Address) : ([target[0], port] as Inet4Address);
    const errno = await s.connectEx(address).catch(() => -1);
    await s.close();
    return errno;
  };

  const open = new Set<number>();
  const queue = [...o.ports];
  let running = 0;
  let shortage: string | null = null;
  const finished = deferred<void>();
  const settle = (port: number, errno: number, alone: boolean): void => {
    const code = SHORTAGE_BY_ERRNO.get(errno);
    if (code === undefined) {
      if (errno === 0) open.add(port);
      else
        report.info(
          `${host} ${port}: ${errno === ETIMEDOUT_EX ? "timed out" : errno === ECONNREFUSED ? "closed" : `error ${errno}`}`,
        );
    } else if (alone) {
      shortage ??= code; // nothing else of ours holds a descriptor: waiting frees nothing
    } else {
      // Half of what was running when it failed (this one included): after a burst of
      // failures, about half of the probes that did get a descriptor.
      parallel = Math.max(1, Math.min(parallel, Math.floor((running + 1) / 2)));
      queue.unshift(port);
      report.info(`${host} ${port}: ${reason(new OSError(code))}; trying again, at most ${parallel} at once`, 2);
    }
  };
  const pump = (): void => {
    while (shortage === null && !io.interrupt.aborted && running < parallel) {
      const port = queue.shift();
      if (port === undefined) break;
      running += 1;
      const alone = running === 1 && parallel === 1; // and stays so: parallel never grows
      void attempt(port)
        .catch(() => -1) // never happens (close never rejects), but a lost settle would hang the scan
        .then((errno) => {
          running -= 1;
          settle(port, errno, alone);
          pump();
        });
    }
    if (running === 0) finished.resolve();
  };
  pump();
  await finished.promise;

  if (io.interrupt.aborted) return 130;
  // The limit is read again if it was unreadable at the start: no probe holds a descriptor now.
  if (shortage !== null) throw new Failure(shortageMessage(shortage, room.limit ?? descriptorLimit()));
  for (const port of o.ports) if (open.has(port)) await write(io.stdout, `${host} ${port} open\n`);
  report.info(`${open.size} of ${o.ports.length} ports open`);
  return open.size > 0 ? 0 : 1;
}

/**
 * The soft descriptor limit (null where /proc does not say, or it is unlimited) and how
 * many probes to start with: PARALLEL, or what the limit leaves once the descriptors
 * already open and a margin are counted, but at least one. Without /proc (not Linux) the
 * shortage handling alone finds the level.
 */
function descriptorRoom(): { limit: number | null; parallel: number } {
  let limit: number | null = null;
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (!match) return { limit, parallel: PARALLEL };
    const max = Number(match[1]);
    limit = max;
    // Only descriptors numbered under the limit take room under it.
    const inUse = readdirSync("/proc/self/fd").filter((name) => Number(name) < max).length;
    return { limit, parallel: Math.max(1, Math.min(PARALLEL, max - inUse - FD_MARGIN)) };
  } catch (err) {
    // Not even /proc could be read for want of a descriptor: start with one probe.
    const code = (err as NodeJS.ErrnoException).code;
    return { limit, parallel: code === "EMFILE" || code === "ENFILE" ? 1 : PARALLEL };
  }
}

/** The soft "Max open files" of this process, or null where /proc does not say or it is unlimited. */
function descriptorLimit(): number | null {
  const match = /^Max open files\s+(\d+)/m.exec(readProc("/proc/self/limits") ?? "");
  return match ? Number(match[1]) : null;
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** One line naming the shortage and the limit behind it, and what to do where that is known. */
function shortageMessage(code: string, limit: number | null): string {
  const what = `probe: ${reason(new OSError(code))}`;
  switch (code) {
    case "EMFILE":
      return limit === null
        ? `${what}; raise the descriptor limit with ulimit -n`
        : `${what} (descriptor limit ${limit}); raise it with ulimit -n`;
    case "ENFILE": {
      const max = readProc("/proc/sys/fs/file-max")?.trim();
      return max ? `${what} (system-wide limit ${max}, fs.file-max)` : `${what} (the system's file table is full)`;
    }
    case "EADDRNOTAVAIL": {
      const range = readProc("/proc/sys/net/ipv4/ip_local_port_range")?.trim().split(/\s+/).join("-");
      return `${what} (no local port free${range ? `: local ports ${range}` : ""})`;
    }
    default:
      return `${what} (even with one probe at a time)`;
  }
}
