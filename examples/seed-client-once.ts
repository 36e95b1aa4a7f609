/**
 * The seed's first client, line for line: dial, say one thing, print the answer.
 *
 *   node build/examples/seed-client-once.js [HOST] [PORT]     (default 127.0.0.1 8990)
 */
import * as socket from "hotline";

const [HOST = "127.0.0.1", PORT = "8990"] = process.argv.slice(2);

// 1. buy a phone
const phone1 = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
// 2. dial the server
await phone1.connect([HOST, Number(PORT)]);
// 3. speak, then listen for the answer
await phone1.send(Buffer.from("洞一洞一,听到请回答!", "utf-8"));
const data = await phone1.recv(1024);
console.log(data?.toString("utf-8"));
// 4. hang up
await phone1.close();
