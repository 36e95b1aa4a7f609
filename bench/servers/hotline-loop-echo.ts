/**
 * An echo server on the hotline library as a recv/sendall loop, the way a Python program
 * would write it: reads with `reuse`, since sendall is done with each chunk before the
 * next. Prints "listening on HOST:PORT".
 */
import * as socket from "hotline";

const [host = "127.0.0.1"] = process.argv.slice(2);
const server = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1);
await server.bind([host, 0]);
await server.listen(4096);
process.stderr.write(`listening on ${socket.formatAddress(server.getsockname())}\n`);

async function serve(conn: socket.Socket): Promise<void> {
  try {
    for await (const chunk of conn.chunks(65536, { reuse: true })) await conn.sendall(chunk);
  } catch {
    // a caller that resets is simply gone
  } finally {
    await conn.close();
  }
}

for await (const [conn] of server.connections()) void serve(conn);
