/**
 * hotline with the tools people already use, in both roles: OpenBSD nc, ncat, socat and
 * Python's socket module. Data both ways is checked by SHA-256, and a half-close
 * exchange (send, EOF, then read the reply) works with each dialler.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { python } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { bash, has, HL as hl, hotline, listening } from "../helpers/hotline.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";
import { unusedPort } from "../helpers/ports.js";
import { tempDir } from "../helpers/transports.js";

interface Tool {
  name: string;
  bin: string;
  /** Dial 127.0.0.1:port, sending stdin and sending FIN at its end. */
  dial: (port: number) => string;
  /** Listen on 127.0.0.1:port for one call; prints a line matching `ready` on stderr. */
  listen: (port: number) => string;
  ready: RegExp;
}

const TOOLS: Tool[] = [
  {
    name: "ncat",
    bin: "ncat",
    dial: (p) => `ncat 127.0.0.1 ${p}`,
    listen: (p) => `ncat -v -l 127.0.0.1 ${p}`,
    ready: /Listening on/,
  },
  {
    name: "nc (OpenBSD)",
    bin: "nc",
    dial: (p) => `nc -N 127.0.0.1 ${p}`,
    listen: (p) => `nc -v -N -l 127.0.0.1 ${p}`,
    ready: /Listening on/,
  },
  {
    name: "socat",
    bin: "socat",
    dial: (p) => `socat -t 10 - TCP:127.0.0.1:${p}`,
    listen: (p) => `socat -d -d -t 10 TCP-LISTEN:${p},bind=127.0.0.1,reuseaddr -`,
    ready: /listening on/,
  },
];

for (const tool of TOOLS) {
  describe(`with ${tool.name}`, () => {
    test(`${tool.name} dials hotline: 2 MiB each way`, async (t) => {
      if (!has(tool.bin)) return t.skip(`${tool.bin} is not installed`);
      const dir = tempDir();
      const [a, b] = [random(2 * 1024 * 1024), random(2 * 1024 * 1024)];
      writeFileSync(join(dir, "a"), a);
      writeFileSync(join(dir, "b"), b);
      const server = bash(`${hl} listen 127.0.0.1 0 < ${dir}/a > ${dir}/a-got`);
      const port = Number(await listening(server));
      const client = bash(`${tool.dial(port)} < ${dir}/b > ${dir}/b-got`);
      const [s, c] = await Promise.all([server.done(), client.done()]);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(sha256(readFileSync(`${dir}/a-got`)), sha256(b));
      assert.equal(sha256(readFileSync(`${dir}/b-got`)), sha256(a));
    });

    test(`hotline dials ${tool.name}: 2 MiB each way`, async (t) => {
      if (!has(tool.bin)) return t.skip(`${tool.bin} is not installed`);
      const dir = tempDir();
      const [a, b] = [random(2 * 1024 * 1024), random(2 * 1024 * 1024)];
      writeFileSync(join(dir, "a"), a);
      writeFileSync(join(dir, "b"), b);
      const port = await unusedPort();
      const server = bash(`${tool.listen(port)} < ${dir}/a > ${dir}/a-got`);
      await server.line(tool.ready);
      const client = bash(`${hl} connect 127.0.0.1 ${port} < ${dir}/b > ${dir}/b-got`);
      const [s, c] = await Promise.all([server.done(), client.done()]);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(sha256(readFileSync(`${dir}/a-got`)), sha256(b));
      assert.equal(sha256(readFileSync(`${dir}/b-got`)), sha256(a));
    });

    test(`half-close: ${tool.name} sends, EOF, then reads hotline's reply`, async (t) => {
      if (!has(tool.bin)) return t.skip(`${tool.bin} is not installed`);
      const server = hotline(["listen", "127.0.0.1", "0"]);
      const port = Number(await listening(server));
      const client = bash(`printf question | ${tool.dial(port)}`);
      await server.stdoutEnded(); // the caller's EOF ends hotline's stdout
      assert.equal(server.stdout, "question");
      server.proc.stdin?.end("answer after your EOF");
      const [s, c] = await Promise.all([server.done(), client.done()]);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.toString(), "answer after your EOF");
    });
  });
}

describe("with the seed's Python programs", () => {
  test("hotline listen answers the seed's one-shot client", async () => {
    const server = hotline(["listen", "127.0.0.1", "0"], { stdin: "你发的消息我已经收到啦." });
    const port = await listening(server);
    const client = python(`${PYTHON_FIXTURES}seed_client_once.py`, ["127.0.0.1", port]);
    const [s, c] = await Promise.all([server.done(), client.done()]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.stdout.toString(), "洞一洞一,听到请回答!");
    assert.equal(c.stdout.toString(), "你发的消息我已经收到啦.\n");
  });

  test("hotline connect talks with the seed's looping server", async () => {
    const server = python(`${PYTHON_FIXTURES}seed_server_loop.py`, ["127.0.0.1", "0"], { stdin: "收到\n" });
    const [, port = ""] = await server.line(/运行中\.\.\. 127\.0\.0\.1:(\d+)/);
    const client = hotline(["connect", "127.0.0.1", port], { stdin: "洞一洞一,听到请回答!" });
    const [s, c] = await Promise.all([server.done(), client.done()]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.toString(), "收到");
    assert.match(s.stdout.toString(), /洞一洞一,听到请回答!/);
  });
});
