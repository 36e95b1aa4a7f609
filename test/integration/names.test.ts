/**
 * getaddrinfo, gethostbyname, gethostname and getfqdn, checked against Python's answers
 * on the same machine. Only literals and names in /etc/hosts are looked up, so no test
 * asks a name server.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { Child } from "../helpers/child.js";

/** What Python prints for one expression (with `socket` imported). */
async function py(expression: string): Promise<string> {
  const child = new Child("python3", ["-c", `import socket\nprint(${expression})`]);
  const { code, stdout, stderr } = await child.done();
  assert.equal(code, 0, stderr);
  return stdout.toString().trim();
}

/** Python's repr of getaddrinfo's list, with enums as plain numbers. */
function pyGai(args: string): Promise<string> {
  return py(`[(int(f), int(t), p, c, a) for f, t, p, c, a in socket.getaddrinfo(${args})]`);
}

function asPython(list: socket.AddrInfo[]): string {
  const tuple = (items: readonly unknown[]): string =>
    `(${items.map((x) => (typeof x === "string" ? `'${x}'` : Array.isArray(x) ? tuple(x) : String(x))).join(", ")})`;
  return `[${list.map((entry) => tuple(entry)).join(", ")}]`;
}

describe("getaddrinfo", () => {
  for (const args of [
    ["'127.0.0.1'", 80],
    ["'::1'", 8080],
    ["'localhost'", 22, "socket.AF_INET"],
    ["None", 80],
    ["None", 80, "0", "0", "0", "socket.AI_PASSIVE"],
    ["'127.0.0.1'", "'http'"],
    ["'127.0.0.1'", "'domain'"],
    ["'127.0.0.1'", 53, "0", "socket.SOCK_DGRAM"],
    ["'::1'", 443, "socket.AF_INET6", "socket.SOCK_STREAM"],
    ["'127.0.0.1'", 80, "0", "0", "socket.IPPROTO_TCP"],
  ] as const) {
    test(`matches Python: getaddrinfo(${args.join(", ")})`, async () => {
      const value = (text: string | number): string | number | null => {
        if (typeof text === "number") return text;
        if (text === "None") return null;
        if (text.startsWith("'")) return text.slice(1, -1);
        if (text.startsWith("socket.")) return (socket as unknown as Record<string, number>)[text.slice(7)] ?? NaN;
        return Number(text);
      };
      const [host, port, ...rest] = args.map(value);
      const ours = await socket.getaddrinfo(
        host as string | null,
        port as string | number | null,
        ...(rest as number[]),
      );
      assert.equal(asPython(ours), await pyGai(args.join(", ")));
    });
  }

  test("a literal of the other family is gaierror EAI_ADDRFAMILY, as in Python", async () => {
    await assert.rejects(socket.getaddrinfo("127.0.0.1", 80, socket.AF_INET6), (err: socket.OSError) => {
      assert.ok(err instanceof socket.gaierror);
      assert.equal(err.errno, -9);
      assert.equal(err.code, "EAI_ADDRFAMILY");
      assert.match(err.message, /^\[Errno -9\] Address family for hostname not supported/);
      return true;
    });
    await assert.rejects(socket.getaddrinfo("::1", 80, socket.AF_INET), { errno: -9 });
  });

  test("an unknown service is EAI_SERVICE; a name with AI_NUMERICHOST is EAI_NONAME", async () => {
    await assert.rejects(socket.getaddrinfo("127.0.0.1", "no-such-service"), { errno: -8, code: "EAI_SERVICE" });
    await assert.rejects(socket.getaddrinfo("localhost", 80, 0, 0, 0, socket.AI_NUMERICHOST), {
      errno: -2,
      code: "EAI_NONAME",
    });
  });

  test("names no resolver could find fail without asking a name server", async () => {
    for (const name of ["bad..name", "x".repeat(300), `${"y".repeat(64)}.example`]) {
      await assert.rejects(socket.getaddrinfo(name, 80), socket.gaierror);
      await assert.rejects(socket.gethostbyname(name), socket.gaierror);
      await assert.rejects(socket.socket().connect([name, 80]), { code: "EAI_NONAME" });
    }
  });

  test("a type and protocol that do not go together is EAI_SOCKTYPE, as in Python", async () => {
    await assert.rejects(socket.getaddrinfo("127.0.0.1", 80, 0, socket.SOCK_STREAM, socket.IPPROTO_UDP), {
      errno: -7,
      code: "EAI_SOCKTYPE",
    });
  });

  test("AI_CANONNAME puts the name in the first entry only", async () => {
    const list = await socket.getaddrinfo("localhost", 80, socket.AF_INET, 0, 0, socket.AI_CANONNAME);
    assert.equal(list[0]?.[3], "localhost");
    assert.ok(list.slice(1).every((entry) => entry[3] === ""));
  });

  test("ports out of range and bad families are refused", async () => {
    await assert.rejects(socket.getaddrinfo("127.0.0.1", 70000), RangeError);
    await assert.rejects(socket.getaddrinfo("127.0.0.1", 80, 12345), { code: "EAI_FAMILY" });
  });
});

describe("host names", () => {
  test("gethostbyname gives IPv4, as Python's", async () => {
    assert.equal(await socket.gethostbyname("localhost"), await py("socket.gethostbyname('localhost')"));
    assert.equal(await socket.gethostbyname("127.0.0.1"), "127.0.0.1");
  });

  test("gethostname is Python's", async () => {
    assert.equal(socket.gethostname(), await py("socket.gethostname()"));
  });

  test("getfqdn follows Python's rule", async () => {
    for (const name of ["127.0.0.1", "localhost"]) {
      assert.equal(await socket.getfqdn(name), await py(`socket.getfqdn('${name}')`), name);
    }
  });
});
