/** Ports for tests: one nothing listens on, and a server whose queue is full. */
import * as socket from "../../src/index.js";
import { python } from "./child.js";
import { PYTHON_FIXTURES } from "./paths.js";

/** A port on 127.0.0.1 that nothing listens on (bound, read back, released). */
export async function unusedPort(): Promise<number> {
  const s = socket.socket();
  await s.bind(["127.0.0.1", 0]);
  const [, port] = s.getsockname() as socket.Inet4Address;
  await s.close();
  return port;
}

/**
 * A Python server with listen(0) that never accepts, its queue filled by a few callers:
 * the next handshake goes unanswered, so a connect to it can only time out.
 */
export async function fullServer(): Promise<{ port: number; release: () => Promise<void> }> {
  const py = python(`${PYTHON_FIXTURES}peer.py`, ["server", "4", "127.0.0.1:0", "hold"]);
  const [, port = ""] = await py.line(/^ready (\d+)$/m);
  const fillers: socket.Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const s = socket.socket();
    s.settimeout(0.3);
    fillers.push(s);
    await s.connect(["127.0.0.1", Number(port)]).catch(() => {});
  }
  return {
    port: Number(port),
    release: async () => {
      await Promise.all(fillers.map((s) => s.close()));
      py.proc.stdin?.end();
      await py.done();
    },
  };
}
