/**
 * The seed's four programs, ported in examples/, run against each other and against the
 * Python versions of their partners (test/fixtures/python), each as a real process.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Child, python } from "../helpers/child.js";
import { BUILD, PYTHON_FIXTURES } from "../helpers/paths.js";

const READY = /运行中\.\.\. 127\.0\.0\.1:(\d+)/;
type Side = "ts" | "python";

function server(side: Side, program: "once" | "loop", stdin?: string): Child {
  const args = ["127.0.0.1", "0"];
  const options = stdin === undefined ? {} : { stdin };
  return side === "ts"
    ? new Child(process.execPath, [`${BUILD}examples/seed-server-${program}.js`, ...args], options)
    : python(`${PYTHON_FIXTURES}seed_server_${program}.py`, args, options);
}

function client(side: Side, program: "once" | "loop", port: string, stdin?: string): Child {
  const args = ["127.0.0.1", port];
  const options = stdin === undefined ? {} : { stdin };
  return side === "ts"
    ? new Child(process.execPath, [`${BUILD}examples/seed-client-${program}.js`, ...args], options)
    : python(`${PYTHON_FIXTURES}seed_client_${program}.py`, args, options);
}

const PAIRS: [Side, Side][] = [
  ["ts", "ts"],
  ["ts", "python"],
  ["python", "ts"],
];

describe("the seed's one-shot call", () => {
  for (const [s, c] of PAIRS) {
    test(`${s} server, ${c} client`, async () => {
      const srv = server(s, "once");
      const [, port = ""] = await srv.line(READY);
      const cli = client(c, "once", port);
      const [clientDone, serverDone] = await Promise.all([cli.done(), srv.done()]);
      assert.equal(clientDone.code, 0, clientDone.stderr);
      assert.equal(serverDone.code, 0, serverDone.stderr);
      assert.match(serverDone.stdout.toString(), /洞一洞一,听到请回答!/);
      assert.match(clientDone.stdout.toString(), /你发的消息我已经收到啦\./);
    });
  }
});

describe("the seed's looping conversation", () => {
  for (const [s, c] of PAIRS) {
    test(`${s} server, ${c} client`, async () => {
      // The client skips the empty line, as the seed does; the server answers each message.
      const srv = server(s, "loop", "第一句回复\nsecond reply\n");
      const [, port = ""] = await srv.line(READY);
      const cli = client(c, "loop", port, "hello\n\n你好,世界\n");
      const [clientDone, serverDone] = await Promise.all([cli.done(), srv.done()]);
      assert.equal(clientDone.code, 0, clientDone.stderr);
      assert.equal(serverDone.code, 0, serverDone.stderr);
      const heard = serverDone.stdout.toString();
      assert.match(heard, /客户端IP:127\.0\.0\.1,端口:\d+/);
      assert.match(heard, /hello\n[\s\S]*你好,世界\n/);
      assert.match(clientDone.stdout.toString(), /第一句回复\n[\s\S]*second reply\n/);
    });
  }
});

test("the seed's looping server answers the seed's Python client (on a free port)", async () => {
  // Port 0 here, so the test never depends on a fixed port being free.
  const srv = server("ts", "loop", "收到\n");
  const [, port = ""] = await srv.line(READY);
  const cli = client("python", "loop", port, "洞一洞一,听到请回答!\n");
  const [clientDone] = await Promise.all([cli.done(), srv.done()]);
  assert.match(clientDone.stdout.toString(), /收到/);
});
