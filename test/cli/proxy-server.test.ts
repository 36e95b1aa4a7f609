/**
 * `hotline -l --proxy-type http`, the HTTP proxy, against independent clients: curl
 * (`curl -x`, and `curl -p -x` for CONNECT) and ncat (`ncat --proxy`), and raw requests
 * for the byte-level rules ncat's own suite checks: nothing after a request consumed,
 * hop-by-hop fields removed, Connection fields combined, bodies relayed exactly, bad
 * requests answered with a status and a close. Many callers at once without -k, a slow
 * caller never stalls another, and --max-conns applies.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Child, python } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { has, hotline, listening } from "../helpers/hotline.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";
import { tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const MiB = 1024 * 1024;

async function fixture(
  script: string,
  args: readonly (string | number)[] = [],
): Promise<{ child: Child; port: number }> {
  const child = python(`${PYTHON_FIXTURES}${script}`, args, { lifetimeMs: 60_000 });
  const [, port = ""] = await child.line(/ready (\d+)/);
  return { child, port: Number(port) };
}

/** The proxy on 127.0.0.1, and its port; killed by the caller. */
async function proxy(extra: readonly string[] = []): Promise<{ server: Child; port: number }> {
  const server = hotline(["-l", "127.0.0.1", "0", "--proxy-type", "http", ...extra], { lifetimeMs: 60_000 });
  return { server, port: Number(await listening(server)) };
}

/** A raw caller: sends `request` (in the pieces given), ends its input unless told not to, returns all it got. */
function raw(port: number, pieces: readonly (string | Buffer)[], end = true): Promise<Buffer> {
  return within(
    new Promise<Buffer>((resolve, reject) => {
      const sock = connect(port, "127.0.0.1");
      const got: Buffer[] = [];
      sock.on("data", (d) => got.push(d));
      sock.on("error", (err) => (got.length > 0 ? resolve(Buffer.concat(got)) : reject(err)));
      sock.on("close", () => resolve(Buffer.concat(got)));
      for (const p of pieces) sock.write(p);
      if (end) sock.end();
    }),
    15_000,
    "the proxy's answer",
  );
}

const statusOf = (reply: Buffer): string => reply.toString("latin1").split("\r\n")[0] ?? "";

describe("with curl", () => {
  test("curl -x: GET of 2 MiB, byte-exact", async (t) => {
    if (!has("curl")) return t.skip("curl is not installed");
    const { server, port } = await proxy();
    try {
      const origin = await fixture("http_origin.py");
      const curl = new Child("curl", [
        "-sS",
        "-x",
        `http://127.0.0.1:${port}`,
        `http://127.0.0.1:${origin.port}/bytes/${2 * MiB}`,
      ]);
      const [c, o] = await Promise.all([curl.done(), origin.child.done()]);
      assert.equal(c.code, 0, c.stderr);
      assert.match(o.stdout.toString(), new RegExp(`sent ${sha256(c.stdout)} ${2 * MiB}`));
      assert.match(o.stdout.toString(), /head 'GET \/bytes\/\d+ HTTP\/1\.1\\r\\nHost: 127\.0\.0\.1:\d+\\r\\n/);
      assert.doesNotMatch(o.stdout.toString(), /Proxy-Connection/i);
      assert.match(o.stdout.toString(), /extra 0/);
    } finally {
      server.kill();
    }
  });

  test("curl -x: POST of 3 MiB (Content-Length and chunked), byte-exact", async (t) => {
    if (!has("curl")) return t.skip("curl is not installed");
    const { server, port } = await proxy();
    try {
      const dir = tempDir();
      const body = random(3 * MiB);
      writeFileSync(join(dir, "body"), body);
      for (const chunked of [false, true]) {
        const origin = await fixture("http_origin.py");
        const args = ["-sS", "-x", `http://127.0.0.1:${port}`, "--data-binary", `@${join(dir, "body")}`];
        if (chunked) args.push("-H", "Transfer-Encoding: chunked");
        const curl = new Child("curl", [...args, `http://127.0.0.1:${origin.port}/upload`]);
        const [c, o] = await Promise.all([curl.done(), origin.child.done()]);
        assert.equal(c.code, 0, c.stderr);
        const out = o.stdout.toString();
        assert.match(out, /head 'POST \/upload HTTP\/1\.1/);
        assert.match(out, /extra 0/);
        if (!chunked) {
          assert.equal(c.stdout.toString(), `received ${sha256(body)} ${body.length}\n`);
        } else {
          assert.match(out, /Transfer-Encoding: chunked/);
          assert.match(out, /body \w+ (\d+)/);
          assert.ok(Number(/body \w+ (\d+)/.exec(out)?.[1]) > body.length, "the chunk framing is relayed too");
        }
      }
    } finally {
      server.kill();
    }
  });

  test("curl -p -x: CONNECT, then a GET inside the tunnel", async (t) => {
    if (!has("curl")) return t.skip("curl is not installed");
    const { server, port } = await proxy(["-v"]);
    try {
      const origin = await fixture("http_origin.py");
      const curl = new Child("curl", [
        "-sS",
        "-p",
        "-x",
        `http://127.0.0.1:${port}`,
        `http://127.0.0.1:${origin.port}/bytes/1000`,
      ]);
      const [c, o] = await Promise.all([curl.done(), origin.child.done()]);
      assert.equal(c.code, 0, c.stderr);
      assert.match(o.stdout.toString(), new RegExp(`sent ${sha256(c.stdout)} 1000`));
      await server.line(/CONNECT 127\.0\.0\.1:\d+/);
    } finally {
      server.kill();
    }
  });

  test("curl with --proxy-user against --proxy-auth: 407 without, 200 with", async (t) => {
    if (!has("curl")) return t.skip("curl is not installed");
    const { server, port } = await proxy(["--proxy-auth", "user:pass"]);
    try {
      const no = await new Child("curl", [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-x",
        `http://127.0.0.1:${port}`,
        "http://127.0.0.1:9/",
      ]).done();
      assert.equal(no.stdout.toString(), "407");
      const origin = await fixture("http_origin.py");
      const yes = await new Child("curl", [
        "-sS",
        "-U",
        "user:pass",
        "-x",
        `http://127.0.0.1:${port}`,
        `http://127.0.0.1:${origin.port}/bytes/10`,
      ]).done();
      const o = await origin.child.done();
      assert.equal(yes.code, 0, yes.stderr);
      assert.doesNotMatch(o.stdout.toString(), /Proxy-Authorization/i, "credentials for the proxy stay with the proxy");
    } finally {
      server.kill();
    }
  });
});

describe("with ncat as the proxy client", () => {
  for (const auth of [null, "user:pass"]) {
    test(`ncat --proxy --proxy-type http${auth ? " --proxy-auth" : ""}: 2 MiB each way, byte-exact`, async (t) => {
      if (!has("ncat")) return t.skip("ncat is not installed");
      const { server, port } = await proxy(auth ? ["--proxy-auth", auth] : []);
      try {
        const peer = await fixture("peer.py", ["server", "4", "127.0.0.1:0", "exchange", 2 * MiB]);
        const input = random(2 * MiB);
        const ncat = new Child(
          "ncat",
          [
            "--proxy",
            `127.0.0.1:${port}`,
            "--proxy-type",
            "http",
            ...(auth ? ["--proxy-auth", auth] : []),
            "127.0.0.1",
            String(peer.port),
          ],
          { stdin: input, lifetimeMs: 40_000 },
        );
        const [c, p] = await Promise.all([ncat.done(30_000), peer.child.done(30_000)]);
        assert.equal(c.code, 0, c.stderr);
        assert.match(p.stdout.toString(), new RegExp(`sent ${sha256(c.stdout)} ${2 * MiB}`));
        assert.match(p.stdout.toString(), new RegExp(`received ${sha256(input)} ${2 * MiB}`));
      } finally {
        server.kill();
      }
    });
  }
});

describe("the byte-level rules (raw requests)", () => {
  test("nothing after a CONNECT request is consumed: it reaches the target", async () => {
    const { server, port } = await proxy();
    try {
      const peer = await fixture("peer.py", ["server", "4", "127.0.0.1:0", "halfclose"]);
      const reply = await raw(port, [`CONNECT 127.0.0.1:${peer.port} HTTP/1.0\r\nUser-Agent: t\r\n\r\nabc\n`]);
      assert.equal(reply.toString(), "HTTP/1.0 200 OK\r\n\r\ngot 4 bytes");
    } finally {
      server.kill();
    }
  });

  test("GET: origin form, hop-by-hop and Connection-listed fields removed, Connection fields combined", async () => {
    const { server, port } = await proxy();
    try {
      const origin = await fixture("http_origin.py");
      const reply = await raw(port, [
        `GET http://127.0.0.1:${origin.port} HTTP/1.0\r\nConnection: keep-alive\r\nKeep-Alive: 300\r\nConnection: two\r\nOne: 1\r\nConnection: close\r\nTwo: 2\r\nThree: 3\r\nTE: trailers\r\nUpgrade: x\r\n\r\n`,
      ]);
      const o = await origin.child.done();
      assert.equal(statusOf(reply), "HTTP/1.1 200 OK", "the origin's reply comes back as sent");
      assert.match(
        o.stdout.toString(),
        new RegExp(
          `head 'GET / HTTP/1\\.0\\\\r\\\\nHost: 127\\.0\\.0\\.1:${origin.port}\\\\r\\\\nOne: 1\\\\r\\\\nThree: 3\\\\r\\\\nConnection: close\\\\r\\\\n\\\\r\\\\n'`,
        ),
      );
    } finally {
      server.kill();
    }
  });

  const bodies: [string, string, string, number][] = [
    ["Content-Length, more bytes after it", "Content-Length: 4\r\n", "abc\nGET http://x/ HTTP/1.0\r\n\r\n", 4],
    ["Content-Length: 0", "Content-Length: 0\r\n", "", 0],
    [
      "chunked, a pipelined request after it",
      "Transfer-Encoding: chunked\r\n",
      "4\r\nabc\n\r\n0\r\n\r\nGET http://x/ HTTP/1.0\r\n\r\n",
      14,
    ],
    [
      "chunked with trailers, in one write",
      "Transfer-Encoding: chunked\r\n",
      "3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\nXYZ",
      23,
    ],
  ];
  for (const [name, field, rest, bodyBytes] of bodies) {
    test(`POST body relayed exactly, and not one byte past it: ${name}`, async () => {
      const { server, port } = await proxy();
      try {
        const origin = await fixture("http_origin.py");
        const request = `POST http://127.0.0.1:${origin.port}/p HTTP/1.1\r\n${field}\r\n${rest}`;
        const reply = await raw(port, [request], false);
        const o = await origin.child.done();
        const body = Buffer.from(rest).subarray(0, bodyBytes);
        assert.match(o.stdout.toString(), new RegExp(`body ${sha256(body)} ${bodyBytes}`));
        assert.match(o.stdout.toString(), /extra 0/);
        assert.equal(statusOf(reply), "HTTP/1.1 200 OK");
      } finally {
        server.kill();
      }
    });
  }

  test("bad requests: a status and a close, never a crash", async () => {
    const { server, port } = await proxy();
    try {
      const cases: [string | Buffer, string][] = [
        ["bad\r\n\r\n", "HTTP/1.0 400 Bad Request"],
        ["CONNECT 127.0.0.1 HTTP/1.0\r\n\r\n", "HTTP/1.0 400 Bad Request"],
        ["CONNECT 127.0.0.1: HTTP/1.0\r\n\r\n", "HTTP/1.0 400 Bad Request"],
        ["CONNECT [::1] HTTP/1.0\r\n\r\n", "HTTP/1.0 400 Bad Request"],
        ["GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 400 Bad Request"],
        ["GET 127.0.0.1 HTTP/1.0\r\n\r\n", "HTTP/1.0 400 Bad Request"],
        ["GET https://127.0.0.1/ HTTP/1.0\r\n\r\n", "HTTP/1.0 400 Bad Request"],
        [
          "POST http://127.0.0.1:9/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
          "HTTP/1.0 400 Bad Request",
        ],
        ["NOTHING http://127.0.0.1/ HTTP/1.0\r\n\r\n", "HTTP/1.0 405 Method Not Allowed"],
        [`CONNECT ${"A".repeat(24000)}:80 HTTP/1.0\r\n\r\n`, "HTTP/1.0 413 Request Entity Too Large"],
        [
          `CONNECT 127.0.0.1:9 HTTP/1.0\r\n${"Header: Value\r\n".repeat(10000)}\r\n`,
          "HTTP/1.0 413 Request Entity Too Large",
        ],
        [`GET http://127.0.0.1:${port}/ HTTP/1.0\r\n\r\n`, "HTTP/1.0 403 Forbidden"],
        ["CONNECT 127.0.0.1:1 HTTP/1.0\r\n\r\n", "HTTP/1.0 504 Gateway Timeout"],
        ["CONNECT no-such-host.invalid:80 HTTP/1.0\r\n\r\n", "HTTP/1.0 504 Gateway Timeout"],
      ];
      for (const [request, status] of cases) {
        const reply = await raw(port, [request]);
        assert.equal(statusOf(reply), status, String(request).slice(0, 60));
      }
      const allow = await raw(port, ["NOTHING http://127.0.0.1/ HTTP/1.0\r\n\r\n"]);
      assert.match(allow.toString(), /\r\nAllow: CONNECT, GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/);
      // Still answering after all of that.
      const peer = await fixture("peer.py", ["server", "4", "127.0.0.1:0", "halfclose"]);
      const ok = await raw(port, [`CONNECT 127.0.0.1:${peer.port} HTTP/1.0\r\n\r\nq`]);
      assert.equal(ok.toString(), "HTTP/1.0 200 OK\r\n\r\ngot 1 bytes");
    } finally {
      server.kill();
    }
  });

  test("--proxy-auth: 407 with a Basic challenge for missing, wrong and malformed credentials; LWS folding accepted", async () => {
    const { server, port } = await proxy(["--proxy-auth", "user:pass"]);
    try {
      const good = Buffer.from("user:pass").toString("base64");
      for (const auth of [
        "",
        "Proxy-Authorization: \r\n",
        "Proxy-Authorization: French fries\r\n",
        "Proxy-Authorization: Basic %%%%\r\n",
        `Proxy-Authorization: Basic ${good} extra\r\n`,
        `Proxy-Authorization: Basic ${Buffer.from("user:wrong").toString("base64")}\r\n`,
      ]) {
        const reply = await raw(port, [`CONNECT 127.0.0.1:9 HTTP/1.0\r\n${auth}\r\n`]);
        assert.equal(
          reply.toString(),
          'HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="hotline"\r\n\r\n',
          auth,
        );
      }
      const peer = await fixture("peer.py", ["server", "4", "127.0.0.1:0", "halfclose"]);
      const ok = await raw(port, [
        `CONNECT 127.0.0.1:${peer.port} HTTP/1.0\r\n`,
        "Proxy-Authorization:\t  Basic  \r\n\t  \n dXNlcjpwYXNz\r\n",
        "\r\nxy",
      ]);
      assert.equal(ok.toString(), "HTTP/1.0 200 OK\r\n\r\ngot 2 bytes");
    } finally {
      server.kill();
    }
  });
});

describe("many callers", () => {
  test("a caller that never finishes its request does not stall the next, without -k", async () => {
    const { server, port } = await proxy();
    try {
      const slow = connect(port, "127.0.0.1");
      slow.write("CONNECT 127.0.0.1:");
      const peer = await fixture("peer.py", ["server", "4", "127.0.0.1:0", "halfclose"]);
      const ok = await raw(port, [`CONNECT 127.0.0.1:${peer.port} HTTP/1.0\r\n\r\nhello`]);
      assert.equal(ok.toString(), "HTTP/1.0 200 OK\r\n\r\ngot 5 bytes");
      // The slow one finishes later and is served too.
      const peer2 = await fixture("peer.py", ["server", "4", "127.0.0.1:0", "halfclose"]);
      const late = new Promise<string>((resolve) => {
        const got: Buffer[] = [];
        slow.on("data", (d) => got.push(d));
        slow.on("close", () => resolve(Buffer.concat(got).toString()));
      });
      slow.end(`${peer2.port} HTTP/1.0\r\n\r\nlate`);
      assert.equal(await within(late, 10_000, "the slow caller's answer"), "HTTP/1.0 200 OK\r\n\r\ngot 4 bytes");
    } finally {
      server.kill();
    }
  });

  test("--max-conns 1: the second caller gets 503 while the first is served", async () => {
    const { server, port } = await proxy(["--max-conns", "1"]);
    try {
      const first = connect(port, "127.0.0.1");
      first.write("CONNECT 127.0.0.1:");
      // Accepted in the order they connected: the first is counted before the second.
      await within(once(first, "connect"), 5000, "the first caller to connect");
      const second = await raw(port, ["CONNECT 127.0.0.1:9 HTTP/1.0\r\n\r\n"]);
      assert.equal(statusOf(second), "HTTP/1.0 503 Service Unavailable");
      first.destroy();
    } finally {
      server.kill();
    }
  });

  test("--deny: a denied caller is reset before its request is read; an allowed one is served", async () => {
    const { server, port } = await proxy(["-v", "--deny", "127.0.0.2"]);
    try {
      const denied = await new Promise<string>((resolve) => {
        const sock = connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
        const got: Buffer[] = [];
        sock.on("data", (d) => got.push(d));
        sock.on("error", () => resolve(`reset after ${Buffer.concat(got).length} bytes`));
        sock.on("close", () => resolve(`closed after ${Buffer.concat(got).length} bytes`));
        sock.write("CONNECT 127.0.0.1:9 HTTP/1.0\r\n\r\n");
      });
      assert.match(denied, / after 0 bytes$/, "no status line for a denied caller");
      await server.line(/denied 127\.0\.0\.2:\d+/);
      const allowed = await raw(port, ["CONNECT 127.0.0.1:9 HTTP/1.0\r\n\r\n"]);
      assert.match(
        statusOf(allowed),
        /^HTTP\/1\.[01] 5\d\d /,
        "the allowed caller got an answer (504: nothing on port 9)",
      );
    } finally {
      server.kill();
    }
  });

  test("an interrupt ends the proxy (130) and the tunnels open through it", async () => {
    const { server, port } = await proxy();
    const peer = await fixture("peer.py", ["server", "4", "127.0.0.1:0", "halfclose"]);
    const open = connect(port, "127.0.0.1");
    const ended = new Promise<string>((resolve) => {
      const got: Buffer[] = [];
      open.on("data", (d) => got.push(d));
      open.on("error", () => {});
      open.on("close", () => resolve(Buffer.concat(got).toString()));
    });
    open.write(`CONNECT 127.0.0.1:${peer.port} HTTP/1.0\r\n\r\n`);
    await within(once(open, "data"), 5000, "the 200");
    server.proc.kill("SIGINT");
    const done = await server.done(10_000);
    assert.equal(done.code, 130);
    assert.equal(await within(ended, 5000, "the tunnel to end"), "HTTP/1.0 200 OK\r\n\r\n");
    peer.child.kill();
  });

  test("the readiness line, and the open-relay warning off loopback without --proxy-auth", async () => {
    const local = hotline(["-l", "127.0.0.1", "0", "--proxy-type", "http"]);
    await local.line(/hotline: listening on 127\.0\.0\.1:\d+ \(tcp\): an HTTP proxy\n/);
    local.kill();
    const everywhere = hotline(["-l", "0", "--proxy-type", "http"]);
    await everywhere.line(/warning: no --proxy-auth, and not on loopback: anyone who can reach this port/);
    everywhere.kill();
    const locked = hotline(["-l", "0", "--proxy-type", "http", "--proxy-auth", "u:p"]);
    await locked.line(/an HTTP proxy \(Basic authentication\)\n/);
    locked.kill();
    assert.doesNotMatch(locked.stderr, /warning/);
  });
});
