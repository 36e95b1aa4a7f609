/**
 * A reference, not a competitor: the leanest echo server on raw node:net that still waits
 * on one promise per read and one per write, as any recv/sendall-style API must. The gap
 * between it and node-echo.ts (sock.pipe(sock)) is what the API's shape costs; the gap
 * between it and hotline-echo.ts is what the library adds. Prints "listening on HOST:PORT".
 */
import { createServer, type Socket } from "node:net";

const SENT = Promise.resolve();

/** recv() and sendall() over one socket with nothing else: no timeouts, no errors, no limits. */
function promised(sock: Socket) {
  const queue: (Buffer | null)[] = [];
  let waiting: ((chunk: Buffer | null) => void) | null = null;
  const arrive = (chunk: Buffer | null): void => {
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve(chunk);
    } else queue.push(chunk);
  };
  sock.on("data", arrive);
  sock.on("end", () => arrive(null));
  return {
    recv: (): Promise<Buffer | null> =>
      queue.length > 0
        ? Promise.resolve(queue.shift() ?? null)
        : new Promise((resolve) => {
            waiting = resolve;
          }),
    sendall: (chunk: Buffer): Promise<void> => {
      sock.write(chunk); // at 64 bytes per message the kernel always takes it at once
      return SENT;
    },
  };
}

const [host = "127.0.0.1"] = process.argv.slice(2);
const server = createServer({ noDelay: true }, async (sock) => {
  sock.on("error", () => sock.destroy());
  const conn = promised(sock);
  for (let chunk = await conn.recv(); chunk; chunk = await conn.recv()) await conn.sendall(chunk);
  sock.end();
});
server.listen({ host, port: 0, backlog: 4096 }, () => {
  const address = server.address();
  process.stderr.write(`listening on ${host}:${typeof address === "object" && address ? address.port : 0}\n`);
});
