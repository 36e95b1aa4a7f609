/**
 * An echo server on the hotline library, written as its docs teach: `forward()` into the
 * connection itself, or with `loop` as second argument the recv/sendall loop a program
 * ported from Python would write (reading with `reuse`, since sendall is done with each
 * chunk before the next). Prints "listening on HOST:PORT".
 */
import * as socket from "hotline";

const [host = "127.0.0.1", style = "forward"] = process.argv.slice(2);
const server = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1);
await server.bind([host, 0]);
await server.listen(4096);
process.stderr.write(`listening on ${socket.formatAddress(server.getsockname())}\n`);

async function serve(conn: socket.Socket): Promise<void> {
  try {
    if (style === "loop") for await (const chunk of conn.chunks(65536, { reuse: true })) await conn.sendall(chunk);
    else await conn.forward(conn);
  } catch {
    // a caller that resets is simply gone
  } finally {
    await conn.close();
  }
}

for await (const [conn] of server.connections()) void serve(conn);
