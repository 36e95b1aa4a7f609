/** Address checking and formatting: Node's lenient parsing never gets the input. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkInet, checkPort, checkUnixPath, formatAddress, parsePort, UNIX_PATH_MAX } from "../../src/address.js";
import { AF_INET, AF_INET6 } from "../../src/constants.js";
import { parseServices } from "../../src/socket/resolve.js";

test("parsePort takes decimal digits from 0 to 65535 and nothing else", () => {
  for (const [text, port] of [
    ["0", 0],
    ["80", 80],
    ["8990", 8990],
    ["65535", 65535],
    ["00080", 80],
  ] as const) {
    assert.equal(parsePort(text), port, text);
  }
  for (const text of ["65536", "-1", "abc", "0x50", " 80", "80 ", "1e3", "", "8.5", "+80", "999999"]) {
    assert.equal(parsePort(text), undefined, JSON.stringify(text));
  }
});

test("checkPort wants an integer in range", () => {
  assert.equal(checkPort(0), 0);
  assert.throws(() => checkPort(65536), RangeError);
  assert.throws(() => checkPort(-1), RangeError);
  assert.throws(() => checkPort("80"), TypeError);
  assert.throws(() => checkPort(1.5), TypeError);
});

test("checkInet validates tuples and moves %scope to scopeId", () => {
  assert.deepEqual(checkInet(AF_INET, ["127.0.0.1", 80]), { host: "127.0.0.1", port: 80, scopeId: 0 });
  assert.deepEqual(checkInet(AF_INET6, ["fe80::1%3", 80]), { host: "fe80::1", port: 80, scopeId: 3 });
  assert.deepEqual(checkInet(AF_INET6, ["::1", 80, 0, 7]), { host: "::1", port: 80, scopeId: 7 });
  assert.throws(() => checkInet(AF_INET, ["127.0.0.1", 80, 0, 0]), TypeError);
  assert.throws(() => checkInet(AF_INET, "127.0.0.1:80"), TypeError);
  assert.throws(() => checkInet(AF_INET, [80, "127.0.0.1"]), TypeError);
  assert.throws(() => checkInet(AF_INET6, ["::1", 80, -1]), RangeError);
});

test("checkUnixPath refuses paths Node would cut short", () => {
  assert.equal(checkUnixPath("a".repeat(UNIX_PATH_MAX)), "a".repeat(UNIX_PATH_MAX));
  assert.throws(() => checkUnixPath("a".repeat(UNIX_PATH_MAX + 1)), { code: "ENAMETOOLONG" });
  // Bytes count, not characters: 36 three-byte characters are 108 bytes.
  assert.throws(() => checkUnixPath("洞".repeat(36)), { code: "ENAMETOOLONG" });
  assert.throws(() => checkUnixPath("a\0b"), TypeError);
  assert.throws(() => checkUnixPath(42), TypeError);
});

test("formatAddress writes what people read", () => {
  assert.equal(formatAddress(["127.0.0.1", 8990]), "127.0.0.1:8990");
  assert.equal(formatAddress(["::1", 8990, 0, 0]), "[::1]:8990");
  assert.equal(formatAddress("/tmp/s.sock"), "/tmp/s.sock");
  assert.equal(formatAddress(""), "(unnamed)");
});

test("services(5) parsing keeps tcp and udp ports and aliases", () => {
  const table = parseServices("# comment\nhttp\t80/tcp\twww # web\ndomain 53/tcp\ndomain 53/udp\nbogus line\n");
  assert.deepEqual(table.get("http"), { tcp: 80 });
  assert.deepEqual(table.get("www"), { tcp: 80 });
  assert.deepEqual(table.get("domain"), { tcp: 53, udp: 53 });
  assert.equal(table.get("bogus"), undefined);
});
