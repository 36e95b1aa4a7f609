/** The command line: both grammars, ncat's option spellings, and every bad input refused. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgs, portList, time, UsageError } from "../../src/cli/options/parse.js";

test("the seed's way: listen and connect default to 127.0.0.1 8990", () => {
  const l = parseArgs(["listen"]);
  assert.equal(l.command, "listen");
  assert.equal(l.grammar, "seed");
  assert.deepEqual([l.host, l.port], [null, null]);
  const c = parseArgs(["connect", "::1", "9000"]);
  assert.deepEqual([c.command, c.host, c.port], ["connect", "::1", 9000]);
  assert.equal(parseArgs(["listen", "0"]).port, 0);
  assert.equal(parseArgs(["connect", "8991"]).port, 8991);
  assert.equal(parseArgs(["connect", "example.org"]).host, "example.org");
});

test("ncat's way: -l PORT, clusters, -p as the listening port, long options with =", () => {
  const a = parseArgs(["-l", "8990"]);
  assert.deepEqual([a.command, a.host, a.port, a.grammar], ["listen", null, 8990, "ncat"]);
  const b = parseArgs(["-lvnp", "8990"]);
  assert.deepEqual([b.command, b.verbose, b.nodns, b.port], ["listen", 1, true, 8990]);
  const c = parseArgs(["-lk", "--max-conns=3", "127.0.0.1", "9000"]);
  assert.deepEqual([c.keepOpen, c.maxConns, c.host, c.port], [true, 3, "127.0.0.1", 9000]);
  const d = parseArgs(["-w3", "-i", "500ms", "-q", "1", "example.org", "80"]);
  assert.deepEqual([d.wait, d.idle, d.quitAfterEof, d.host, d.port], [3000, 500, 1000, "example.org", 80]);
  const e = parseArgs(["-vv", "-u", "-6", "-C", "--send-only", "::1", "53"]);
  assert.deepEqual([e.verbose, e.udp, e.family, e.crlf, e.sendOnly], [2, true, 6, true, true]);
  const f = parseArgs(["-lU", "/tmp/x.sock"]);
  assert.deepEqual([f.command, f.unix], ["listen", "/tmp/x.sock"]);
  assert.equal(parseArgs(["example.org"]).port, null, "ncat's default port applies later");
  const z = parseArgs(["-z", "127.0.0.1", "20-22,80"]);
  assert.deepEqual([z.command, z.ports], ["probe", [20, 21, 22, 80]]);
  assert.deepEqual(parseArgs(["-o", "log", "-x", "hex", "--append-output", "h", "1"]).hexDump, "hex");
  assert.equal(parseArgs(["connect", "[::1]", "80"]).host, "::1");
});

test("help and version", () => {
  assert.deepEqual([parseArgs(["--help"]).command, parseArgs(["--help"]).helpFor], ["help", null]);
  assert.deepEqual([parseArgs(["-h"]).command], ["help"]);
  assert.equal(parseArgs(["listen", "--help"]).helpFor, "listen");
  assert.equal(parseArgs(["--version"]).command, "version");
});

test("times take ncat's units", () => {
  assert.equal(time("500ms"), 500);
  assert.equal(time("2s"), 2000);
  assert.equal(time("1m"), 60_000);
  assert.equal(time("1h"), 3_600_000);
  assert.equal(time("1.5"), 1500);
  for (const bad of ["", "abc", "-1", "5x", "1e3", " 1"]) assert.throws(() => time(bad), UsageError, bad);
});

test("port lists expand ranges once each, in order", () => {
  assert.deepEqual(portList("25,20-22,22"), [25, 20, 21, 22]);
  for (const bad of ["", "0", "65536", "22-20", "a-b", "1,,2", "-5"])
    assert.throws(() => portList(bad), UsageError, bad);
});

test("every bad input is a UsageError naming what is wrong", () => {
  const bad: [string[], RegExp][] = [
    [["connect", "127.0.0.1", "0"], /invalid PORT '0'/],
    [["connect", "127.0.0.1", "65536"], /invalid PORT '65536'/],
    [["connect", "127.0.0.1", "-1"], /invalid PORT '-1'/],
    [["connect", "127.0.0.1", "abc"], /invalid HOST|invalid PORT/],
    [["connect", "127.0.0.1", "0x50"], /invalid PORT '0x50'/],
    [["connect", "127.0.0.1", " 80"], /invalid PORT ' 80'/],
    [["connect", "127.0.0.1", "1e3"], /invalid PORT '1e3'/],
    [["connect", "127.0.0.1", ""], /invalid PORT ''/],
    [["connect", "[::1", "80"], /malformed address/],
    [["connect", "::1::2", "80"], /malformed IPv6/],
    [["connect", "x".repeat(300), "80"], /300 characters/],
    [["connect", "bad..name", "80"], /invalid HOST/],
    [["--frobnicate"], /unknown option '--frobnicate'/],
    [["-Q"], /unknown option '-Q'/],
    [["--sctp", "-l", "9000"], /--sctp is not offered/],
    [["-t", "-l", "9000"], /-t \(--telnet\) is not offered/],
    [["-4", "-6", "host"], /cannot be combined/],
    [["--send-only", "--recv-only", "h", "1"], /cannot be combined/],
    [["-w"], /needs a value/],
    [["-w", "soon", "h", "1"], /invalid -w 'soon'/],
    [["-n", "example.org", "80"], /-n forbids name lookups/],
    [["-lU"], /needs a socket PATH/],
    [["-U", "-u", "/tmp/x"], /Unix datagram/],
    [["connect", "a", "1", "extra"], /unexpected argument 'extra'/],
    [[], /no host to connect to/],
    [["-4", "::1", "80"], /not an IPv4 address/],
    [["probe", "127.0.0.1"], /needs HOST and PORTS/],
    [["-m", "0", "-lk", "1"], /invalid -m '0'/],
  ];
  for (const [argv, message] of bad) {
    assert.throws(
      () => parseArgs(argv),
      (err: Error) => err instanceof UsageError && message.test(err.message),
      argv.join(" "),
    );
  }
});

test("an option that does not apply to the command or mode is refused, never ignored", () => {
  const bad: [string[], RegExp][] = [
    [["connect", "-l"], /-l does not apply to 'hotline connect'/],
    [["probe", "-l", "127.0.0.1", "80"], /-l does not apply to 'hotline probe'/],
    [["listen", "-z"], /-z does not apply to 'hotline listen'/],
    [["listen", "-w", "2"], /-w does not apply to 'hotline listen'/],
    [["-l", "-w", "2", "9000"], /-w does not apply to listening/],
    [["-u", "--no-shutdown", "h", "1"], /--no-shutdown does not apply to UDP/],
    [["-u", "-N", "h", "1"], /-N does not apply to UDP/],
    [["-q", "1", "--recv-only", "h", "1"], /-q and --recv-only cannot be combined/],
    [["listen", "--serial", "-k"], /-k and --serial cannot be combined/],
    [["listen", "--serial", "-u"], /--serial does not apply to UDP/],
    [["--append-output", "h", "1"], /--append-output needs -o or -x/],
    [["-lu", "--talk", "9000"], /--talk does not apply to a UDP listener/],
    [["--talk", "--progress", "h", "1"], /--progress does not apply to talk mode/],
    [["lookup", "-C", "localhost"], /-C does not apply to 'hotline lookup'/],
    [["-i", "0", "h", "1"], /at least 1 ms/],
    [["-w", "0", "h", "1"], /at least 1 ms/],
    [["-i", "9000h", "h", "1"], /at most a year/],
    [["-lU", "/tmp/\uFFFDx"], /not valid UTF-8/],
    [["-o", "out\uFFFD", "h", "1"], /not valid UTF-8/],
    [["help", "frobnicate"], /no help for 'frobnicate'/],
  ];
  for (const [argv, message] of bad) {
    assert.throws(
      () => parseArgs(argv),
      (err: Error) => err instanceof UsageError && message.test(err.message),
      argv.join(" "),
    );
  }
});

test("what the rebuilt command line takes: -k dialling, --serial, long times, help and version words", () => {
  assert.equal(parseArgs(["-k", "host", "1"]).keepOpen, true);
  assert.equal(parseArgs(["listen", "--serial"]).serial, true);
  assert.equal(parseArgs(["-w", "3000000", "host", "1"]).wait, 3_000_000_000);
  assert.deepEqual([parseArgs(["help"]).command, parseArgs(["help"]).helpFor], ["help", null]);
  assert.equal(parseArgs(["help", "listen"]).helpFor, "listen");
  assert.equal(parseArgs(["version"]).command, "version");
  assert.deepEqual(parseArgs(["-z", "127.0.0.1", "22", "80,443", "22"]).ports, [22, 80, 443]);
  assert.deepEqual(parseArgs(["probe", "127.0.0.1", "20-21", "25"]).ports, [20, 21, 25]);
  assert.equal(parseArgs(["--progress", "h", "1"]).progress, "on");
  assert.equal(parseArgs(["--no-progress", "h", "1"]).progress, "off");
});

test("a first word close to a command is remembered, so a failed lookup can say 'did you mean'", () => {
  assert.equal(parseArgs(["lisen"]).didYouMean, "listen");
  assert.equal(parseArgs(["conect", "9000"]).didYouMean, "connect");
  assert.equal(parseArgs(["prob", "1"]).didYouMean, "probe");
  assert.equal(parseArgs(["example.org", "80"]).didYouMean, null);
  assert.equal(parseArgs(["127.0.0.1", "80"]).didYouMean, null);
});
