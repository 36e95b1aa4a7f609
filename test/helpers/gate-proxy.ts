/**
 * A TCP relay for one connection that lets through, from the client to the target, only as
 * many bytes as the test allows (the target's replies pass freely), and can reset both
 * sides at once: a transfer cut at a known byte, paused between two steps, or ended as a
 * broken network ends it. Real sockets on loopback; the test drives it.
 *
 * Like many middleboxes it does not keep a half-closed connection open: the first FIN from
 * either side ends both directions (Node's default, allowHalfOpen false), so what crosses it
 * must not rely on half-close.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

export interface GateProxy {
  readonly port: number;
  /** Bytes relayed so far from the client to the target. */
  relayed(): number;
  /** Lets `bytes` more through (Infinity: everything from now on). */
  allow(bytes: number): void;
  /** Resolves once `bytes` in all have been relayed to the target. */
  reached(bytes: number): Promise<void>;
  /** Resolves once `bytes` in all have come back from the target to the client. */
  returned(bytes: number): Promise<void>;
  /** Ends both connections with RST, as a dropped network path or a killed middlebox does. */
  reset(): void;
  close(): Promise<void>;
}

export async function gateProxy(targetPort: number, allowed: number): Promise<GateProxy> {
  let budget = allowed;
  let relayed = 0;
  let back = 0;
  const backWaiters: { bytes: number; resolve: () => void }[] = [];
  let client: Socket | null = null;
  let target: Socket | null = null;
  const waiters: { bytes: number; resolve: () => void }[] = [];
  const wake = (): void => {
    for (const w of waiters.filter((w) => relayed >= w.bytes)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  /** Holds back what the budget does not cover, and resumes when it grows. */
  let held: Buffer[] = [];
  let clientEnded = false;
  const pump = (): void => {
    if (!client || !target) return;
    while (held.length > 0 && budget > relayed) {
      const chunk = held[0] as Buffer;
      const n = Math.min(chunk.length, budget - relayed);
      target.write(chunk.subarray(0, n));
      relayed += n;
      if (n === chunk.length) held.shift();
      else held[0] = chunk.subarray(n);
    }
    if (held.length === 0) {
      client.resume();
      if (clientEnded) target.end();
    } else {
      client.pause();
    }
    wake();
  };
  const server: Server = createServer((c) => {
    if (client) {
      c.destroy(); // one connection only
      return;
    }
    client = c;
    const t = tcpConnect(targetPort, "127.0.0.1");
    target = t;
    c.on("data", (chunk: Buffer) => {
      held.push(chunk);
      pump();
    });
    c.on("end", () => {
      clientEnded = true;
      pump();
    });
    t.on("data", (chunk: Buffer) => {
      c.write(chunk);
      back += chunk.length;
      for (const w of backWaiters.filter((w) => back >= w.bytes)) {
        backWaiters.splice(backWaiters.indexOf(w), 1);
        w.resolve();
      }
    });
    t.on("end", () => c.end());
    const both = (): void => {
      c.destroy();
      t.destroy();
    };
    c.on("error", both);
    t.on("error", both);
    c.on("close", () => t.destroy());
    t.on("close", () => c.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    relayed: () => relayed,
    allow: (bytes) => {
      budget += bytes;
      pump();
    },
    reached: (bytes) =>
      relayed >= bytes ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ bytes, resolve })),
    returned: (bytes) =>
      back >= bytes ? Promise.resolve() : new Promise<void>((resolve) => backWaiters.push({ bytes, resolve })),
    reset: () => {
      held = [];
      client?.resetAndDestroy();
      target?.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        client?.destroy();
        target?.destroy();
        server.close(() => resolve());
      }),
  };
}
