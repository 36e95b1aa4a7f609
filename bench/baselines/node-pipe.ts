/**
 * The plain node:net baseline for pipe throughput, as simple as a user would write it:
 *   node node-pipe.js listen HOST PORT   socket -> stdout
 *   node node-pipe.js connect HOST PORT  stdin -> socket
 */
import { connect, createServer } from "node:net";

const [role, host = "127.0.0.1", port = "0"] = process.argv.slice(2);
if (role === "listen") {
  const server = createServer((sock) => {
    server.close();
    sock.pipe(process.stdout);
  });
  server.listen(Number(port), host, () => {
    const address = server.address();
    process.stderr.write(`listening on ${host}:${typeof address === "object" && address ? address.port : port}\n`);
  });
} else {
  const sock = connect(Number(port), host);
  process.stdin.pipe(sock);
}
