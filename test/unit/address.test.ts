/** Address checking and formatting: Node's lenient parsing never gets the input. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkInet,
  checkPort,
  checkUnixPath,
  formatAddress,
  formatIpv6,
  normalizeIpv6,
  parseIpv6,
  parsePort,
  UNIX_ABSTRACT_MAX,
  UNIX_PATH_MAX,
} from "../../src/address.js";
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
  assert.equal(formatAddress("\0name\0x"), "@name@x", "an abstract name as ss writes it, never a raw NUL");
});

test("checkUnixPath takes Linux abstract names (\\0name, NULs inside) up to 108 bytes (were refused)", {
  skip: process.platform === "linux" ? false : "Linux only",
}, () => {
  assert.equal(checkUnixPath("\0name\0x"), "\0name\0x");
  assert.equal(checkUnixPath("\0"), "\0", "the empty abstract name");
  const longest = `\0${"a".repeat(UNIX_ABSTRACT_MAX - 1)}`;
  assert.equal(checkUnixPath(longest), longest);
  assert.throws(() => checkUnixPath(`${longest}a`), { code: "ENAMETOOLONG" });
  assert.throws(() => checkUnixPath("/tmp/a\0b"), TypeError, "a NUL inside a path would cut it short");
});

test("IPv6 literals are written as glibc's inet_ntop writes them (getaddrinfo used to give them as typed)", () => {
  for (const [text, expected] of [
    ["ff02::1de:c0:face:8D", "ff02::1de:c0:face:8d"],
    ["0::1", "::1"],
    ["::", "::"],
    ["::2", "::2"],
    ["::0.0.0.2", "::2"],
    ["::1.2.3.4", "::1.2.3.4"],
    ["::FFFF:1.2.3.4", "::ffff:1.2.3.4"],
    ["0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"],
    ["::ffff:0:0", "::ffff:0.0.0.0"],
    ["::ffff:1:2", "::ffff:0.1.0.2"],
    ["::fffe:1.2.3.4", "::fffe:102:304"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"],
    ["0:1:0:0:0:0:0:0", "0:1::"],
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ["0::0:1:0.0.0.0", "::1:0:0"],
  ]) {
    assert.equal(normalizeIpv6(text as string), expected, text);
  }
  for (const bad of [
    "::01.2.3.4",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "::00001",
    ":1::",
    "1:::2",
    "::1.2.3",
    "1:2:3:4:5:6:7:8::",
    "::1.2.3.4:5",
    "fe80::1%lo",
    "",
    "1.2.3.4",
    "g::1",
  ]) {
    assert.equal(parseIpv6(bad), null, JSON.stringify(bad));
  }
  assert.equal(formatIpv6([0xfe80, 0, 0, 0, 0, 0, 0, 1]), "fe80::1");
});

test("services(5) parsing keeps tcp and udp ports and aliases", () => {
  const table = parseServices("# comment\nhttp\t80/tcp\twww # web\ndomain 53/tcp\ndomain 53/udp\nbogus line\n");
  assert.deepEqual(table.get("http"), { tcp: 80 });
  assert.deepEqual(table.get("www"), { tcp: 80 });
  assert.deepEqual(table.get("domain"), { tcp: 53, udp: 53 });
  assert.equal(table.get("bogus"), undefined);
});
