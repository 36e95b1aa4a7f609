/**
 * The seed's looping server, line for line: one caller, turn by turn, replies typed on
 * stdin. End of input hangs up. `npm start` is its twin in the command: `hotline listen --serial`.
 *
 *   node build/examples/seed-server-loop.js [HOST] [PORT]     (default 127.0.0.1 8990)
 */
import { StringDecoder } from "node:string_decoder";
import * as socket from "hotline";
import { closeInput, input } from "./input.js";

const [HOST = "127.0.0.1", PORT = "8990"] = process.argv.slice(2);

const phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
phone.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); // reuse the address at once after a restart

await phone.bind([HOST, Number(PORT)]);

await phone.listen(10);

console.log("运行中...", socket.formatAddress(phone.getsockname()));

const [conn, clientIpaddr] = await phone.accept();
console.log(`客户端IP:${clientIpaddr[0]},端口:${clientIpaddr[1]}`);
const utf8 = new StringDecoder("utf-8"); // keeps a character cut at a chunk boundary for the next chunk
while (true) {
  // the conversation loop
  try {
    const clientData = await conn.recv(1024);
    if (!clientData) break; // the caller hung up: recv gives null at end of stream
    console.log(utf8.write(clientData));
    const msg = (await input("请输入要发给客户端的信息:"))?.trim();
    if (msg === undefined) break; // end of input: hang up
    await conn.send(Buffer.from(msg, "utf-8"));
  } catch (err) {
    if (err instanceof socket.ConnectionResetError) break; // the caller vanished
    throw err;
  }
}
await conn.close();
await phone.close();
closeInput();
