/**
 * `hotline probe` (and -z) with few file descriptors. Every probe holds one; EMFILE used to
 * be counted as a port verdict, so a scan with many ports under a low `ulimit -n` reported
 * "none open" for ports that were open, in silence. The binary runs under a real limit;
 * the listeners are real sockets of this process on port 0.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import * as socket from "../../src/index.js";
import { bash, HL, HOTLINE, shellQuote } from "../helpers/hotline.js";
import { unusedPort } from "../helpers/ports.js";
import { tempDir } from "../helpers/transports.js";

/**
 * A descriptor limit Node 20 starts under (it holds about 19 descriptors when it is
 * ready) that leaves far fewer than the 64 probes the old code started at once.
 */
const LOW_LIMIT = 40;

/** `count` listening sockets on 127.0.0.1 and their ports. */
async function listeners(count: number): Promise<{ ports: number[]; close: () => Promise<unknown> }> {
  const socks: socket.Socket[] = [];
  for (let i = 0; i < count; i++) socks.push(await socket.createServer(["127.0.0.1", 0], { backlog: 64 }));
  return {
    ports: socks.map((s) => (s.getsockname() as socket.Inet4Address)[1]),
    close: () => Promise.all(socks.map((s) => s.close())),
  };
}

/** `count` ports nothing listens on. */
async function closedPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await unusedPort());
  return [...ports];
}

/**
 * A module for `node --import` that, when the first client socket is made (so after the
 * limit was read and the probes planned), takes every free descriptor but `left`: what
 * the plan counted on is then not there, as when something else in the process takes it.
 */
function descriptorThief(left: number): string {
  const path = join(tempDir(), "take-descriptors.mjs");
  writeFileSync(
    path,
    `import { subscribe } from "node:diagnostics_channel";
     import { closeSync, openSync } from "node:fs";
     const held = [];
     subscribe("net.client.socket", () => {
       if (held.length > 0) return;
       try { for (;;) held.push(openSync("/dev/null", "r")); }
       catch (err) { if (err.code !== "EMFILE") throw err; }
       for (const fd of held.splice(held.length - ${left}, ${left})) closeSync(fd);
       process.stderr.write("took " + held.length + " descriptors\\n");
     });`,
  );
  return pathToFileURL(path).href;
}

describe("probe under a low descriptor limit", () => {
  test("EMFILE is never a port verdict: under ulimit -n 40, every open port is reported and exit 0", async () => {
    const open = await listeners(3);
    try {
      // Closed ports first, so the old 64 at once took every free descriptor before the open ones.
      const ports = [...(await closedPorts(45)), ...open.ports].join(",");
      for (const form of ["probe 127.0.0.1", "-z 127.0.0.1"]) {
        const run = bash(`ulimit -n ${LOW_LIMIT}; exec ${HL} ${form} ${ports}`);
        const { code, stdout, stderr } = await run.done();
        assert.equal(stderr, "", form);
        assert.equal(stdout.toString(), open.ports.map((p) => `127.0.0.1 ${p} open\n`).join(""), form);
        assert.equal(code, 0, form);
      }
      // The plan comes from the limit: fewer at once than it leaves, so EMFILE is not even met.
      const { stderr } = await bash(`ulimit -n ${LOW_LIMIT}; exec ${HL} probe -vv 127.0.0.1 ${ports}`).done();
      const [, planned = ""] = /probing \d+ ports, at most (\d+) at once/.exec(stderr) ?? [];
      assert.ok(Number(planned) >= 1 && Number(planned) < LOW_LIMIT, stderr);
      assert.doesNotMatch(stderr, /trying again/);
    } finally {
      await open.close();
    }
  });

  test("when descriptors run out after the plan was made, probes slow down and still find every open port", async () => {
    const open = await listeners(3);
    try {
      const ports = [...(await closedPorts(30)), ...open.ports].join(",");
      const thief = descriptorThief(2);
      const run = bash(
        `ulimit -n 200; exec ${shellQuote(process.execPath)} --import ${thief} ${HOTLINE} probe -vv 127.0.0.1 ${ports}`,
      );
      const { code, stdout, stderr } = await run.done();
      assert.match(stderr, /^took \d+ descriptors$/m, "the descriptors were taken");
      const levels = [...stderr.matchAll(/too many open files; trying again, at most (\d+) at once/g)].map((m) =>
        Number(m[1]),
      );
      assert.ok(levels.length > 0, `EMFILE was met and the port tried again: ${stderr}`);
      assert.ok(Math.min(...levels) <= 2, `fewer probes at once, down to what the descriptors allow: ${levels}`);
      assert.doesNotMatch(stderr, /error 24/, "EMFILE is not reported as a port's state");
      assert.equal(stdout.toString(), open.ports.map((p) => `127.0.0.1 ${p} open\n`).join(""));
      assert.equal(code, 0, stderr);
    } finally {
      await open.close();
    }
  });

  test("with no descriptor left even for one probe, probe fails with one line naming the limit (exit 1)", async () => {
    const open = await listeners(1);
    try {
      const ports = [...(await closedPorts(5)), ...open.ports].join(",");
      const thief = descriptorThief(0);
      const run = bash(
        `ulimit -n 100; exec ${shellQuote(process.execPath)} --import ${thief} ${HOTLINE} probe 127.0.0.1 ${ports}`,
      );
      const { code, stdout, stderr } = await run.done();
      const lines = stderr.trimEnd().split("\n");
      assert.match(lines[0] ?? "", /^took \d+ descriptors$/);
      assert.deepEqual(lines.slice(1), [
        "hotline: probe: too many open files (descriptor limit 100); raise it with ulimit -n",
      ]);
      assert.equal(stdout.length, 0, "no verdicts from a scan that could not run");
      assert.equal(code, 1);
    } finally {
      await open.close();
    }
  });
});
