/**
 * Input shared by calls in turn (--serial) or at once (-k), and a UDP listener's log
 * failures: found in review, each reproduced with the real binary before it was fixed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { test } from "node:test";
import * as socket from "../../src/index.js";
import { Child } from "../helpers/child.js";
import { hotline, listening } from "../helpers/hotline.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

async function dial(port: string): Promise<socket.Socket> {
  const s = socket.socket();
  s.settimeout(10);
  await s.connect(["127.0.0.1", Number(port)]);
  return s;
}

for (const [name, args, ended] of [
  ["--serial", ["listen", "127.0.0.1", "0", "--serial", "-v"], /bytes received in/],
  ["-k", ["-lk", "127.0.0.1", "0", "-vv"], /hung up/],
] as const) {
  test(`${name}: stdin that arrives between two callers reaches the next one (a finished call's pending read took it)`, async () => {
    const server = hotline(args);
    const port = await listening(server);
    const stdin = server.proc.stdin as Writable;
    const first = await dial(port);
    stdin.write("A\n");
    assert.equal((await first.recv(100))?.toString(), "A\n");
    await first.close();
    await server.line(ended);
    stdin.write("B\n"); // nobody is on the line now
    const second = await dial(port);
    assert.equal((await second.recv(100))?.toString(), "B\n");
    stdin.end("C\n");
    assert.equal((await second.recv(100))?.toString(), "C\n");
    await second.close();
    server.proc.kill("SIGINT");
    await server.done();
  });
}

test("-u -l: a log that fails on a later datagram ends the listener with the file named (it exited 0 in silence)", async () => {
  const fifo = join(tempDir(), "log.fifo");
  execFileSync("mkfifo", [fifo]);
  const reader = new Child("head", ["-c", "1", fifo]); // takes one byte, then leaves
  const server = hotline(["-lu", "127.0.0.1", "0", "-o", fifo], { stdin: "" });
  const port = Number(await listening(server));
  const peer = createSocket("udp4");
  const send = (text: string): Promise<void> =>
    new Promise((resolve, reject) => peer.send(text, port, "127.0.0.1", (err) => (err ? reject(err) : resolve())));
  await send("one\n");
  await reader.done(); // the log's reader is gone: the next write to it fails
  await send("two\n");
  const { code, stderr } = await within(server.done(), 10_000, "the listener to end");
  peer.close();
  assert.equal(code, 1);
  assert.match(stderr, new RegExp(`write ${fifo.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(-o\\): broken pipe`));
});
