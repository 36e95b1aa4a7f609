/**
 * Binding an AF_UNIX socket where the path cannot be made: a missing directory is
 * FileNotFoundError (libuv's pipe bind reports it as EACCES), a directory that is there
 * but not writable stays PermissionError. Python's answer on the same path is the reference.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as socket from "../../src/index.js";
import { Child } from "../helpers/child.js";
import { has } from "../helpers/hotline.js";
import { BUILD } from "../helpers/paths.js";
import { tempDir } from "../helpers/transports.js";

/** Binds an AF_UNIX socket at argv[1] in Python and prints the class and errno of the failure. */
const PY_BIND = `import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.bind(sys.argv[1]); print("bound")
except OSError as e:
    print(type(e).__name__, e.errno)`;

/** What Python's bind says for `path`. */
async function pythonBind(path: string): Promise<string> {
  const { stdout } = await new Child("python3", ["-c", PY_BIND, path]).done();
  return stdout.toString().trim();
}

test("a Unix bind in a missing directory is FileNotFoundError ENOENT, not libuv's EACCES", async () => {
  for (const path of [join(tempDir(), "missing", "s.sock"), join(tempDir(), "a", "b", "s.sock")]) {
    const s = socket.socket(socket.AF_UNIX);
    await assert.rejects(s.bind(path), (err: socket.OSError) => {
      assert.ok(err instanceof socket.FileNotFoundError, `${err.name}: ${err.message}`);
      assert.equal(err.code, "ENOENT");
      assert.equal(err.errno, 2);
      assert.match(err.message, /^\[Errno 2\] No such file or directory/);
      return true;
    });
    assert.equal(await pythonBind(path), "FileNotFoundError 2", "Python says the same");
    assert.equal(s.getsockname(), "", "the socket stays unbound");
    await s.close();
    await assert.rejects(socket.createServer(path, { family: socket.AF_UNIX }), socket.FileNotFoundError);
  }
});

test("a Unix bind in a directory that is there but not writable stays PermissionError EACCES", async (t) => {
  const dir = join(tempDir(), "read-only");
  mkdirSync(dir);
  chmodSync(dir, 0o555);
  const path = join(dir, "s.sock");
  const script = join(tempDir(), "bind-read-only.mjs");
  writeFileSync(
    script,
    `import * as socket from ${JSON.stringify(`${BUILD}src/index.js`)};
     const s = socket.socket(socket.AF_UNIX);
     try { await s.bind(process.argv[2]); console.log("bound"); }
     catch (err) { console.log(err.constructor.name, err.code, err.errno); }
     await s.close();`,
  );
  let child: Child;
  let reference: Child;
  if (process.getuid?.() !== 0) {
    child = new Child(process.execPath, [script, path]);
    reference = new Child("python3", ["-c", PY_BIND, path]);
  } else if (has("setpriv")) {
    // Root writes anywhere: the child runs as root without the capabilities that allow it.
    const drop = "--bounding-set=-dac_override,-dac_read_search,-fowner";
    child = new Child("setpriv", [drop, process.execPath, script, path]);
    reference = new Child("setpriv", [drop, "python3", "-c", PY_BIND, path]);
  } else {
    t.skip("running as root, which may write to any directory, and setpriv is not there to drop that right");
    return;
  }
  const [ours, python] = await Promise.all([child.done(), reference.done()]);
  assert.equal(ours.stdout.toString().trim(), "PermissionError EACCES 13", ours.stderr);
  assert.equal(python.stdout.toString().trim(), "PermissionError 13", "Python says the same");
  assert.ok(!existsSync(path));
});
