/**
 * Library throughput: a recv(65536)/sendall loop on hotline against plain node:net
 * streams, one process each side.
 *   node lib-throughput.js server hotline|node     prints "listening on HOST:PORT", then "<bytes>"
 *   node lib-throughput.js client hotline|node PORT BYTES
 */
import { connect, createServer } from "node:net";
import * as socket from "hotline";

const [role, impl, port = "0", bytes = "0"] = process.argv.slice(2);
const CHUNK = Buffer.alloc(65536, 0x5a);

if (role === "server" && impl === "hotline") {
  const s = socket.socket();
  await s.bind(["127.0.0.1", 0]);
  await s.listen(1);
  process.stderr.write(`listening on ${socket.formatAddress(s.getsockname())}\n`);
  const [conn] = await s.accept();
  let total = 0;
  for (let data = await conn.recv(65536); data; data = await conn.recv(65536)) total += data.length;
  process.stdout.write(`${total}\n`);
  await conn.close();
  await s.close();
} else if (role === "server") {
  const server = createServer((sock) => {
    server.close();
    let total = 0;
    sock.on("data", (data: Buffer) => {
      total += data.length;
    });
    sock.on("end", () => process.stdout.write(`${total}\n`));
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.stderr.write(`listening on 127.0.0.1:${typeof address === "object" && address ? address.port : 0}\n`);
  });
} else if (impl === "hotline") {
  const s = socket.socket();
  await s.connect(["127.0.0.1", Number(port)]);
  for (let sent = 0; sent < Number(bytes); sent += CHUNK.length) await s.sendall(CHUNK);
  await s.close();
} else {
  const sock = connect(Number(port), "127.0.0.1", async () => {
    for (let sent = 0; sent < Number(bytes); sent += CHUNK.length) {
      if (!sock.write(CHUNK)) await new Promise((resolve) => sock.once("drain", resolve));
    }
    sock.end();
  });
}
