/**
 * `hotline listen -U` where the socket file cannot be made says why: a missing directory
 * is "no such file or directory" (libuv reports it as EACCES, "permission denied").
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { hotline } from "../helpers/hotline.js";
import { tempDir } from "../helpers/transports.js";

test("listen -U in a missing directory says 'no such file or directory', not 'permission denied'", async () => {
  const dir = join(tempDir(), "missing");
  const path = join(dir, "s.sock");
  for (const args of [
    ["listen", "-U", path],
    ["-lU", path],
  ]) {
    const { code, stdout, stderr } = await hotline(args, { stdin: "" }).done();
    assert.equal(code, 1, stderr);
    assert.equal(stderr, `hotline: listen unix ${path}: no such file or directory\n`);
    assert.equal(stdout.length, 0);
    assert.ok(!existsSync(dir), "nothing was created");
  }
});
