/**
 * The seed's first server, line for line: answer one call, hear one message, reply, hang up.
 *
 *   node build/examples/seed-server-once.js [HOST] [PORT]     (default 127.0.0.1 8990)
 */
import * as socket from "hotline";

const [HOST = "127.0.0.1", PORT = "8990"] = process.argv.slice(2);

// 1. buy a phone: choose the protocol
const phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
// 2. put the SIM card in: bind the server's address and port
await phone.bind([HOST, Number(PORT)]);
// 3. switch it on: at most 10 callers wait in line
await phone.listen(10);
// 4. wait for a call
console.log("运行中...", socket.formatAddress(phone.getsockname()));
const [conn, _clientIpaddr] = await phone.accept();
// 5. talk: receive at most 1024 bytes, answer
const clientData = await conn.recv(1024);
console.log(clientData?.toString("utf-8"));
await conn.send(Buffer.from("你发的消息我已经收到啦.", "utf-8"));
// 6. hang up the call
await conn.close();
// 7. switch the phone off
await phone.close();
