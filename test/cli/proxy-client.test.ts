/**
 * hotline --proxy against independent proxies: its own HTTP proxy server, ncat's
 * (`ncat -l --proxy-type http`, with and without --proxy-auth, which asks for Digest),
 * and small Python SOCKS4/4a, SOCKS5 and Digest/Basic HTTP proxies (test/fixtures).
 * Data is checked by SHA-256 both ways; bytes a proxy sends in the same write as its
 * reply reach stdout; every SOCKS reply code and HTTP refusal is one line and exit 1;
 * and the ssh ProxyCommand shape (pipe mode, half-close) works through each kind.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Child, python } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { has, hotline, listening } from "../helpers/hotline.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";
import { unusedPort } from "../helpers/ports.js";
import { tempDir } from "../helpers/transports.js";

const MiB = 1024 * 1024;

/** A Python fixture and the port it printed. */
async function fixture(script: string, args: readonly (string | number)[]): Promise<{ child: Child; port: number }> {
  const child = python(`${PYTHON_FIXTURES}${script}`, args, { lifetimeMs: 60_000 });
  const [, port = ""] = await child.line(/ready (\d+)/);
  return { child, port: Number(port) };
}

/** peer.py as the target: `exchange N` sends N random bytes while reading; `halfclose` answers after EOF. */
const target = (mode: string, arg?: number, family = "4", host = "127.0.0.1") =>
  fixture("peer.py", ["server", family, `${host}:0`, mode, ...(arg === undefined ? [] : [arg])]);

/** Runs the client with `input` and checks both directions against the target's hashes. */
async function exchangeThrough(proxyArgs: readonly string[], size: number, targetHost = "127.0.0.1", family = "4") {
  const peer = await target("exchange", size, family, family === "6" ? "::1" : "127.0.0.1");
  const input = random(size);
  const client = hotline([...proxyArgs, targetHost, peer.port], { stdin: input, lifetimeMs: 60_000 });
  const [c, p] = await Promise.all([client.done(40_000), peer.child.done(40_000)]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(p.code, 0, p.stderr);
  const sent = /sent (\w+) (\d+)/.exec(p.stdout.toString());
  const received = /received (\w+) (\d+)/.exec(p.stdout.toString());
  assert.equal(sha256(c.stdout), sent?.[1], "what the target sent is what came out");
  assert.equal(received?.[1], sha256(input), "what went in is what the target received");
  return c;
}

describe("through hotline's own HTTP proxy", () => {
  test("2 MiB each way, byte-exact", async () => {
    const server = hotline(["-l", "127.0.0.1", "0", "--proxy-type", "http"], { lifetimeMs: 60_000 });
    const port = await listening(server);
    try {
      await exchangeThrough(["--proxy", `127.0.0.1:${port}`], 2 * MiB);
    } finally {
      server.kill();
    }
  });

  test("with --proxy-auth on both sides (Basic), and refused without it", async () => {
    const server = hotline(["-l", "127.0.0.1", "0", "--proxy-type", "http", "--proxy-auth", "user:s3cret"]);
    const port = await listening(server);
    try {
      await exchangeThrough(["--proxy", `127.0.0.1:${port}`, "--proxy-auth", "user:s3cret"], 64 * 1024);
      const peer = await target("exchange", 10);
      const refused = await hotline(["--proxy", `127.0.0.1:${port}`, "127.0.0.1", peer.port]).done();
      peer.child.kill();
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /wants authentication \(give --proxy-auth USER:PASS\): "HTTP\/1.0 407/);
    } finally {
      server.kill();
    }
  });

  test("ssh ProxyCommand shape: stdin EOF reaches the target, and its reply still arrives", async () => {
    const server = hotline(["-l", "127.0.0.1", "0", "--proxy-type", "http"]);
    const port = await listening(server);
    try {
      const peer = await target("halfclose");
      const c = await hotline(["--proxy", `127.0.0.1:${port}`, "127.0.0.1", peer.port], { stdin: "question" }).done();
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.toString(), "got 8 bytes");
    } finally {
      server.kill();
    }
  });
});

describe("through ncat's HTTP proxy", () => {
  // ncat's proxy ends the tunnel at the client's EOF (no half-close), so each direction
  // is its own call.
  for (const auth of [null, "user:pa:ss"]) {
    const named = auth === null ? "no authentication" : "--proxy-auth (ncat asks for Digest)";
    test(`${named}: 1 MiB up and 1 MiB down, byte-exact`, async (t) => {
      if (!has("ncat")) return t.skip("ncat is not installed");
      const port = await unusedPort();
      const proxy = new Child(
        "ncat",
        ["-v", "-l", "127.0.0.1", String(port), "--proxy-type", "http", ...(auth ? ["--proxy-auth", auth] : [])],
        { lifetimeMs: 60_000 },
      );
      await proxy.line(/Listening on/);
      const via = ["--proxy", `127.0.0.1:${port}`, ...(auth ? ["--proxy-auth", auth] : [])];
      try {
        const sink = await target("sink");
        const up = random(MiB);
        const c1 = await hotline([...via, "127.0.0.1", sink.port], { stdin: up }).done(30_000);
        assert.equal(c1.code, 0, c1.stderr);
        const s = await sink.child.done();
        assert.match(s.stdout.toString(), new RegExp(`received ${sha256(up)} ${MiB}`));
        const source = await target("exchange", MiB);
        const c2 = await hotline([...via, "--recv-only", "127.0.0.1", source.port]).done(30_000);
        assert.equal(c2.code, 0, c2.stderr);
        const p = await source.child.done();
        assert.match(p.stdout.toString(), new RegExp(`sent ${sha256(c2.stdout)} ${MiB}`));
      } finally {
        proxy.kill();
      }
    });
  }
});

describe("through a SOCKS proxy (Python)", () => {
  const cases: { name: string; version: 4 | 5; extra: string[]; target: string; family?: string; expect: RegExp }[] = [
    {
      name: "SOCKS4, IPv4",
      version: 4,
      extra: [],
      target: "127.0.0.1",
      expect: /atyp=ipv4 host=127\.0\.0\.1 .* user=$/m,
    },
    {
      name: "SOCKS4 with a user id",
      version: 4,
      extra: ["--proxy-auth", "alice"],
      target: "127.0.0.1",
      expect: /user=alice$/m,
    },
    { name: "SOCKS4a, a name", version: 4, extra: [], target: "localhost", expect: /atyp=name host=localhost /m },
    {
      name: "SOCKS4, a name looked up here (--proxy-dns local)",
      version: 4,
      extra: ["--proxy-dns", "local"],
      target: "localhost",
      expect: /atyp=ipv4 host=127\.0\.0\.1 /,
    },
    {
      name: "SOCKS5, IPv4, no authentication",
      version: 5,
      extra: [],
      target: "127.0.0.1",
      expect: /methods 00\n.*atyp=ipv4 host=127\.0\.0\.1/,
    },
    { name: "SOCKS5, IPv6", version: 5, extra: [], target: "::1", family: "6", expect: /atyp=ipv6 host=::1 / },
    {
      name: "SOCKS5, a name, user and password",
      version: 5,
      extra: ["--proxy-auth", "bob:pw"],
      target: "localhost",
      expect: /methods 0002\nauth user=bob pass=pw\nrequest atyp=name host=localhost /,
    },
  ];
  for (const c of cases) {
    test(`${c.name}: 256 KiB each way, byte-exact`, async () => {
      const auth = c.version === 5 && c.extra.includes("--proxy-auth") ? ["--auth", "bob:pw"] : [];
      const proxy = await fixture("socks_proxy.py", [c.version, ...auth]);
      await exchangeThrough(
        ["--proxy", `127.0.0.1:${proxy.port}`, "--proxy-type", `socks${c.version}`, ...c.extra],
        256 * 1024,
        c.target,
        c.family,
      );
      const p = await proxy.child.done();
      assert.match(p.stdout.toString(), c.expect);
    });
  }

  test("--proxy-dns both sends a name that does not resolve here to the proxy", async () => {
    const proxy = await fixture("socks_proxy.py", [5]);
    const c = await hotline([
      "--proxy",
      `127.0.0.1:${proxy.port}`,
      "--proxy-type",
      "socks5",
      "--proxy-dns",
      "both",
      "no-such-host.invalid",
      "9",
    ]).done();
    const p = await proxy.child.done();
    assert.match(p.stdout.toString(), /atyp=name host=no-such-host\.invalid port=9/);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /connection refused \(SOCKS5 reply 5\)/);
  });

  for (const version of [4, 5]) {
    test(`SOCKS${version}: ssh ProxyCommand shape (half-close through the proxy)`, async () => {
      const proxy = await fixture("socks_proxy.py", [version]);
      const peer = await target("halfclose");
      const c = await hotline(
        ["--proxy", `127.0.0.1:${proxy.port}`, "--proxy-type", `socks${version}`, "127.0.0.1", peer.port],
        {
          stdin: "question",
        },
      ).done();
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.toString(), "got 8 bytes");
    });
  }
});

describe("bytes sent with the proxy's reply reach stdout", () => {
  const kinds: [string, string, (string | number)[]][] = [
    ["http", "http_connect_proxy.py", ["--early", "EARLY", "--conns", "1"]],
    ["socks4", "socks_proxy.py", [4, "--early", "EARLY"]],
    ["socks5", "socks_proxy.py", [5, "--early", "EARLY"]],
  ];
  for (const [type, script, args] of kinds) {
    test(`${type}: what follows the reply in the same write is not lost`, async () => {
      const proxy = await fixture(script, args);
      const peer = await target("halfclose");
      const c = await hotline(["--proxy", `127.0.0.1:${proxy.port}`, "--proxy-type", type, "127.0.0.1", peer.port], {
        stdin: "question",
      }).done();
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.toString(), "EARLYgot 8 bytes");
    });
  }
});

describe("the call's options apply inside the tunnel, not to the handshake", () => {
  test("-o logs the target's bytes only; -C applies to what is sent through", async () => {
    const dir = tempDir();
    const proxy = await fixture("socks_proxy.py", [5, "--early", "EARLY"]);
    const peer = await target("halfclose");
    const log = join(dir, "session");
    const c = await hotline(
      ["--proxy", `127.0.0.1:${proxy.port}`, "--proxy-type", "socks5", "-C", "-o", log, "127.0.0.1", peer.port],
      { stdin: "a\nb\n" },
    ).done();
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.toString(), "EARLYgot 6 bytes");
    const logged = readFileSync(log);
    assert.equal(logged.length, "a\r\nb\r\n".length + "EARLYgot 6 bytes".length, logged.toString("hex"));
    assert.ok(!logged.includes(5), "no SOCKS byte in the session log");
  });
});

describe("HTTP proxy authentication (Python proxy)", () => {
  const cases: [string, string[], RegExp][] = [
    [
      "Digest SHA-256, qop=auth",
      ["--digest", "SHA-256"],
      /Digest username="u", .*algorithm=SHA-256, response="[0-9a-f]{64}", qop=auth, nc=00000001/,
    ],
    [
      "Digest MD5, qop=auth",
      ["--digest", "MD5"],
      /Digest username="u", .*algorithm=MD5, response="[0-9a-f]{32}", qop=auth/,
    ],
    [
      "Digest MD5 without qop (RFC 2069)",
      ["--digest", "MD5", "--qop", "none"],
      /Digest username="u", .*response="[0-9a-f]{32}", opaque=/,
    ],
    ["Digest preferred to Basic", ["--digest", "MD5", "--basic"], /authorization Digest /],
    ["Basic when it is all that is offered", ["--basic"], /authorization Basic dTpwOnc=/],
  ];
  for (const [name, args, expect] of cases) {
    test(name, async () => {
      const proxy = await fixture("http_connect_proxy.py", [...args, "--auth", "u:p:w"]);
      const peer = await target("halfclose");
      const c = await hotline(["--proxy", `127.0.0.1:${proxy.port}`, "--proxy-auth", "u:p:w", "127.0.0.1", peer.port], {
        stdin: "question",
      }).done();
      const p = await proxy.child.done();
      assert.equal(c.code, 0, `${c.stderr}\n${p.stdout}`);
      assert.equal(c.stdout.toString(), "got 8 bytes");
      assert.match(p.stdout.toString(), expect);
      assert.match(p.stdout.toString(), /^request CONNECT 127\.0\.0\.1:\d+ HTTP\/1\.0$/m);
    });
  }

  test("wrong credentials: exit 1 with the status line", async () => {
    const proxy = await fixture("http_connect_proxy.py", ["--digest", "SHA-256", "--auth", "u:p"]);
    const c = await hotline(["--proxy", `127.0.0.1:${proxy.port}`, "--proxy-auth", "u:wrong", "127.0.0.1", "9"]).done();
    proxy.child.kill();
    assert.equal(c.code, 1);
    assert.match(
      c.stderr,
      /^hotline: http proxy 127\.0\.0\.1:\d+: the proxy refused the credentials: "HTTP\/1\.1 407 Proxy Authentication Required"\n$/,
    );
  });
});

describe("refusals are one line and exit 1", () => {
  test("every HTTP status a proxy refuses with is quoted", async () => {
    for (const line of [
      "HTTP/1.1 403 Forbidden",
      "HTTP/1.0 502 Bad Gateway",
      "HTTP/1.1 504 Gateway Timeout",
      "HTTP/1.1 101 Switching",
    ]) {
      const proxy = await fixture("http_connect_proxy.py", ["--status", line, "--conns", "1"]);
      const c = await hotline(["--proxy", `127.0.0.1:${proxy.port}`, "127.0.0.1", "9"]).done();
      await proxy.child.done();
      assert.equal(c.code, 1, line);
      assert.equal(
        c.stderr,
        `hotline: http proxy 127.0.0.1:${proxy.port}: the proxy refused CONNECT 127.0.0.1:9: "${line}"\n`,
      );
      assert.equal(c.stdout.length, 0, "the proxy's reply never reaches stdout");
    }
  });

  test("every SOCKS5 reply code", async () => {
    const lines = [
      "general SOCKS server failure",
      "connection not allowed by ruleset",
      "network unreachable",
      "host unreachable",
      "connection refused",
      "TTL expired",
      "command not supported",
      "address type not supported",
      "unassigned reply code 0x09",
    ];
    for (const [i, line] of lines.entries()) {
      const proxy = await fixture("socks_proxy.py", [5, "--reply", i + 1]);
      const c = await hotline([
        "--proxy",
        `127.0.0.1:${proxy.port}`,
        "--proxy-type",
        "socks5",
        "127.0.0.1",
        "9",
      ]).done();
      await proxy.child.done();
      assert.equal(c.code, 1);
      assert.equal(c.stderr, `hotline: socks5 proxy 127.0.0.1:${proxy.port}: ${line} (SOCKS5 reply ${i + 1})\n`);
    }
  });

  test("every SOCKS4 reply code", async () => {
    const codes: [number, RegExp][] = [
      [0x5b, /request rejected or failed \(SOCKS4 reply 0x5b\)$/m],
      [0x5c, /could not reach identd on this host \(SOCKS4 reply 0x5c\)$/m],
      [0x5d, /identd reports a different user id \(SOCKS4 reply 0x5d\)$/m],
      [0x42, /unknown SOCKS4 reply code 0x42$/m],
    ];
    for (const [code, line] of codes) {
      const proxy = await fixture("socks_proxy.py", [4, "--reply", code]);
      const c = await hotline([
        "--proxy",
        `127.0.0.1:${proxy.port}`,
        "--proxy-type",
        "socks4",
        "127.0.0.1",
        "9",
      ]).done();
      await proxy.child.done();
      assert.equal(c.code, 1);
      assert.match(c.stderr, line);
      assert.equal(c.stderr.split("\n").length, 2, c.stderr);
    }
  });

  test("SOCKS5 user and password refused, and a proxy that wants them when none were given", async () => {
    const proxy = await fixture("socks_proxy.py", [5, "--auth", "bob:pw", "--conns", "2"]);
    const wrong = await hotline([
      "--proxy",
      `127.0.0.1:${proxy.port}`,
      "--proxy-type",
      "socks5",
      "--proxy-auth",
      "bob:no",
      "127.0.0.1",
      "9",
    ]).done();
    const none = await hotline([
      "--proxy",
      `127.0.0.1:${proxy.port}`,
      "--proxy-type",
      "socks5",
      "127.0.0.1",
      "9",
    ]).done();
    await proxy.child.done();
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /authentication failed: user name or password refused \(status 0x01\)\n$/);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /the proxy wants authentication: give --proxy-auth USER:PASS\n$/);
  });

  test("no proxy listening; a proxy that hangs up mid-reply; a proxy that is not one", async () => {
    const port = await unusedPort();
    const refused = await hotline(["--proxy", `127.0.0.1:${port}`, "127.0.0.1", "9"]).done();
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `hotline: http proxy: connect tcp 127.0.0.1:${port}: connection refused\n`);
    for (const [type, reply, message] of [
      ["socks5", "\\x05", /closed the connection after 1 of the 2 bytes of its SOCKS5 method choice/],
      ["http", "SSH-2.0-OpenSSH\\r\\n\\r\\n", /not an HTTP reply: "SSH-2.0-OpenSSH"/],
      ["http", "HTTP/1.0 200 OK\\r\\n", /closed the connection in its reply/],
    ] as const) {
      const fake = new Child("python3", [
        "-c",
        `import socket,sys\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(1);s.settimeout(20);print("ready",s.getsockname()[1],flush=True)\nc,_=s.accept();c.settimeout(20);c.recv(100);c.sendall(b"${reply}");c.close()`,
      ]);
      const [, fp = ""] = await fake.line(/ready (\d+)/);
      const c = await hotline(["--proxy", `127.0.0.1:${fp}`, "--proxy-type", type, "127.0.0.1", "9"]).done();
      await fake.done();
      assert.equal(c.code, 1, c.stderr);
      assert.match(c.stderr, message);
    }
  });
});

test("a proxy that never answers: -w bounds the handshake", async () => {
  const silent = new Child("python3", [
    "-c",
    `import socket\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(1);s.settimeout(20);print("ready",s.getsockname()[1],flush=True)\nc,_=s.accept();c.settimeout(20)\nwhile c.recv(100): pass`,
  ]);
  const [, port = ""] = await silent.line(/ready (\d+)/);
  const started = performance.now();
  const c = await hotline(["--proxy", `127.0.0.1:${port}`, "-w", "500ms", "127.0.0.1", "9"]).done();
  await silent.done();
  assert.equal(c.code, 1);
  assert.equal(c.stderr, `hotline: http proxy 127.0.0.1:${port}: timed out\n`);
  assert.ok(performance.now() - started < 5000);
});

describe("options", () => {
  const usage: [string[], RegExp][] = [
    [["--proxy-auth", "u:p", "h", "1"], /--proxy-auth needs --proxy/],
    [["--proxy-dns", "local", "h", "1"], /--proxy-dns needs --proxy/],
    [["--proxy-type", "socks5", "h", "1"], /--proxy-type needs --proxy/],
    [["-l", "--proxy", "127.0.0.1", "9"], /--proxy does not apply to listening/],
    [["-u", "--proxy", "127.0.0.1", "h", "1"], /--proxy does not apply to UDP/],
    [["--proxy", "127.0.0.1", "--proxy-type", "socks4", "--proxy-auth", "u:p", "h", "1"], /socks4 is a user id only/],
    [["--proxy", "127.0.0.1", "--proxy-auth", "nocolon", "h", "1"], /takes USER:PASS/],
    [["--proxy", "127.0.0.1", "--proxy-type", "socks6", "h", "1"], /invalid --proxy-type 'socks6'/],
    [["--proxy", "127.0.0.1", "--proxy-dns", "maybe", "h", "1"], /invalid --proxy-dns 'maybe'/],
    [["--proxy", "127.0.0.1", "--proxy-dns", "none", "example.com", "1"], /--proxy-dns none looks nothing up/],
    [["--proxy", "[::1", "h", "1"], /unbalanced brackets/],
    [["--proxy", "127.0.0.1:0", "h", "1"], /invalid --proxy port '0'/],
    [["--proxy", "127.0.0.1", "--proxy", "127.0.0.2", "h", "1"], /give --proxy once/],
    [["-n", "--proxy", "localhost:1080", "127.0.0.1", "1"], /-n forbids name lookups, and 'localhost'/],
    [
      ["-n", "--proxy", "127.0.0.1", "--proxy-dns", "local", "example.com", "1"],
      /-n forbids name lookups, and --proxy-dns local/,
    ],
    [["-z", "--proxy", "127.0.0.1", "h", "1"], /--proxy does not apply to probing/],
    [["-l", "--proxy-type", "socks5"], /speaks http only/],
    [["-l", "--proxy-type", "http", "-k"], /-k does not apply to the HTTP proxy/],
    [["-l", "--proxy-type", "http", "-o", "f"], /-o does not apply to the HTTP proxy/],
    [["-l", "--proxy-auth", "u:p"], /--proxy-auth with -l needs --proxy-type http/],
    [["-l", "--proxy-type", "http", "--proxy-auth", "u"], /takes USER:PASS/],
    [["--proxy", "127.0.0.1", "--proxy-auth", "u:p\r\nX: 1", "h", "1"], /control character/],
  ];
  for (const [args, message] of usage) {
    test(`usage: ${args.join(" ")}`, async () => {
      const c = await hotline(args).done();
      assert.equal(c.code, 2, c.stderr);
      assert.match(c.stderr.split("\n")[0] ?? "", message);
    });
  }

  test("--proxy [::1]:PORT dials an IPv6 proxy", async () => {
    const server = hotline(["-l", "::1", "0", "--proxy-type", "http"]);
    const port = await listening(server);
    try {
      const peer = await target("halfclose");
      const c = await hotline(["--proxy", `[::1]:${port}`, "127.0.0.1", peer.port], { stdin: "question" }).done();
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.toString(), "got 8 bytes");
    } finally {
      server.kill();
    }
  });
});
