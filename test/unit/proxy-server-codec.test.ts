/**
 * The HTTP proxy server's reading of requests, with no I/O: request heads (ncat's suite's
 * cases: LWS folding, bad lines), targets, the head sent on (origin form, hop-by-hop and
 * Connection-listed fields gone, Connection fields combined), body framing, the end of
 * a chunked body at every split point, and Basic credentials (bad base64 refused).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  basicMatches,
  bodyFraming,
  ChunkedEnd,
  originHead,
  parseAbsoluteUri,
  parseAuthority,
  parseRequestHead,
  RequestError,
  statusReply,
} from "../../src/cli/topologies/http-request-head.js";

const head = (text: string) => parseRequestHead(Buffer.from(text, "latin1"));
const status = (fn: () => unknown): number => {
  try {
    fn();
  } catch (err) {
    if (err instanceof RequestError) return err.status;
    throw err;
  }
  return 0;
};

describe("request heads", () => {
  test("request line and fields; folded values joined with one space", () => {
    const h = head("CONNECT a:1 HTTP/1.0\r\nProxy-Authorization:\t  Basic  \r\n\t  \n dXNlcjpwYXNz\r\nX: 1\r\n\r\n");
    assert.equal(h.method, "CONNECT");
    assert.equal(h.target, "a:1");
    assert.equal(h.version, "HTTP/1.0");
    assert.deepEqual(h.fields, [
      ["Proxy-Authorization", "Basic dXNlcjpwYXNz"],
      ["X", "1"],
    ]);
  });

  test("malformed heads are 400; an overlong request line 413", () => {
    assert.equal(
      status(() => head("bad\r\n\r\n")),
      400,
    );
    assert.equal(
      status(() => head("GET http://a/\r\n\r\n")),
      400,
    );
    assert.equal(
      status(() => head("GET http://a/ HTTP/1.0\r\nno colon\r\n\r\n")),
      400,
    );
    assert.equal(
      status(() => head("GET http://a/ HTTP/1.0\r\n folded first\r\n\r\n")),
      400,
    );
    assert.equal(
      status(() => head("GET http://a/ HTTP/1.0\r\nX: a\u0001b\r\n\r\n")),
      400,
    );
    assert.equal(
      status(() => head(`CONNECT ${"A".repeat(24000)}:80 HTTP/1.0\r\n\r\n`)),
      413,
    );
  });

  test("CONNECT authorities: a port is needed, IPv6 in brackets", () => {
    assert.deepEqual(parseAuthority("example.com:443"), { host: "example.com", port: 443 });
    assert.deepEqual(parseAuthority("[::1]:22"), { host: "::1", port: 22 });
    assert.deepEqual(parseAuthority("[::1]"), { host: "::1", port: null });
    assert.deepEqual(parseAuthority("host:"), { host: "host", port: null });
    for (const bad of ["", "user@host:1", "host:0", "host:65536", "host:x", "[::1", "[::1]x", "a b:1"]) {
      assert.equal(
        status(() => parseAuthority(bad)),
        400,
        bad,
      );
    }
  });

  test("absolute URIs: origin form, default port 80, http only", () => {
    assert.deepEqual(parseAbsoluteUri("http://h:8080/a?b=1#frag"), {
      host: "h",
      port: 8080,
      path: "/a?b=1",
      hostField: "h:8080",
    });
    assert.equal(parseAbsoluteUri("http://h").path, "/");
    assert.equal(parseAbsoluteUri("HTTP://h?q").path, "/?q");
    assert.equal(parseAbsoluteUri("http://[::1]/").hostField, "[::1]");
    assert.equal(parseAbsoluteUri("http://h/%41").path, "/%41");
    assert.equal(
      status(() => parseAbsoluteUri("/")),
      400,
    );
    assert.equal(
      status(() => parseAbsoluteUri("ftp://h/")),
      400,
    );
  });
});

describe("the head sent to the origin", () => {
  test("hop-by-hop and Connection-listed fields are removed, Connection fields combined (ncat's cases)", () => {
    const h = head(
      "GET http://h:81/p HTTP/1.1\r\nHost: wrong\r\nConnection: keep-alive\r\nKeep-Alive: 300\r\nConnection: two\r\nOne: 1\r\nConnection: close\r\nTwo: 2\r\nThree: 3\r\nProxy-Authorization: Basic x\r\nProxy-Connection: keep-alive\r\nOne: again\r\n\r\n",
    );
    assert.equal(
      originHead(h, parseAbsoluteUri(h.target)).toString(),
      "GET /p HTTP/1.1\r\nHost: h:81\r\nOne: 1\r\nThree: 3\r\nOne: again\r\nConnection: close\r\n\r\n",
    );
  });

  test("a chunked body keeps its Transfer-Encoding", () => {
    const h = head("POST http://h/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTE: trailers\r\n\r\n");
    assert.equal(
      originHead(h, parseAbsoluteUri(h.target)).toString(),
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
  });
});

describe("body framing", () => {
  const framing = (fields: string) => bodyFraming(head(`POST http://h/ HTTP/1.1\r\n${fields}\r\n`));
  test("length, chunked, none; ambiguous framing refused", () => {
    assert.deepEqual(framing("Content-Length: 4\r\n"), { kind: "length", length: 4 });
    assert.deepEqual(framing("Content-Length: 4\r\nContent-Length: 4\r\n"), { kind: "length", length: 4 });
    assert.deepEqual(framing("Transfer-Encoding: gzip, chunked\r\n"), { kind: "chunked" });
    assert.deepEqual(framing(""), { kind: "none" });
    assert.equal(
      status(() => framing("Content-Length: 4\r\nContent-Length: 5\r\n")),
      400,
    );
    assert.equal(
      status(() => framing("Content-Length: -1\r\n")),
      400,
    );
    assert.equal(
      status(() => framing("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n")),
      400,
    );
    assert.equal(
      status(() => framing("Transfer-Encoding: gzip\r\n")),
      400,
    );
  });

  test("the end of a chunked body is found at every split point, and nothing after it is taken", () => {
    const body = Buffer.from("4\r\nabc\n\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n");
    const after = Buffer.from("GET http://next/ HTTP/1.1\r\n\r\n");
    const all = Buffer.concat([body, after]);
    for (let cut = 0; cut <= all.length; cut++) {
      const end = new ChunkedEnd();
      let taken = end.scan(all.subarray(0, cut));
      if (!end.done) taken += end.scan(all.subarray(cut));
      assert.equal(end.done, true, `split at ${cut}`);
      assert.equal(taken, body.length, `split at ${cut}`);
    }
    const empty = new ChunkedEnd();
    assert.equal(empty.scan(Buffer.from("0\r\n\r\nrest")), 5);
    assert.equal(
      status(() => new ChunkedEnd().scan(Buffer.from("zz\r\n"))),
      400,
    );
    assert.equal(
      status(() => new ChunkedEnd().scan(Buffer.from("4\r\nabc\n0\r\n"))),
      400,
    );
  });
});

describe("Basic credentials", () => {
  const auth = (value: string | null) =>
    head(`CONNECT a:1 HTTP/1.0\r\n${value === null ? "" : `Proxy-Authorization: ${value}\r\n`}\r\n`);
  test("only an exact, well-formed Basic match passes", () => {
    const good = Buffer.from("user:pass").toString("base64");
    assert.equal(basicMatches(auth(`Basic ${good}`), "user:pass"), true);
    assert.equal(basicMatches(auth(`bAsIc ${good}`), "user:pass"), true);
    for (const bad of [
      null,
      "",
      "French fries",
      `Basic ${good} extra`,
      `Digest ${good}`,
      "Basic dXNlcjpwYXNz=",
      "Basic dXNlcjpwYXN",
      "Basic !!!!",
      `Basic ${Buffer.from("user:wrong").toString("base64")}`,
      `Basic ${Buffer.from("user:pass2").toString("base64")}`,
    ]) {
      assert.equal(basicMatches(auth(bad), "user:pass"), false, String(bad));
    }
  });

  test("refusals are a status line and an empty line, as ncat's", () => {
    assert.equal(statusReply(400).toString(), "HTTP/1.0 400 Bad Request\r\n\r\n");
    assert.equal(
      statusReply(407, ['Proxy-Authenticate: Basic realm="hotline"']).toString(),
      'HTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="hotline"\r\n\r\n',
    );
  });
});
