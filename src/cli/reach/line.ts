/**
 * A Line is one connection as a call sees it, whatever reached it: a dialled or accepted
 * stream (TCP, Unix), a connected UDP socket, or one sender of a UDP listener. Everything
 * above reach/ talks to Lines only; a new transport is a new Line here.
 */
import {
  type Address,
  formatAddress,
  IPPROTO_TCP,
  SHUT_WR,
  SO_KEEPALIVE,
  SO_LINGER,
  SOL_SOCKET,
  type Socket,
  TCP_KEEPIDLE,
} from "../../index.js";

/** Where received bytes go: done with the chunk on return, or when the promise settles. */
export type Sink = (chunk: Buffer) => PromiseLike<void> | undefined;

export interface Line {
  /** Who is at the other end, as messages show it: 127.0.0.1:5555, [::1]:80, a path. */
  readonly peer: string;
  /** Datagrams: no end of stream, no half-close; a dialled one ends with its input. */
  readonly datagram: boolean;
  /** This side dialled (as opposed to answered). */
  readonly dialled: boolean;
  /** Datagrams that arrived while the receive queue was full (UDP), so were lost. */
  dropped(): number;
  /**
   * Hands each received chunk to `sink` as it arrives, from the read callback: the chunk is
   * valid until sink returns, or until the promise it returns settles, and reading pauses
   * meanwhile. Resolves at the peer's end of stream (never, for datagrams, but when the
   * line is closed); rejects with the connection's error or the sink's.
   */
  receive(sink: Sink): Promise<void>;
  /** Resolves once the kernel took every byte (datagrams: at most MAX_DATAGRAM each). */
  send(chunk: Uint8Array): Promise<void>;
  /**
   * Streams only: `count` bytes of the file open as `fd`, from `offset` (the library's
   * `sendfile`), each block shown to `onChunk` first; resolves to the bytes sent (fewer at
   * the end of the file).
   */
  sendFile?(
    fd: number,
    offset: number,
    count: number,
    onChunk: (chunk: Uint8Array) => Promise<void> | undefined,
  ): Promise<number>;
  /** FIN: this side says no more; the other direction keeps flowing. Nothing for datagrams. */
  shutdown(): void;
  /** Ends the line at once, with RST for streams: nothing queued is waited for. */
  reset(): void;
  /** Ends the line politely: what was sent still goes out, then FIN. */
  close(): Promise<void>;
  /** This side's address and the peer's, for -e's NCAT_* variables; null once unknown (reset). */
  ends?(): { local: Address; remote: Address } | null;
  /**
   * TCP only: probes the peer after `idleSeconds` of silence (then 10 probes 1 s apart), so
   * a peer that vanished without FIN or reset (a pulled cable) ends the line with an error.
   */
  keepAlive?(idleSeconds: number): void;
}

/** A socket's two addresses, or null when the kernel no longer knows them. */
function socketEnds(sock: Socket): { local: Address; remote: Address } | null {
  try {
    return { local: sock.getsockname(), remote: sock.getpeername() };
  } catch {
    return null;
  }
}

/** The most one UDP datagram over IPv4 carries: 65,535 less the IP and UDP headers. */
export const MAX_DATAGRAM = 65507;

/** SO_LINGER (1, 0): close with RST. */
const RESET = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

/** An address as messages show it. IPv4 callers of a dual-stack listener show as IPv4. */
export function describe(addr: Address): string {
  if (addr === "") return "a local caller"; // Unix callers have no name of their own
  if (typeof addr !== "string" && addr.length === 4 && addr[0].toLowerCase().startsWith("::ffff:")) {
    const v4 = addr[0].slice(7);
    if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) return formatAddress([v4, addr[1]]);
  }
  return formatAddress(addr);
}

/** A connected TCP or Unix stream. */
export function streamLine(sock: Socket, peer: string, dialled: boolean): Line {
  return {
    peer,
    datagram: false,
    dialled,
    dropped: () => 0,
    receive: (sink) => sock.forward(sink, { end: false }).then(() => {}),
    send: (chunk) => sock.sendall(chunk),
    sendFile: (fd, offset, count, onChunk) =>
      count > 0 ? sock.sendfile(fd, offset, count, { onChunk }) : Promise.resolve(0),
    shutdown: () => {
      try {
        sock.shutdown(SHUT_WR);
      } catch {
        // already closed or reset: nothing more can be said anyway
      }
    },
    reset: () => {
      try {
        sock.setsockopt(SOL_SOCKET, SO_LINGER, RESET);
      } catch {
        // closed already
      }
      sock.close();
    },
    close: () => sock.close(),
    ends: () => socketEnds(sock),
    keepAlive: (idleSeconds) => {
      try {
        sock.setsockopt(IPPROTO_TCP, TCP_KEEPIDLE, idleSeconds);
        sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
      } catch {
        // a Unix socket (EOPNOTSUPP), or closed already: nothing to watch
      }
    },
  };
}

/** A connected UDP socket (the dialling side). */
export function datagramLine(sock: Socket, peer: string): Line {
  return {
    peer,
    datagram: true,
    dialled: true,
    dropped: () => sock.droppedDatagrams,
    receive: async (sink) => {
      for (;;) {
        let data: Buffer | null;
        try {
          [data] = await sock.recvfrom(65536);
        } catch (err) {
          if ((err as { code?: string }).code === "EBADF") return; // closed by us: the end
          throw err;
        }
        if (data) await sink(data);
      }
    },
    send: async (chunk) => {
      for (let at = 0; at < chunk.length; at += MAX_DATAGRAM) await sock.send(chunk.subarray(at, at + MAX_DATAGRAM));
    },
    shutdown: () => {},
    reset: () => {
      sock.close();
    },
    close: () => sock.close(),
    ends: () => socketEnds(sock),
  };
}
