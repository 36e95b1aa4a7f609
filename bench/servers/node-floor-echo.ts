/**
 * The floor under any library on node:net, for the per-connection breakdown in
 * docs/benchmarks.md: what hotline's accept path cannot avoid. Each caller gets the socket
 * hotline's listener makes (paused, half-open allowed), the three listeners StreamConn
 * attaches at creation, the peer's address read once (getpeername, as accept() must),
 * reading started by hand, and an echo from 'data'. No promises, no wrappers.
 * Prints "listening on HOST:PORT".
 */
import { createServer } from "node:net";

const [host = "127.0.0.1"] = process.argv.slice(2);
const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
  sock.on("error", () => {});
  sock.on("end", () => sock.end());
  sock.on("close", () => {});
  void sock.remoteAddress;
  sock.on("data", (chunk) => sock.write(chunk));
  sock.resume();
});
server.listen({ host, port: 0, backlog: 4096 }, () => {
  const address = server.address();
  process.stderr.write(`listening on ${host}:${typeof address === "object" && address ? address.port : 0}\n`);
});
