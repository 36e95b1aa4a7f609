/**
 * The proxy client's codecs, with no I/O: the CONNECT request and reply head (found at
 * every split point), Proxy-Authenticate parsing and the Basic and Digest answers
 * (against the RFCs' own examples), and the SOCKS4/4a and SOCKS5 bytes against hex
 * fixtures, with every reply code turned into its line.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  basicAuthorization,
  chooseChallenge,
  digestAuthorization,
  parseChallenges,
} from "../../src/cli/reach/proxy/http-auth.js";
import { authority, connectRequest, headEnd, parseReplyHead } from "../../src/cli/reach/proxy/http-codec.js";
import {
  SocksError,
  socks4Reply,
  socks4Request,
  socks5Connect,
  socks5Greeting,
  socks5Method,
  socks5ReplyHead,
  socks5ReplyRest,
  socks5UserPass,
  socks5UserPassReply,
} from "../../src/cli/reach/proxy/socks-codec.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("HTTP CONNECT", () => {
  test("the request names the target as host:port, IPv6 in brackets", () => {
    assert.equal(connectRequest(authority("example.com", 22)).toString(), "CONNECT example.com:22 HTTP/1.0\r\n\r\n");
    assert.equal(
      connectRequest(authority("::1", 443), "Basic dTpw").toString(),
      "CONNECT [::1]:443 HTTP/1.0\r\nProxy-Authorization: Basic dTpw\r\n\r\n",
    );
  });

  test("the end of the reply head is found at every split point, and nothing after it is taken", () => {
    const reply = Buffer.from("HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\nSSH-2.0-target\r\n");
    const end = reply.indexOf("SSH");
    for (let cut = 0; cut <= reply.length; cut++) {
      // What a reader that searched the first `cut` bytes before the rest arrived finds.
      const first = headEnd(reply.subarray(0, cut));
      const found = first >= 0 ? first : headEnd(reply, cut - 3);
      assert.equal(found, end, `split at ${cut}`);
    }
    assert.equal(headEnd(Buffer.from("HTTP/1.0 200 OK\n\nrest")), 17);
    assert.equal(headEnd(Buffer.from("HTTP/1.0 200 OK\r\n")), -1);
  });

  test("the reply head gives the status, the status line and folded fields", () => {
    const head = parseReplyHead(
      Buffer.from(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n realm="x"\r\nA: 1\r\n\r\n',
      ),
    );
    assert.equal(head.status, 407);
    assert.equal(head.statusLine, "HTTP/1.1 407 Proxy Authentication Required");
    assert.deepEqual(head.headers, [
      ["Proxy-Authenticate", 'Basic realm="x"'],
      ["A", "1"],
    ]);
    assert.throws(() => parseReplyHead(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n")), /not an HTTP reply/);
  });
});

describe("proxy authentication", () => {
  test("several challenges in one value and in several values, quoted commas kept", () => {
    const found = parseChallenges([
      'Negotiate, Basic realm="a, b", Digest realm="r", nonce="n", qop="auth,auth-int", algorithm=SHA-256',
      "NTLM",
      'Digest realm="r2", nonce="n2"',
    ]);
    assert.deepEqual(
      found.map((c) => [c.scheme, Object.fromEntries(c.params)]),
      [
        ["negotiate", {}],
        ["basic", { realm: "a, b" }],
        ["digest", { realm: "r", nonce: "n", qop: "auth,auth-int", algorithm: "SHA-256" }],
        ["ntlm", {}],
        ["digest", { realm: "r2", nonce: "n2" }],
      ],
    );
  });

  test("Digest is preferred to Basic, SHA-256 to MD5; unknown schemes and auth-int only are not chosen", () => {
    const pick = (v: string): string | null => {
      const c = chooseChallenge(parseChallenges([v]));
      return c === null ? null : `${c.scheme} ${c.params.get("algorithm") ?? ""}`.trim();
    };
    assert.equal(pick('Basic realm="x", Digest realm="x", nonce="n"'), "digest");
    assert.equal(pick('Digest realm="x", nonce="n", Digest realm="x", nonce="n", algorithm=SHA-256'), "digest SHA-256");
    assert.equal(pick('Digest realm="x", nonce="n", qop="auth-int", Basic realm="x"'), "basic");
    assert.equal(pick('Digest realm="x", nonce="n", algorithm=SHA-512-256'), null);
    assert.equal(pick("Negotiate abc=="), null);
  });

  test("Basic is the UTF-8 of USER:PASS in base64", () => {
    assert.equal(basicAuthorization("Aladdin:open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    assert.equal(basicAuthorization("user:~~~~~"), "Basic dXNlcjp+fn5+fg==");
  });

  test("Digest answers RFC 7616's example (3.9.1) with MD5 and SHA-256", () => {
    const challenge = (algorithm: string) =>
      parseChallenges([
        `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
      ])[0];
    const answer = (algorithm: string): string =>
      digestAuthorization(
        challenge(algorithm) as NonNullable<ReturnType<typeof challenge>>,
        "Mufasa",
        "Circle of Life",
        "GET",
        "/dir/index.html",
        "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
      );
    assert.match(answer("MD5"), /response="8ca523f5e9506fed4657c9700eebdbec"/);
    assert.match(answer("SHA-256"), /response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"/);
    assert.match(answer("SHA-256"), /qop=auth, nc=00000001, cnonce="f2\/wE4q74E6zIJEtWaHKaf5wv\/H5QzzpXusqGemxURZJ"/);
    assert.match(answer("SHA-256"), /opaque="FQhe\/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"/);
  });

  test("Digest answers RFC 2617's example (3.5), and RFC 2069's form when no qop is offered", () => {
    const [c] = parseChallenges([
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    ]);
    const value = digestAuthorization(c as never, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b");
    assert.match(value, /response="6629fae49393a05397450978507c4ef1"/);
    const [old] = parseChallenges(['Digest realm="r", nonce="n"']);
    const plain = digestAuthorization(old as never, "u", 'p"q', "CONNECT", "h:1", "c");
    assert.doesNotMatch(plain, /qop|cnonce/);
    assert.match(plain, /^Digest username="u", realm="r", nonce="n", uri="h:1", response="[0-9a-f]{32}"$/);
  });

  test("a quote or backslash in a user name is escaped in the answer", () => {
    const [c] = parseChallenges(['Digest realm="r", nonce="n"']);
    assert.match(digestAuthorization(c as never, 'a"b\\c', "p", "CONNECT", "h:1", "c"), /username="a\\"b\\\\c"/);
  });
});

describe("SOCKS4 and 4a", () => {
  test("an IPv4 address, a user id, and a name (4a) as bytes", () => {
    assert.equal(hex(socks4Request({ host: "127.0.0.1", port: 22 }, "")), "04010016" + "7f000001" + "00");
    assert.equal(hex(socks4Request({ host: "10.1.2.3", port: 8080 }, "bob")), "04011f90" + "0a010203" + "626f6200");
    assert.equal(
      hex(socks4Request({ host: "example.com", port: 80 }, "")),
      `040100500000000100${Buffer.from("example.com").toString("hex")}00`,
    );
    assert.throws(() => socks4Request({ host: "::1", port: 1 }, ""), /IPv6/);
  });

  test("every reply code is a line", () => {
    socks4Reply(Buffer.from("005a000000000000", "hex"));
    const cases: [string, RegExp][] = [
      ["005b000000000000", /rejected or failed/],
      ["005c000000000000", /identd/],
      ["005d000000000000", /different user id/],
      ["0042000000000000", /unknown SOCKS4 reply code 0x42/],
      ["4854545000000000", /not a SOCKS4 reply/],
    ];
    for (const [reply, message] of cases) assert.throws(() => socks4Reply(Buffer.from(reply, "hex")), message);
  });
});

describe("SOCKS5", () => {
  test("greeting, user/password, and CONNECT by IPv4, IPv6 and name", () => {
    assert.equal(hex(socks5Greeting(false)), "050100");
    assert.equal(hex(socks5Greeting(true)), "05020002");
    assert.equal(hex(socks5UserPass("user", "pw")), "0104" + "75736572" + "02" + "7077");
    assert.equal(hex(socks5Connect({ host: "127.0.0.1", port: 22 })), "05010001" + "7f000001" + "0016");
    assert.equal(hex(socks5Connect({ host: "::1", port: 443 })), `05010004${"00".repeat(15)}0101bb`);
    assert.equal(
      hex(socks5Connect({ host: "2001:db8::a:1", port: 1 })),
      "05010004" + "20010db8000000000000000000" + "0a0001" + "0001",
    );
    assert.equal(hex(socks5Connect({ host: "::ffff:1.2.3.4", port: 1 })), `05010004${"00".repeat(10)}ffff010203040001`);
    assert.equal(
      hex(socks5Connect({ host: "example.com", port: 80 })),
      `050100030b${Buffer.from("example.com").toString("hex")}0050`,
    );
  });

  test("the method choice: none, user/password, none acceptable, one not offered", () => {
    assert.equal(socks5Method(Buffer.from("0500", "hex"), false), 0);
    assert.equal(socks5Method(Buffer.from("0502", "hex"), true), 2);
    assert.throws(() => socks5Method(Buffer.from("05ff", "hex"), false), /wants authentication: give --proxy-auth/);
    assert.throws(() => socks5Method(Buffer.from("05ff", "hex"), true), /none of the authentication methods/);
    assert.throws(() => socks5Method(Buffer.from("0502", "hex"), false), /was not offered/);
    assert.throws(() => socks5Method(Buffer.from("0400", "hex"), false), /not a SOCKS5 proxy/);
    socks5UserPassReply(Buffer.from("0100", "hex"));
    assert.throws(() => socks5UserPassReply(Buffer.from("0101", "hex")), /authentication failed/);
  });

  test("every reply code is a line", () => {
    socks5ReplyHead(Buffer.from("05000001", "hex"));
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
    lines.forEach((line, i) => {
      assert.throws(
        () => socks5ReplyHead(Buffer.from([5, i + 1, 0, 1])),
        (err: Error) => err instanceof SocksError && err.message === `${line} (SOCKS5 reply ${i + 1})`,
      );
    });
  });

  test("the reply's length follows its address type", () => {
    assert.equal(socks5ReplyRest(Buffer.from("0500000100", "hex")), 5);
    assert.equal(socks5ReplyRest(Buffer.from("0500000400", "hex")), 17);
    assert.equal(socks5ReplyRest(Buffer.from("0500000309", "hex")), 11);
    assert.throws(() => socks5ReplyRest(Buffer.from("0500000700", "hex")), /address type 0x07/);
  });
});
