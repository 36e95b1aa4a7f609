/**
 * What the kernel says of a TCP connection in /proc/net/tcp and /proc/net/tcp6 (Linux): its
 * timer, so a test can see that keepalive is really armed on a socket another process holds.
 */
import { readFileSync } from "node:fs";

export interface TcpTimer {
  /** /proc's timer kind: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero window probe. */
  kind: number;
  /** Seconds until it fires. */
  seconds: number;
}

/** Whether /proc/net/tcp can be read here (Linux). */
export function procNetReadable(): boolean {
  try {
    readFileSync("/proc/net/tcp", "utf8");
    return true;
  } catch {
    return false;
  }
}

/**
 * The timer of the connection from local port `local` to remote port `remote`, or null when
 * the kernel lists no such connection.
 */
export function tcpTimer(local: number, remote: number): TcpTimer | null {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const row of text.split("\n").slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f.length < 6 || !f[1]?.endsWith(`:${hex(local)}`) || !f[2]?.endsWith(`:${hex(remote)}`)) continue;
      const [kind, when] = (f[5] ?? "").split(":");
      // tm->when is in clock ticks (USER_HZ, 100 a second on Linux).
      return { kind: Number.parseInt(kind ?? "0", 16), seconds: Number.parseInt(when ?? "0", 16) / 100 };
    }
  }
  return null;
}
