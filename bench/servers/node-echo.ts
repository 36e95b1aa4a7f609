/** The plain node:net echo server: as simple as possible. Prints "listening on HOST:PORT". */
import { createServer } from "node:net";

const [host = "127.0.0.1"] = process.argv.slice(2);
const server = createServer({ noDelay: true }, (sock) => {
  sock.on("error", () => sock.destroy());
  sock.pipe(sock);
});
server.listen({ host, port: 0, backlog: 4096 }, () => {
  const address = server.address();
  process.stderr.write(`listening on ${host}:${typeof address === "object" && address ? address.port : 0}\n`);
});
