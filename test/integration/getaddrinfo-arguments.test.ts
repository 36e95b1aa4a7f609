/**
 * getaddrinfo's argument checks, as CPython's: `getaddrinfo(123, 80)` used to fail with an
 * engine TypeError ("host.split is not a function"). Each bad call is also made in Python,
 * which must refuse it too.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as socket from "../../src/index.js";
import { Child } from "../helpers/child.js";

type Call = [ours: unknown[], python: string, argument: number];

const CALLS: Call[] = [
  [[123, 80], "123, 80", 1],
  [[["127.0.0.1"], 80], "['127.0.0.1'], 80", 1],
  [[true, 80], "True, 80", 1],
  [["127.0.0.1", 80.5], "'127.0.0.1', 80.5", 2],
  [["127.0.0.1", [80]], "'127.0.0.1', [80]", 2],
  [["127.0.0.1", true], "'127.0.0.1', True", 2],
  [["127.0.0.1", Number.NaN], "'127.0.0.1', float('nan')", 2],
  [["127.0.0.1", {}], "'127.0.0.1', {}", 2],
  [["127.0.0.1", 80, "x"], "'127.0.0.1', 80, 'x'", 3],
  [["127.0.0.1", 80, 0, 0.5], "'127.0.0.1', 80, 0, 0.5", 4],
  [["127.0.0.1", 80, 0, 0, null], "'127.0.0.1', 80, 0, 0, None", 5],
  [["127.0.0.1", 80, 0, 0, 0, "0"], "'127.0.0.1', 80, 0, 0, 0, '0'", 6],
];

/** The class of the exception Python raises for each call (or "ok"), one per line. */
async function pythonVerdicts(): Promise<string[]> {
  const lines = CALLS.map(
    ([, args]) =>
      `try:\n    socket.getaddrinfo(${args}); print("ok")\nexcept Exception as e:\n    print(type(e).__name__, e)`,
  );
  const { code, stdout, stderr } = await new Child("python3", ["-c", `import socket\n${lines.join("\n")}`]).done();
  assert.equal(code, 0, stderr);
  return stdout.toString().trimEnd().split("\n");
}

test("getaddrinfo(123, 80) and other wrong argument types are a TypeError naming the argument, as in Python", async () => {
  const python = await pythonVerdicts();
  for (const [i, [args, shown, argument]] of CALLS.entries()) {
    const call = (socket.getaddrinfo as (...a: unknown[]) => Promise<unknown>)(...args);
    await assert.rejects(call, (err: Error) => {
      assert.equal(err.constructor, TypeError, `getaddrinfo(${shown}): ${err.name}: ${err.message}`);
      assert.match(err.message, new RegExp(`^getaddrinfo\\(\\) argument ${argument}\\b`), shown);
      if (argument === 2) assert.match(err.message, /Int or String expected/);
      return true;
    });
    // Python refuses the same call: TypeError, but OSError "Int or String expected" for the port.
    const expected = argument === 2 ? /^OSError Int or String expected/ : /^TypeError /;
    assert.match(python[i] ?? "", expected, `Python's getaddrinfo(${shown})`);
  }
});

test("getaddrinfo still takes a port as an integer, a string or null, and a null host", async () => {
  const expected = [[socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ["127.0.0.1", 80]]];
  for (const port of [80, "80", "http"]) {
    assert.deepEqual(await socket.getaddrinfo("127.0.0.1", port, socket.AF_INET, socket.SOCK_STREAM), expected);
  }
  const any = await socket.getaddrinfo("127.0.0.1", null, 0, socket.SOCK_STREAM);
  assert.deepEqual(any[0]?.[4], ["127.0.0.1", 0]);
  const local = await socket.getaddrinfo(null, 80, socket.AF_INET, socket.SOCK_STREAM);
  assert.deepEqual(local[0]?.[4], ["127.0.0.1", 80]);
});

test("gethostbyname and getfqdn refuse a host that is not a string with a TypeError", async () => {
  const loose = socket as unknown as Record<string, (name: unknown) => Promise<string>>;
  for (const name of ["gethostbyname", "getfqdn"]) {
    await assert.rejects(loose[name]?.(123) as Promise<string>, (err: Error) => {
      assert.equal(err.constructor, TypeError, `${name}: ${err.message}`);
      assert.match(err.message, new RegExp(`^${name}\\(\\) argument 1 must be string, not number 123`));
      return true;
    });
  }
});
