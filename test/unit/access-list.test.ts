/**
 * --allow/--deny's matcher: every form of ncat's host syntax, deny over allow, IPv4-mapped
 * callers matched as IPv4, and every malformed spec refused with a line that says why.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AccessList,
  addressBytes,
  fileSpecs,
  HostSet,
  loadAccessList,
  optionSpecs,
  rulesOf,
  SpecError,
} from "../../src/cli/reach/access-list.js";

const LOOKUP = { family: 0, nodns: false } as const;

/** A set of the given specs. */
async function set(...specs: string[]): Promise<HostSet> {
  const s = new HostSet();
  for (const spec of specs) for (const rule of await rulesOf(spec, LOOKUP)) s.add(rule);
  return s;
}

function options(o: Partial<{ allow: string[]; deny: string[]; allowFiles: string[]; denyFiles: string[] }>) {
  return { family: 0 as const, nodns: false, allow: [], deny: [], allowFiles: [], denyFiles: [], ...o };
}

describe("address literals as 16 bytes", () => {
  test("IPv4 is stored IPv4-mapped, so a mapped caller is the same address", () => {
    assert.deepEqual(addressBytes("10.1.2.3"), addressBytes("::ffff:10.1.2.3"));
    assert.deepEqual(addressBytes("10.1.2.3"), addressBytes("::FFFF:0a01:0203"));
  });

  test("IPv6 forms: ::, a gap in the middle, an IPv4 tail, a zone", () => {
    assert.deepEqual([...(addressBytes("::") ?? [])], new Array(16).fill(0));
    assert.deepEqual([...(addressBytes("fe80::1:2") ?? [])], [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
    assert.deepEqual([...(addressBytes("1:2:3:4:5:6:7:8") ?? [])], [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    assert.deepEqual([...(addressBytes("64:ff9b::192.0.2.1") ?? [])].slice(12), [192, 0, 2, 1]);
    assert.deepEqual(addressBytes("fe80::1%eth0"), addressBytes("fe80::1"));
    assert.equal(addressBytes("example.org"), null);
    assert.equal(addressBytes("1.2.3"), null);
  });
});

describe("the host syntax", () => {
  test("a single address, IPv4 and IPv6", async () => {
    const s = await set("192.0.2.7", "2001:db8::7");
    assert.ok(s.has("192.0.2.7"));
    assert.ok(!s.has("192.0.2.8"));
    assert.ok(s.has("2001:db8::7"));
    assert.ok(!s.has("2001:db8::8"));
  });

  test("CIDR networks, IPv4 and IPv6, on and off the bit boundary", async () => {
    const s = await set("10.0.0.0/8", "172.16.0.0/12", "fe80::/10");
    assert.ok(s.has("10.255.1.2"));
    assert.ok(!s.has("11.0.0.1"));
    assert.ok(s.has("172.31.255.255"));
    assert.ok(!s.has("172.32.0.0"));
    assert.ok(s.has("febf::1"));
    assert.ok(!s.has("fec0::1"));
    assert.ok((await set("0.0.0.0/0")).has("203.0.113.9"));
    assert.ok(!(await set("0.0.0.0/0")).has("::1"), "an IPv4 /0 is every IPv4 address, not IPv6");
  });

  test("octet ranges, open ranges, lists and wildcards (Nmap's)", async () => {
    const s = await set("192.168.0-3.*");
    assert.ok(s.has("192.168.3.200"));
    assert.ok(!s.has("192.168.4.1"));
    const r = await set("10.0.0.1-20");
    assert.ok(r.has("10.0.0.1") && r.has("10.0.0.20"));
    assert.ok(!r.has("10.0.0.21") && !r.has("10.0.0.0"));
    const open = await set("10.0.0.-9", "10.0.1.250-");
    assert.ok(open.has("10.0.0.0") && open.has("10.0.0.9") && !open.has("10.0.0.10"));
    assert.ok(open.has("10.0.1.255") && !open.has("10.0.1.249"));
    const list = await set("10.1,3,5-6.0.1"); // files may hold lists inside an octet
    assert.ok(list.has("10.3.0.1") && list.has("10.6.0.1") && !list.has("10.4.0.1"));
    assert.ok((await set("*.*.*.*")).has("1.2.3.4"));
  });

  test("a netmask widens octet ranges as ncat does", async () => {
    const s = await set("192.168.1-2.5/24");
    assert.ok(s.has("192.168.1.77") && s.has("192.168.2.0"));
    assert.ok(!s.has("192.168.3.5"));
  });

  test("octet ranges match IPv4-mapped callers, and never other IPv6", async () => {
    const s = await set("127.0.0.*");
    assert.ok(s.has("::ffff:127.0.0.1"));
    assert.ok(!s.has("::127.0.0.1"));
  });

  test("a mapped IPv6 network is an IPv4 network, as in ncat's address set", async () => {
    const s = await set("::ffff:0:0/96");
    assert.ok(s.has("8.8.8.8"));
    assert.ok(!s.has("2001:db8::1"));
  });

  test("a name stands for every address it has, looked up once", async () => {
    const s = await set("localhost");
    assert.ok(s.has("127.0.0.1"));
    assert.ok(!s.has("192.0.2.1"));
  });

  test("malformed specs are refused with the reason", async () => {
    const bad: [string, RegExp][] = [
      ["10.0.0.0/33", /too long \(at most 32\)/],
      ["fe80::/129", /too long \(at most 128\)/],
      ["10.0.0.0/x", /malformed netmask/],
      ["10.0.0.0/", /malformed netmask/],
      ["127.0.0", /four parts/],
      ["1.2.3.256", /four parts/],
      ["10.0.0.9-1", /four parts/],
      ["10.0.0.1-20/33", /at most 32/],
      ["fe80::zz", /malformed address or name/],
      ["a b", /malformed address or name/],
      ["no-such-host.invalid", /cannot look up/],
    ];
    for (const [spec, message] of bad) {
      await assert.rejects(
        rulesOf(spec, LOOKUP),
        (err: Error) => err instanceof SpecError && message.test(err.message),
        spec,
      );
    }
    await assert.rejects(rulesOf("localhost", { family: 0, nodns: true }), /-n forbids name lookups/);
  });
});

describe("specs from options and files", () => {
  test("--allow splits on commas and skips empty pieces, as ncat does", () => {
    assert.deepEqual(
      optionSpecs("10.0.0.1,,192.168.0.0/16,", "--allow").map((s) => s.text),
      ["10.0.0.1", "192.168.0.0/16"],
    );
  });

  test("a file: white-space separated, # comments, line numbers for errors", () => {
    const specs = fileSpecs("# trusted\n10.0.0.1 10.0.0.2\n\n\t192.168.0.* # lab\r\n#10.9.9.9\n", "hosts");
    assert.deepEqual(
      specs.map((s) => s.text),
      ["10.0.0.1", "10.0.0.2", "192.168.0.*"],
    );
    assert.match(specs[2]?.from ?? "", /^hosts line 4: /);
  });
});

describe("who is let in", () => {
  test("no lists: nobody is kept out (no access list at all)", async () => {
    assert.equal(await loadAccessList(options({})), null);
  });

  test("an allow list lets in only its hosts", async () => {
    const list = await loadAccessList(options({ allow: ["10.0.0.0/8"] }));
    assert.ok(list?.admits(["10.2.3.4", 5555]));
    assert.ok(!list?.admits(["11.2.3.4", 5555]));
    assert.ok(!list?.admits(["::1", 5555, 0, 0]));
  });

  test("deny wins when both match (ncat 7.93's behaviour; its man page says otherwise)", async () => {
    const list = await loadAccessList(options({ allow: ["127.0.0.1"], deny: ["127.0.0.0/8"] }));
    assert.ok(!list?.admits(["127.0.0.1", 1]));
    const onlyDeny = new AccessList(null, await set("127.0.0.1"));
    assert.ok(!onlyDeny.admits(["127.0.0.1", 1]));
    assert.ok(onlyDeny.admits(["127.0.0.2", 1]));
  });

  test("an IPv4 deny cannot be bypassed as ::ffff:a.b.c.d on a dual-stack listener", async () => {
    const list = await loadAccessList(options({ deny: ["203.0.113.0/24", "198.51.100.*"] }));
    assert.ok(!list?.admits(["::ffff:203.0.113.5", 1, 0, 0]));
    assert.ok(!list?.admits(["::FFFF:198.51.100.9", 1, 0, 0]));
    assert.ok(list?.admits(["::ffff:192.0.2.1", 1, 0, 0]));
  });

  test("an unreadable file or a bad spec is exit 2, naming where", async () => {
    await assert.rejects(
      loadAccessList(options({ denyFiles: ["/nonexistent/hosts"] })),
      (err: Error & { exitCode?: number }) => {
        return err.exitCode === 2 && /--denyfile \/nonexistent\/hosts: no such file/.test(err.message);
      },
    );
    await assert.rejects(
      loadAccessList(options({ allow: ["10.0.0.1,10.0.0.300"] })),
      (err: Error & { exitCode?: number }) => {
        return err.exitCode === 2 && /--allow "10.0.0.300": malformed address/.test(err.message);
      },
    );
  });
});
