/**
 * createServer's reusePort (Python's create_server(reuse_port=True)): listeners that
 * share one port where this Node can pass SO_REUSEPORT on, and a clear refusal where it
 * cannot (Node 20, and 22 before 22.12, ignore the option: the port would not be shared).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { reusePortSupported } from "../../src/socket/stream-listener.js";
import { within } from "../helpers/within.js";

const supported = reusePortSupported();
const node = process.versions.node;

describe("createServer reusePort", () => {
  test("where Node drops reusePort, createServer refuses it with ENOPROTOOPT and names the way out", {
    skip: supported ? `Node ${node} supports reusePort` : false,
  }, async () => {
    await assert.rejects(socket.createServer(["127.0.0.1", 0], { reusePort: true }), (err: socket.OSError) => {
      assert.ok(err instanceof socket.OSError);
      assert.equal(err.code, "ENOPROTOOPT");
      assert.match(err.message, /Node 22\.12 or 23\.1/);
      assert.match(err.message, /cluster/);
      return true;
    });
    // reusePort: false asks for nothing, so it works on every Node.
    const server = await socket.createServer(["127.0.0.1", 0], { reusePort: false });
    await server.close();
  });

  test("reusePort that is not a boolean is a TypeError", async () => {
    await assert.rejects(
      socket.createServer(["127.0.0.1", 0], { reusePort: 1 as unknown as boolean }),
      (err: Error) => err instanceof TypeError && /reusePort/.test(err.message),
    );
  });

  test("two listeners with reusePort share one port, and callers reach both", {
    skip: supported ? false : `Node ${node} has no reusePort (needs 22.12 or 23.1 and later)`,
  }, async () => {
    const a = await socket.createServer(["127.0.0.1", 0], { reusePort: true, backlog: 256 });
    const [, port] = a.getsockname() as socket.Inet4Address;
    const b = await socket.createServer(["127.0.0.1", port], { reusePort: true, backlog: 256 });
    // Without SO_REUSEPORT on both, a third listener on the port is refused.
    await assert.rejects(socket.createServer(["127.0.0.1", port]), { code: "EADDRINUSE" });
    const seen = { a: 0, b: 0 };
    const serve = async (server: socket.Socket, key: "a" | "b"): Promise<void> => {
      for await (const [conn] of server.connections()) {
        seen[key]++;
        await conn.sendall(Buffer.from(key));
        await conn.close();
      }
    };
    const serving = Promise.all([serve(a, "a"), serve(b, "b")]);
    // The kernel picks a listener by a hash of each caller's address and port: with
    // 64 callers, both are picked (one alone would be a 2^-63 chance).
    const callers = async (): Promise<void> => {
      for (let i = 0; i < 64; i++) {
        const c = await socket.createConnection(["127.0.0.1", port]);
        const reply = await c.recv(1);
        assert.ok(reply?.toString() === "a" || reply?.toString() === "b");
        await c.close();
      }
    };
    await within(callers(), 10_000, "64 callers answered");
    await Promise.all([a.close(), b.close()]);
    await serving;
    assert.equal(seen.a + seen.b, 64);
    assert.ok(seen.a > 0 && seen.b > 0, `one listener took every caller: ${JSON.stringify(seen)}`);
  });
});
