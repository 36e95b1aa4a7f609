/**
 * The seed's looping client, line for line: messages typed on stdin, each answered by
 * the server before the next. End of input hangs up.
 *
 *   node build/examples/seed-client-loop.js [HOST] [PORT]     (default 127.0.0.1 8990)
 */
import { StringDecoder } from "node:string_decoder";
import * as socket from "hotline";
import { closeInput, input } from "./input.js";

const [HOST = "127.0.0.1", PORT = "8990"] = process.argv.slice(2);

const phone1 = socket.socket(socket.AF_INET, socket.SOCK_STREAM);

await phone1.connect([HOST, Number(PORT)]);
const utf8 = new StringDecoder("utf-8");
while (true) {
  // the conversation loop
  const msg = (await input("请输入你要发送的信息:"))?.trim();
  if (msg === undefined) break; // end of input: hang up
  if (!msg) continue; // an empty message is not sent
  await phone1.send(Buffer.from(msg, "utf-8"));
  const data = await phone1.recv(1024);
  if (!data) break; // the server hung up
  console.log(utf8.write(data));
}
await phone1.close();
closeInput();
