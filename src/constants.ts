/**
 * Socket constants with Python's names and the values of the platform we run on.
 *
 * Node exposes none of these, and they differ between systems (AF_INET6 is 10 on Linux,
 * 30 on macOS), so each value comes from a small per-platform table. Linux values are the
 * fallback for any other platform.
 */
import { platform } from "node:os";

const darwin = platform() === "darwin";
const pick = (linux: number, mac: number): number => (darwin ? mac : linux);

// Address families.
export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = pick(10, 30);

// Socket types. SOCK_NONBLOCK and SOCK_CLOEXEC may be or-ed into the type, as on Linux.
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_RDM = 4;
export const SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = pick(0o4000, 0);
export const SOCK_CLOEXEC = pick(0o2000000, 0);

// Protocol numbers (IANA, the same everywhere).
export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;

// Option levels and options.
export const SOL_SOCKET = pick(1, 0xffff);
export const SO_REUSEADDR = pick(2, 0x0004);
export const SO_TYPE = pick(3, 0x1008);
export const SO_ERROR = pick(4, 0x1007);
export const SO_BROADCAST = pick(6, 0x0020);
export const SO_SNDBUF = pick(7, 0x1001);
export const SO_RCVBUF = pick(8, 0x1002);
export const SO_KEEPALIVE = pick(9, 0x0008);
export const SO_LINGER = pick(13, 0x0080);
export const TCP_NODELAY = 1;
/** Seconds of silence before TCP keepalive probes (macOS calls it TCP_KEEPALIVE). */
export const TCP_KEEPIDLE = pick(4, 0x10);
export const IPV6_V6ONLY = pick(26, 27);

// shutdown() directions.
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

// recv() flags that hotline honours.
export const MSG_PEEK = 0x2;
export const MSG_DONTWAIT = pick(0x40, 0x80);
export const MSG_WAITALL = pick(0x100, 0x40);

// getaddrinfo() flags.
export const AI_PASSIVE = 0x1;
export const AI_CANONNAME = 0x2;
export const AI_NUMERICHOST = 0x4;
export const AI_V4MAPPED = pick(0x8, 0x800);
export const AI_ALL = pick(0x10, 0x100);
export const AI_ADDRCONFIG = pick(0x20, 0x400);
export const AI_NUMERICSERV = pick(0x400, 0x1000);

/** The largest backlog the platform accepts, as Python's socket.SOMAXCONN. */
export const SOMAXCONN = pick(4096, 128);
