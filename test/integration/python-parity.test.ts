/**
 * Where hotline differed from CPython's socket module (behaviours Lib/test/test_socket.py
 * checks) and now does what Python does. Each test makes the same call in python3, the
 * independent reference, and compares; where hotline differs on purpose, the test pins
 * down both sides of the row in docs/api.md's deviation table.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { Child } from "../helpers/child.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

/** Runs a Python program (`import socket, sys, json` done) and returns its stdout. */
async function py(code: string, args: readonly string[] = []): Promise<string> {
  const child = new Child("python3", ["-c", `import socket, sys, json\n${code}`, ...args]);
  const { code: status, stdout, stderr } = await child.done();
  assert.equal(status, 0, `python3 failed: ${stderr}`);
  return stdout.toString();
}

/** What a call failed with, as both sides can say it: the errno name, "TypeError", or "ok". */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (err) {
    if (err instanceof socket.OSError) return err.code;
    return (err as Error).constructor.name;
  }
}

/** The same, in Python: a function `outcome(f)` for the programs below. */
const PY_OUTCOME = `
import errno
def outcome(f):
    try:
        f()
        return "ok"
    except OSError as e:
        name = errno.errorcode.get(e.errno, "OSError") if e.errno else type(e).__name__
        return "EOPNOTSUPP" if name == "ENOTSUP" else name  # one number, two names in Python's table
    except Exception as e:
        return type(e).__name__
`;

const X = Buffer.from("x");

/**
 * Every socket a test makes is closed after it, even when an assertion failed half way:
 * a socket left open would keep the test file running after its tests ended.
 */
const opened = new Set<socket.Socket>();
function sock(family?: number, type?: number): socket.Socket {
  const s = socket.socket(family, type);
  opened.add(s);
  return s;
}
async function pair(family?: number): Promise<[socket.Socket, socket.Socket]> {
  const both = await socket.socketpair(family);
  for (const s of both) opened.add(s);
  return both;
}
afterEach(async () => {
  await Promise.all([...opened].map((s) => s.close()));
  opened.clear();
});

// ---- 1. sendto's arguments ------------------------------------------------------------

describe("sendto's arguments are checked as Python checks them", () => {
  const kinds = [
    { name: "UDP", make: () => sock(socket.AF_INET, socket.SOCK_DGRAM), py: "AF_INET, socket.SOCK_DGRAM" },
    { name: "TCP", make: () => sock(socket.AF_INET, socket.SOCK_STREAM), py: "AF_INET, socket.SOCK_STREAM" },
    { name: "Unix stream", make: () => sock(socket.AF_UNIX), py: "AF_UNIX, socket.SOCK_STREAM" },
  ];

  test("sendto(data, null) and sendto(data, 0, null) are TypeError (were EDESTADDRREQ, and a crash on the flags)", async () => {
    for (const kind of kinds) {
      const s = kind.make();
      const ours = [
        await outcome(() => s.sendto(X, null as unknown as socket.AddressInput)),
        await outcome(() => s.sendto(X, 0, null as unknown as socket.AddressInput)),
      ];
      const theirs = await py(
        `${PY_OUTCOME}\ns = socket.socket(socket.${kind.py})\nprint(outcome(lambda: s.sendto(b"x", None)), outcome(lambda: s.sendto(b"x", 0, None)))`,
      );
      assert.deepEqual(ours, ["TypeError", "TypeError"], kind.name);
      assert.equal(theirs.trim(), ours.join(" "), `${kind.name}: Python agrees`);
      await s.close();
    }
  });

  test("sendto with flags that are not an integer is a TypeError naming the flags (was ENOPROTOOPT or a crash)", async () => {
    const s = sock(socket.AF_INET, socket.SOCK_DGRAM);
    const loose = s.sendto.bind(s) as (...args: unknown[]) => Promise<number>;
    for (const flags of ["0", 0.5, null]) {
      await assert.rejects(loose(X, flags, ["127.0.0.1", 9]), (err: Error) => {
        assert.equal(err.constructor, TypeError, `flags ${String(flags)}: ${err.message}`);
        assert.match(err.message, /^sendto\(\) flags must be an integer/);
        return true;
      });
    }
    const theirs = await py(
      `${PY_OUTCOME}\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nprint(*[outcome(lambda: s.sendto(b"x", f, ("127.0.0.1", 9))) for f in ["0", 0.5, None]])`,
    );
    assert.equal(theirs.trim(), "TypeError TypeError TypeError");
    await s.close();
  });

  test("send, recv and sendto with the wrong number of arguments or string flags are TypeError, as in Python", async () => {
    const s = sock(socket.AF_INET, socket.SOCK_DGRAM);
    s.setblocking(false); // a recv that got past the checks fails at once instead of waiting forever
    const loose = s as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const call = (name: string, ...args: unknown[]) =>
      outcome(() => (loose[name] as (...a: unknown[]) => Promise<unknown>).apply(s, args));
    const ours = [
      await call("sendto", X),
      await call("sendto", X, 0, ["127.0.0.1", 9], 4),
      await call("send", X, "0"),
      await call("recv", 1, "0"),
      await call("recvfrom", 1, 0.5),
    ];
    const theirs = await py(`${PY_OUTCOME}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
print(outcome(lambda: s.sendto(b"x")), outcome(lambda: s.sendto(b"x", 0, ("127.0.0.1", 9), 4)),
      outcome(lambda: s.send(b"x", "0")), outcome(lambda: s.recv(1, "0")), outcome(lambda: s.recvfrom(1, 0.5)))`);
    assert.deepEqual(ours, ["TypeError", "TypeError", "TypeError", "TypeError", "TypeError"]);
    assert.equal(theirs.trim(), ours.join(" "));
    await s.close();
  });
});

// ---- 2. getaddrinfo's IPv6 literals -------------------------------------------------------

describe("getaddrinfo gives IPv6 addresses as Python does", () => {
  const HOSTS = [
    "ff02::1de:c0:face:8D",
    "0::1",
    "::FFFF:1.2.3.4",
    "0:0:0:0:0:ffff:102:304",
    "2001:DB8:0:0:1:0:0:1",
    "::0.0.0.2",
    "fe80::1%lo",
    "fe80::1%1",
    "ff02::1%lo",
    "::1%5",
    "fe80::1%4294967295",
    "fe80::1%4294967296",
    "::1%lo",
    "fe80::1%no-such-if",
    "fe80::1%",
    "1.2.3.4%lo",
    "127.0.0.1",
  ];

  test("IPv6 literals come back normalised (ff02::1de:c0:face:8D -> ...:8d, 0::1 -> ::1), %scope as its id", async () => {
    const theirs = JSON.parse(
      await py(
        `out = []
for h in json.loads(sys.argv[1]):
    try:
        out.append([list(i[4]) for i in socket.getaddrinfo(h, 80, 0, socket.SOCK_STREAM)])
    except socket.gaierror as e:
        out.append(e.errno)
print(json.dumps(out))`,
        [JSON.stringify(HOSTS)],
      ),
    ) as unknown[];
    for (const [i, host] of HOSTS.entries()) {
      let ours: unknown;
      try {
        ours = (await socket.getaddrinfo(host, 80, 0, socket.SOCK_STREAM)).map((info) => info[4]);
      } catch (err) {
        assert.ok(err instanceof socket.gaierror, `${host}: ${String(err)}`);
        ours = err.errno;
      }
      assert.deepEqual(ours, theirs[i], `getaddrinfo(${JSON.stringify(host)}, 80)`);
    }
  });

  test("the IPv6 formatter writes every address as glibc's inet_ntop does", async () => {
    // Addresses with zero runs of every length and place, mapped and compatible IPv4 forms.
    const samples: string[] = ["::", "::1", "1::", "::ffff:0:0", "::ffff:1:2", "::fffe:1.2.3.4", "1:0:0:2:0:0:3:4"];
    const words = [0, 0, 0, 1, 0xffff, 0xabc, 0x8d, 0x1de];
    for (let n = 0; n < 400; n++) {
      const bytes = randomBytes(8);
      samples.push(
        Array.from(bytes, (b) => ((b & 3) === 0 ? (words[b >> 5] ?? 0).toString(16).toUpperCase() : "0")).join(":"),
      );
    }
    const theirs = (
      await py(
        `for h in json.loads(sys.argv[1]):
    print(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, h)))`,
        [JSON.stringify(samples)],
      )
    )
      .trimEnd()
      .split("\n");
    const ours = await Promise.all(
      samples.map(async (host) => (await socket.getaddrinfo(host, 0, socket.AF_INET6, socket.SOCK_STREAM))[0]?.[4][0]),
    );
    assert.deepEqual(ours, theirs);
  });
});

// ---- 3. sending on a stream that is not connected -------------------------------------------

describe("send on a stream socket that is not connected fails as in Python", () => {
  test("send/sendall/sendto on TCP that is not connected are BrokenPipeError (EPIPE), Unix ENOTCONN (were ENOTCONN on TCP)", async () => {
    const dir = tempDir();
    const setups = [
      { name: "tcp4", family: socket.AF_INET, address: (): socket.AddressInput => ["127.0.0.1", 0] },
      { name: "tcp6", family: socket.AF_INET6, address: (): socket.AddressInput => ["::1", 0] },
      { name: "unix", family: socket.AF_UNIX, address: (): socket.AddressInput => join(dir, `s${Math.random()}`) },
    ];
    const ours: string[] = [];
    for (const setup of setups) {
      const s = sock(setup.family);
      const to: socket.AddressInput =
        setup.family === socket.AF_UNIX ? join(dir, "nobody") : (setup.address() as [string, number]);
      const round = async (state: string): Promise<void> => {
        ours.push(
          `${setup.name} ${state}`,
          await outcome(() => s.send(X)),
          await outcome(() => s.sendall(X)),
          await outcome(() => s.send(Buffer.alloc(0))),
          await outcome(() => s.sendto(X, to)),
        );
      };
      await round("fresh");
      await s.bind(setup.address());
      await round("bound");
      await s.listen();
      await round("listening");
      await s.close();
    }
    const theirs = await py(
      `${PY_OUTCOME}
d = sys.argv[1]
import random
out = []
for name, fam, addr in [("tcp4", socket.AF_INET, ("127.0.0.1", 0)), ("tcp6", socket.AF_INET6, ("::1", 0)), ("unix", socket.AF_UNIX, None)]:
    s = socket.socket(fam)
    to = d + "/nobody" if fam == socket.AF_UNIX else addr
    def round(state):
        out.extend([name + " " + state, outcome(lambda: s.send(b"x")), outcome(lambda: s.sendall(b"x")),
                    outcome(lambda: s.send(b"")), outcome(lambda: s.sendto(b"x", to))])
    round("fresh")
    s.bind(addr if addr else d + "/p%f" % random.random())
    round("bound")
    s.listen()
    round("listening")
    s.close()
print(json.dumps(out))`,
      [dir],
    );
    assert.deepEqual(ours, JSON.parse(theirs));
    assert.ok(ours.includes("EPIPE") && ours.includes("ENOTCONN"), ours.join(" "));
  });

  test("a TCP sendto to a literal address keeps its place among sends made without awaiting", async () => {
    const [a, b] = await pair(socket.AF_INET);
    const sends = [a.sendto(Buffer.from("1"), ["127.0.0.1", 9]), a.send(Buffer.from("2")), a.sendall(Buffer.from("3"))];
    await Promise.all(sends);
    a.shutdown(socket.SHUT_WR);
    const parts: Buffer[] = [];
    for await (const chunk of b.chunks()) parts.push(chunk);
    assert.equal(Buffer.concat(parts).toString(), "123");
  });

  test("sendto on a connected TCP socket sends to the peer, as Linux ignores the address; a Unix stream says EISCONN", async () => {
    for (const family of [socket.AF_INET, socket.AF_UNIX]) {
      const [a, b] = await pair(family);
      const elsewhere: socket.AddressInput = family === socket.AF_UNIX ? join(tempDir(), "x") : ["127.0.0.1", 9];
      if (family === socket.AF_UNIX) await assert.rejects(a.sendto(X, elsewhere), { code: "EISCONN" });
      else {
        assert.equal(await a.sendto(Buffer.from("hi"), elsewhere), 2);
        assert.equal((await within(b.recv(10), 5000, "the bytes sendto sent"))?.toString(), "hi");
        await assert.rejects(
          a.sendto(X, ["::1", 9]),
          socket.gaierror,
          "an address of the other family is still refused",
        );
      }
      await Promise.all([a.close(), b.close()]);
    }
    const theirs = await py(`${PY_OUTCOME}
server = socket.create_server(("127.0.0.1", 0))
a = socket.create_connection(server.getsockname())
b, _ = server.accept()
print(outcome(lambda: a.sendto(b"hi", ("127.0.0.1", 9))), b.recv(10).decode())
a, b = socket.socketpair(socket.AF_UNIX)
print(outcome(lambda: a.sendto(b"hi", "/nonexistent/x")))`);
    assert.equal(theirs, "ok hi\nEISCONN\n");
  });
});

// ---- 4 and 5. Linux abstract names and autobind ---------------------------------------------

const LINUX = process.platform === "linux";
const [uvMajor = 0, uvMinor = 0] = (process.versions.uv ?? "0.0").split(".").map(Number);
/** libuv 1.48 (Node 22) and later bind and dial an abstract name with its exact length. */
const EXACT = uvMajor > 1 || (uvMajor === 1 && uvMinor >= 48);
const NOT_LINUX = LINUX ? false : "abstract names exist on Linux only";
const NODE_20 = `Node ${process.version} (libuv ${process.versions.uv}) pads abstract names to 108 bytes`;

/** A fresh abstract name with a NUL inside, as hex for Python's bytes.fromhex. */
function abstractName(length?: number): string {
  const name = `\0hotline-${process.pid}-${randomBytes(4).toString("hex")}\0x`;
  return length === undefined ? name : name.padEnd(length, "z");
}
const hex = (name: string): string => Buffer.from(name).toString("hex");

/** A Python server bound to `name` (hex), accepting one caller: it prints its names and replies. */
function pythonAbstractServer(name: string): Child {
  return new Child("python3", [
    "-c",
    `import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(bytes.fromhex(sys.argv[1]))
s.listen()
print("ready", s.getsockname().hex(), flush=True)
c, addr = s.accept()
print("accepted", repr(addr), c.getsockname().hex(), flush=True)
c.sendall(c.recv(100).upper())
c.close()`,
    hex(name),
  ]);
}

/** A Python client of `name` (hex): prints getpeername() and what the server said. */
async function pythonAbstractClient(name: string): Promise<string> {
  return py(
    `c = socket.socket(socket.AF_UNIX)
c.connect(bytes.fromhex(sys.argv[1]))
c.sendall(b"from python")
print(c.getpeername().hex(), c.recv(100).decode())`,
    [hex(name)],
  );
}

/** Serves one caller on a hotline listener: returns its accept() address, getsockname(), and echoes in upper case. */
async function serveOne(server: socket.Socket): Promise<[socket.Address, socket.Address]> {
  const [conn, addr] = await within(server.accept(), 10_000, "Python to call");
  const data = await conn.recv(100);
  await conn.sendall(Buffer.from(data?.toString().toUpperCase() ?? ""));
  const name = conn.getsockname();
  await conn.close();
  return [addr, name];
}

describe('Linux abstract AF_UNIX names ("\\0name"), with Python at the other end', { skip: NOT_LINUX }, () => {
  test("abstract names with a NUL inside bind, accept and connect as in Python (were refused)", {
    skip: EXACT ? false : NODE_20,
  }, async () => {
    const name = abstractName();
    const server = sock(socket.AF_UNIX);
    await server.bind(name);
    await server.listen();
    assert.equal(server.getsockname(), name);
    const serving = serveOne(server);
    const said = await pythonAbstractClient(name);
    assert.equal(said.trim(), `${hex(name)} FROM PYTHON`, "Python reached the exact name and its getpeername() is it");
    assert.deepEqual(await serving, ["", name], "accept() gives '' for an unbound caller, getsockname() the name");
    await server.close();

    const other = abstractName();
    const peer = pythonAbstractServer(other);
    await peer.line(/^ready /m);
    const c = sock(socket.AF_UNIX);
    await c.connect(other);
    assert.equal(c.getpeername(), other);
    assert.equal(c.getsockname(), "");
    await c.sendall(Buffer.from("from hotline"));
    assert.equal((await within(c.recv(100), 10_000, "Python's reply"))?.toString(), "FROM HOTLINE");
    await c.close();
    const { stdout } = await peer.done();
    assert.match(stdout.toString(), new RegExp(`^accepted '' ${hex(other)}$`, "m"));
  });

  test("an abstract name may be 108 bytes, its NUL included; 109 is ENAMETOOLONG before Node can cut it", async () => {
    const longest = abstractName(108);
    const s = sock(socket.AF_UNIX);
    await s.bind(longest);
    assert.equal(Buffer.byteLength(s.getsockname() as string), 108);
    await s.close();
    await assert.rejects(sock(socket.AF_UNIX).bind(abstractName(109)), { code: "ENAMETOOLONG" });
    await assert.rejects(sock(socket.AF_UNIX).connect(abstractName(109)), { code: "ENAMETOOLONG" });
    const theirs = await py(
      `${PY_OUTCOME}\nfor n in (108, 109):\n    print(outcome(lambda: socket.socket(socket.AF_UNIX).bind(b"\\0" + b"z" * (n - 1))))`,
    );
    assert.equal(theirs, "ok\nOSError\n", "Python: the same limit (its error has no errno)");
  });

  test("a 108-byte abstract name reaches Python both ways on every Node", async () => {
    const name = abstractName(108);
    const server = sock(socket.AF_UNIX);
    await server.bind(name);
    await server.listen();
    const serving = serveOne(server);
    assert.equal((await pythonAbstractClient(name)).trim(), `${hex(name)} FROM PYTHON`);
    await serving;
    await server.close();
    const other = abstractName(108);
    const peer = pythonAbstractServer(other);
    await peer.line(/^ready /m);
    const c = sock(socket.AF_UNIX);
    await c.connect(other);
    await c.sendall(Buffer.from("ok"));
    assert.equal((await within(c.recv(100), 10_000, "Python's reply"))?.toString(), "OK");
    await c.close();
    assert.equal((await peer.done()).code, 0);
  });

  test("a shorter abstract name on Node 20 is EOPNOTSUPP, not a padded name no other program can reach", {
    skip: EXACT ? "this Node binds abstract names exactly" : false,
  }, async () => {
    await assert.rejects(sock(socket.AF_UNIX).bind(abstractName()), { code: "EOPNOTSUPP" });
    await assert.rejects(sock(socket.AF_UNIX).connect(abstractName()), { code: "EOPNOTSUPP" });
  });

  test("closing an abstract listener frees the name and leaves no file behind", {
    skip: EXACT ? false : NODE_20,
  }, async () => {
    const name = abstractName();
    const s = sock(socket.AF_UNIX);
    await s.bind(name);
    await s.listen();
    await assert.rejects(sock(socket.AF_UNIX).bind(name), { code: "EADDRINUSE" });
    await s.close();
    assert.equal(existsSync(name.slice(1)), false);
    const again = sock(socket.AF_UNIX);
    await again.bind(name);
    await again.close();
    await assert.rejects(sock(socket.AF_UNIX).connect(name), socket.ConnectionRefusedError);
  });

  test("bind('') autobinds an abstract name of Linux's form, as Python's (was a raw Node TypeError)", {
    skip: EXACT ? false : NODE_20,
  }, async () => {
    const s = sock(socket.AF_UNIX);
    await s.bind("");
    const name = s.getsockname() as string;
    assert.match(name, /^\0[0-9a-f]{5}$/);
    const theirs = await py(`s = socket.socket(socket.AF_UNIX)\ns.bind("")\nprint(repr(s.getsockname()))`);
    assert.match(theirs, /^b'\\x00[0-9a-f]{5}'$/m, "Python's autobind name has the same form");
    await s.listen();
    const serving = serveOne(s);
    assert.equal((await pythonAbstractClient(name)).trim(), `${hex(name)} FROM PYTHON`);
    await serving;
    await s.close();
  });

  test("bind('') where Node cannot autobind is OSError EOPNOTSUPP with a reason, not a raw TypeError", {
    skip: EXACT ? "this Node autobinds" : false,
  }, async () => {
    await assert.rejects(sock(socket.AF_UNIX).bind(""), (err: Error) => {
      assert.ok(err instanceof socket.OSError, `${err.name}: ${err.message}`);
      assert.equal(err.code, "EOPNOTSUPP");
      assert.match(err.message, /autobind/);
      return true;
    });
  });
});

describe("AF_UNIX calls with no name", () => {
  test("listen() on an unbound AF_UNIX socket is EINVAL, as in Python (no autobind there either)", async () => {
    await assert.rejects(sock(socket.AF_UNIX).listen(), { code: "EINVAL" });
    assert.equal(await py(`${PY_OUTCOME}\nprint(outcome(lambda: socket.socket(socket.AF_UNIX).listen()))`), "EINVAL\n");
  });

  test("connect('') on AF_UNIX is EINVAL, as in Python (was a TCP dial to localhost)", async () => {
    await assert.rejects(sock(socket.AF_UNIX).connect(""), { code: "EINVAL" });
    assert.equal(
      await py(`${PY_OUTCOME}\nprint(outcome(lambda: socket.socket(socket.AF_UNIX).connect("")))`),
      "EINVAL\n",
    );
  });
});

// ---- 6 and 7. makefile() ------------------------------------------------------------------------

describe("makefile() as Python's", () => {
  test("a makefile() file has closed, false until close(), as Python's", async () => {
    const [a, b] = await pair();
    const f = a.makefile("rw");
    assert.equal(f.closed, false);
    f.close();
    assert.equal(f.closed, true);
    assert.equal(
      await py(
        `a, b = socket.socketpair()\nf = a.makefile("rw")\nprint(f.closed, end=" ")\nf.close()\nprint(f.closed)`,
      ),
      "False True\n",
    );
    await Promise.all([a.close(), b.close()]);
  });

  test("a readline that timed out can be retried and loses nothing, where Python refuses (deviation)", async () => {
    const [a, b] = await pair();
    b.settimeout(0.05);
    const f = b.makefile("r");
    await a.sendall(Buffer.from("par"));
    await assert.rejects(f.readline(), socket.TimeoutError);
    await a.sendall(Buffer.from("t\nnext\n"));
    assert.equal(await f.readline(), "part\n");
    assert.equal(await f.readline(), "next\n");
    await Promise.all([a.close(), b.close()]);
    const theirs = await py(`a, b = socket.socketpair()
b.settimeout(0.05)
f = b.makefile("r")
a.sendall(b"par")
try:
    f.readline()
except TimeoutError:
    print("timed out")
a.sendall(b"t\\nnext\\n")
try:
    print(repr(f.readline()))
except OSError as e:
    print("refused:", e)`);
    assert.equal(theirs, "timed out\nrefused: cannot read from timed out object\n");
  });

  const NEWLINE_VALUES: (string | null)[] = [null, "", "\n", "\r", "\r\n"];
  const TEXTS = ["a\r\nb\rc\nd", "x\r\r\ny\n\rz\r", "\r", "\r\n\r\n", "one\r\ntwo\r\n", "no ending", "é\r\n📞\rend\n"];

  /** Python's lines (readline until '') and read() for each text and newline value. */
  async function pythonReads(): Promise<{ lines: string[][][]; whole: string[][] }> {
    return JSON.parse(
      await py(
        `texts, newlines = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def reader(text, newline):
    a, b = socket.socketpair()
    a.sendall(text.encode())
    a.close()
    return b.makefile("r", encoding="utf-8", newline=newline)
print(json.dumps({"lines": [[list(reader(t, n)) for n in newlines] for t in texts],
                  "whole": [[reader(t, n).read() for n in newlines] for t in texts]}))`,
        [JSON.stringify(TEXTS), JSON.stringify(NEWLINE_VALUES)],
      ),
    );
  }

  /** Our reader over `text`, sent one byte at a time so "\r" and "\n" arrive apart. */
  async function ourReader(text: string, newline: string | null): Promise<[socket.SocketFile, socket.Socket]> {
    const [a, b] = await pair();
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i++) await a.sendall(bytes.subarray(i, i + 1));
    await a.close();
    return [b.makefile("r", { newline: newline as socket.Newline }), b];
  }

  test("text readline() ends lines at \\r\\n and \\r and gives \\n by default, and follows each newline value, as Python", async () => {
    const theirs = await pythonReads();
    for (const [i, text] of TEXTS.entries()) {
      for (const [j, newline] of NEWLINE_VALUES.entries()) {
        const [f, sock] = await ourReader(text, newline);
        const lines: string[] = [];
        for await (const line of f) lines.push(line as string);
        assert.deepEqual(
          lines,
          theirs.lines[i]?.[j],
          `lines of ${JSON.stringify(text)}, newline=${JSON.stringify(newline)}`,
        );
        const [g, sock2] = await ourReader(text, newline);
        assert.equal(
          await g.read(),
          theirs.whole[i]?.[j],
          `read() of ${JSON.stringify(text)}, newline=${JSON.stringify(newline)}`,
        );
        await Promise.all([sock.close(), sock2.close()]);
      }
    }
  });

  test("makefile('r') with no newline option gives \\r\\n and \\r as \\n (kept \\r\\n before), as Python's default", async () => {
    const [a, b] = await pair();
    await a.sendall(Buffer.from("GET / HTTP/1.0\r\nHost: x\r\rend"));
    await a.close();
    const f = b.makefile("r");
    const lines: string[] = [];
    for await (const line of f) lines.push(line as string);
    const theirs = await py(
      `a, b = socket.socketpair()\na.sendall(b"GET / HTTP/1.0\\r\\nHost: x\\r\\rend")\na.close()\nprint(json.dumps(list(b.makefile("r"))))`,
    );
    assert.deepEqual(lines, ["GET / HTTP/1.0\n", "Host: x\n", "\n", "end"]);
    assert.deepEqual(lines, JSON.parse(theirs));
  });

  test("text write() turns \\n into what newline asks for, as Python", async () => {
    const text = "a\nb\r\nc\rd\n";
    const ours: string[] = [];
    for (const newline of NEWLINE_VALUES) {
      const [a, b] = await pair();
      const f = a.makefile("w", { newline: newline as socket.Newline });
      assert.equal(await f.write(text), text.length, "write() counts the characters given");
      await a.close();
      const parts: Buffer[] = [];
      for await (const chunk of b.chunks()) parts.push(chunk);
      ours.push(Buffer.concat(parts).toString("hex"));
      await b.close();
    }
    const theirs = await py(
      `for n in json.loads(sys.argv[2]):
    a, b = socket.socketpair()
    f = a.makefile("w", encoding="utf-8", newline=n)
    f.write(sys.argv[1])
    f.close()
    a.close()
    print(b.makefile("rb").read().hex())`,
      [text, JSON.stringify(NEWLINE_VALUES)],
    );
    assert.deepEqual(ours, theirs.trimEnd().split("\n"));
  });

  test("a newline value Python refuses is refused (ValueError there: RangeError here); binary files ignore it", async () => {
    const [a, b] = await pair();
    assert.throws(() => a.makefile("r", { newline: "x" as socket.Newline }), RangeError);
    assert.throws(() => a.makefile("r", { newline: 1 as unknown as socket.Newline }), TypeError);
    assert.equal(a.makefile("rb", { newline: "x" as socket.Newline }).mode, "rb");
    const theirs = await py(
      `a, b = socket.socketpair()\nfor mode, n in (("r", "x"), ("r", 1), ("rb", "x")):\n    try:\n        print(type(a.makefile(mode, newline=n)).__name__)\n    except Exception as e:\n        print(type(e).__name__)`,
    );
    assert.equal(theirs, "ValueError\nTypeError\nBufferedReader\n");
    await Promise.all([a.close(), b.close()]);
  });
});

// ---- 8. documented deviations ----------------------------------------------------------------

describe("deviations docs/api.md lists, both sides pinned down", () => {
  test("getaddrinfo port 65536 is a RangeError where Python wraps it to port 0", async () => {
    for (const port of [65536, "65536", 70000]) {
      await assert.rejects(socket.getaddrinfo("127.0.0.1", port, socket.AF_INET, socket.SOCK_STREAM), RangeError);
    }
    const theirs = await py(
      `for p in (65536, "65536", 70000):\n    print(socket.getaddrinfo("127.0.0.1", p, socket.AF_INET, socket.SOCK_STREAM)[0][4][1])`,
    );
    assert.equal(theirs, "0\n0\n4464\n");
  });

  test("sendto to another address on a connected UDP socket is EISCONN where Python sends it", async () => {
    const [a, b, c] = [
      sock(socket.AF_INET, socket.SOCK_DGRAM),
      sock(socket.AF_INET, socket.SOCK_DGRAM),
      sock(socket.AF_INET, socket.SOCK_DGRAM),
    ];
    await b.bind(["127.0.0.1", 0]);
    await c.bind(["127.0.0.1", 0]);
    await a.connect(b.getsockname());
    await assert.rejects(a.sendto(X, c.getsockname()), { code: "EISCONN" });
    const theirs = await py(`a, b, c = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3))
b.bind(("127.0.0.1", 0))
c.bind(("127.0.0.1", 0))
a.connect(b.getsockname())
print(a.sendto(b"x", c.getsockname()), c.recv(1))`);
    assert.equal(theirs, "1 b'x'\n");
  });

  test("a NUL inside a Unix path is a TypeError where Python binds the part before it", async () => {
    const dir = tempDir();
    await assert.rejects(sock(socket.AF_UNIX).bind(join(dir, "a\0b")), TypeError);
    assert.equal(existsSync(join(dir, "a")), false);
    await py(`socket.socket(socket.AF_UNIX).bind(sys.argv[1] + "/a\\0b")`, [dir]);
    assert.equal(existsSync(join(dir, "a")), true, "Python made dir/a");
  });

  test("accept() gives '' for a Unix caller that bound a name, where Python gives that name", async () => {
    const dir = tempDir();
    const server = sock(socket.AF_UNIX);
    await server.bind(join(dir, "server"));
    await server.listen();
    const caller = new Child("python3", [
      "-c",
      `import socket, sys\nc = socket.socket(socket.AF_UNIX)\nc.bind(sys.argv[1] + "/caller")\nc.connect(sys.argv[1] + "/server")\nc.recv(1)`,
      dir,
    ]);
    const [conn, addr] = await within(server.accept(), 10_000, "Python to call");
    opened.add(conn);
    assert.equal(addr, "");
    assert.equal(conn.getpeername(), "");
    await conn.close();
    assert.equal((await caller.done()).code, 0);
    const theirs = await py(
      `d = sys.argv[1]\ns = socket.socket(socket.AF_UNIX)\ns.bind(d + "/s2")\ns.listen()\nc = socket.socket(socket.AF_UNIX)\nc.bind(d + "/c2")\nc.connect(d + "/s2")\nprint(s.accept()[1] == d + "/c2")`,
      [dir],
    );
    assert.equal(theirs, "True\n");
  });

  test("a timeout's TimeoutError carries errno ETIMEDOUT (110 on Linux) where Python's has errno None", async () => {
    const [a, b] = await pair();
    b.settimeout(0.01);
    await assert.rejects(b.recv(1), (err: socket.OSError) => {
      assert.ok(err instanceof socket.TimeoutError);
      assert.equal(err.code, "ETIMEDOUT");
      assert.equal(err.errno, constants.errno.ETIMEDOUT);
      assert.equal(err.message, "timed out");
      return true;
    });
    await Promise.all([a.close(), b.close()]);
    const theirs = await py(
      `a, b = socket.socketpair()\nb.settimeout(0.01)\ntry:\n    b.recv(1)\nexcept TimeoutError as e:\n    print(e.errno, e)`,
    );
    assert.equal(theirs, "None timed out\n");
  });
});
