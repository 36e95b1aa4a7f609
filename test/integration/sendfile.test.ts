/**
 * Socket.sendfile (Python's socket.sendfile) on real sockets: loopback TCP, a Unix socket
 * and TLS, against hotline receivers and Python's own socket and ssl modules. What was
 * sent is compared with the file by SHA-256.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { testPki } from "../helpers/certs.js";
import { python } from "../helpers/child.js";
import { random, sha256 } from "../helpers/data.js";
import { PYTHON_FIXTURES } from "../helpers/paths.js";
import { dialer, pair, peerAddress, STREAM_TRANSPORTS, TRANSPORTS, tempDir } from "../helpers/transports.js";
import { within } from "../helpers/within.js";

const MIB = 1024 * 1024;
const BIG = 64 * MIB;
/** Not a multiple of any block size, so slices cross block boundaries at odd places. */
const SMALL = 3 * MIB + 7;

let dir = "";
let bigPath = "";
let bigSha = "";
let smallPath = "";
let small: Buffer = Buffer.alloc(0);

before(() => {
  dir = tempDir();
  const big = random(BIG);
  bigPath = join(dir, "big.bin");
  writeFileSync(bigPath, big);
  bigSha = sha256(big);
  small = random(SMALL);
  smallPath = join(dir, "small.bin");
  writeFileSync(smallPath, small);
});

/** Reads `s` to end of stream, hashing as it goes: [sha256, bytes]. */
async function drain(s: socket.Socket): Promise<[string, number]> {
  const hash = createHash("sha256");
  let total = 0;
  for await (const chunk of s.chunks(MIB, { reuse: true })) {
    hash.update(chunk);
    total += chunk.length;
  }
  return [hash.digest("hex"), total];
}

/** Runs `send` on the client of a fresh pair, then FIN; resolves to what the server side received. */
async function sendOver(
  t: (typeof STREAM_TRANSPORTS)[number],
  send: (s: socket.Socket) => Promise<void>,
): Promise<[string, number]> {
  const [client, server] = await pair(t);
  try {
    const received = drain(server);
    await send(client);
    client.shutdown(socket.SHUT_WR);
    return await within(received, 60_000, "the receiver to reach end of stream");
  } finally {
    await client.close();
    await server.close();
  }
}

for (const t of STREAM_TRANSPORTS) {
  describe(`sendfile over ${t.name}`, () => {
    test("a 64 MiB file sent whole by path: the count and SHA-256 match", async () => {
      let sent = -1;
      const [digest, total] = await sendOver(t, async (s) => {
        sent = await within(s.sendfile(bigPath), 60_000, "sendfile of 64 MiB");
      });
      assert.equal(sent, BIG);
      assert.equal(total, BIG);
      assert.equal(digest, bigSha);
    });
  });
}

describe("sendfile slices", () => {
  for (const t of [TRANSPORTS[0], STREAM_TRANSPORTS[3]]) {
    test(`offset and count over ${t?.name}: inside, across blocks, past EOF, at and after EOF`, async () => {
      assert.ok(t);
      const slices: [number, number | null, number][] = [
        // [offset, count, bytes expected]
        [0, 1000, 1000],
        [3, MIB + 5, MIB + 5],
        [MIB - 1, 2 * MIB + 3, 2 * MIB + 3],
        [SMALL - 10, 100, 10], // count past EOF: sends to EOF
        [SMALL - 10, null, 10],
        [SMALL, null, 0], // offset at EOF
        [SMALL, 5, 0],
        [SMALL + 5, null, 0], // past EOF
        [12345, null, SMALL - 12345],
      ];
      const results: number[] = [];
      const [digest, total] = await sendOver(t, async (s) => {
        for (const [offset, count] of slices) results.push(await s.sendfile(smallPath, offset, count));
      });
      assert.deepEqual(
        results,
        slices.map(([, , n]) => n),
      );
      const expected = slices.map(([offset, , n]) => small.subarray(offset, offset + n));
      assert.equal(
        total,
        expected.reduce((sum, part) => sum + part.length, 0),
      );
      assert.equal(digest, sha256(...expected));
    });
  }

  test("onChunk sees every block before it is written, in order: hashing them gives the file's SHA-256", async () => {
    const seen = createHash("sha256");
    let chunks = 0;
    let seenBytes = 0;
    const [digest] = await sendOver(TRANSPORTS[0] as (typeof TRANSPORTS)[number], async (s) => {
      const sent = await s.sendfile(smallPath, 0, null, {
        onChunk: (chunk) => {
          seen.update(chunk);
          seenBytes += chunk.length;
          chunks++;
        },
      });
      assert.equal(sent, SMALL);
    });
    assert.ok(chunks > 1, `a 3 MiB file comes in more than one block (got ${chunks})`);
    assert.equal(seenBytes, SMALL);
    assert.equal(seen.digest("hex"), sha256(small));
    assert.equal(digest, sha256(small));
  });

  test("onChunk's promise holds its block's write until it settles; a rejection ends the send", async () => {
    // Every block is held for a turn of the event loop: the file still arrives whole and in
    // order, every hold is released, and a rejected hold fails the send (a sendfile that
    // ignored the promise would send on and resolve).
    let held = 0;
    let released = 0;
    const [digest] = await sendOver(TRANSPORTS[0] as (typeof TRANSPORTS)[number], async (s) => {
      const sent = await s.sendfile(smallPath, 0, null, {
        onChunk: () => {
          held++;
          return new Promise<void>((resolve) =>
            setImmediate(() => {
              released++;
              resolve();
            }),
          );
        },
      });
      assert.equal(sent, SMALL);
    });
    assert.ok(held > 1 && released === held, `${held} blocks held, ${released} released`);
    assert.equal(digest, sha256(small));
    const [client, server] = await pair(TRANSPORTS[0] as (typeof TRANSPORTS)[number]);
    const no = new Error("not now");
    await assert.rejects(
      client.sendfile(smallPath, 0, null, { onChunk: () => Promise.reject(no) }),
      (err) => err === no,
    );
    await client.close();
    await server.close();
  });

  test("onChunk throwing ends the send with its error", async () => {
    const [client, server] = await pair(TRANSPORTS[0] as (typeof TRANSPORTS)[number]);
    const boom = new Error("hash failed");
    await assert.rejects(
      client.sendfile(smallPath, 0, null, {
        onChunk: () => {
          throw boom;
        },
      }),
      (err) => err === boom,
    );
    await client.close();
    await server.close();
  });
});

describe("sendfile from an open file", () => {
  test("a FileHandle: sent from the offset, and left open", async () => {
    const handle = await open(smallPath, "r");
    try {
      let sent = -1;
      const [digest, total] = await sendOver(TRANSPORTS[0] as (typeof TRANSPORTS)[number], async (s) => {
        sent = await s.sendfile(handle, 100);
      });
      assert.equal(sent, SMALL - 100);
      assert.equal(total, SMALL - 100);
      assert.equal(digest, sha256(small.subarray(100)));
      assert.equal((await handle.stat()).size, SMALL, "the handle still works");
    } finally {
      await handle.close();
    }
  });

  test("a descriptor: sent with a count, not closed, its position not moved", async () => {
    const fd = openSync(smallPath, "r");
    try {
      let sent = -1;
      const [digest, total] = await sendOver(STREAM_TRANSPORTS[2] as (typeof TRANSPORTS)[number], async (s) => {
        sent = await s.sendfile(fd, 7, 2 * MIB);
      });
      assert.equal(sent, 2 * MIB);
      assert.equal(total, 2 * MIB);
      assert.equal(digest, sha256(small.subarray(7, 7 + 2 * MIB)));
      assert.equal(fstatSync(fd).size, SMALL, "the descriptor is still open");
      const first = Buffer.alloc(16);
      readSync(fd, first, 0, 16, null); // reads at the current position: still 0
      assert.deepEqual(first, small.subarray(0, 16));
    } finally {
      closeSync(fd);
    }
  });
});

describe("sendfile to Python peers: the bytes on the wire are the file's", () => {
  for (const t of TRANSPORTS) {
    test(`peer.py sink over ${t.name}`, async () => {
      const bind = t.family === socket.AF_UNIX ? (t.address() as string) : peerAddress(t.address() as socket.Address);
      const peer = python(`${PYTHON_FIXTURES}peer.py`, ["server", t.peer, bind, "sink"]);
      const [, where = ""] = await peer.line(/^ready (\S+)$/m);
      const s = socket.socket(t.family, socket.SOCK_STREAM);
      await s.connect(
        t.family === socket.AF_UNIX ? where : [t.family === socket.AF_INET6 ? "::1" : "127.0.0.1", Number(where)],
      );
      assert.equal(await within(s.sendfile(smallPath), 30_000, "sendfile to Python"), SMALL);
      await s.close();
      const { code, stdout } = await peer.done();
      assert.equal(code, 0);
      assert.match(stdout.toString(), new RegExp(`received ${sha256(small)} ${SMALL}`));
    });
  }

  test("tls_peer.py sink: an SSLSocket's sendfile is encrypted (Python's ssl decrypts the file)", async () => {
    const pki = testPki();
    const peer = python(`${PYTHON_FIXTURES}tls_peer.py`, [
      "server",
      "0",
      "sink",
      pki.server.certPath,
      pki.server.keyPath,
    ]);
    const [, port = ""] = await peer.line(/^ready (\d+)$/m);
    const s = await dialer(STREAM_TRANSPORTS[3] as (typeof TRANSPORTS)[number]);
    await s.connect(["127.0.0.1", Number(port)]);
    assert.equal(await within(s.sendfile(smallPath), 30_000, "sendfile to Python over TLS"), SMALL);
    await s.close();
    const { code, stdout } = await peer.done();
    assert.equal(code, 0);
    assert.match(stdout.toString(), new RegExp(`received ${sha256(small)} ${SMALL}`));
  });
});

describe("sendfile and the socket's timeout", () => {
  const PACED = join(PYTHON_FIXTURES, "paced_reader.py");

  test("a slow reader that keeps reading: the timeout bounds each block, not the whole send", async () => {
    const size = 16 * MIB;
    const path = join(dir, "paced.bin");
    const data = random(size);
    writeFileSync(path, data);
    // 64 KiB every 10 ms: at most ~6 MB/s, so a 1 MiB block takes ~0.2 s, and the file
    // (less the ~4 MB the kernels buffer) well over the 1 s timeout.
    const peer = python(PACED, ["paced", "65536", "10"]);
    const [, port = ""] = await peer.line(/^ready (\d+)$/m);
    const s = socket.socket();
    await s.connect(["127.0.0.1", Number(port)]);
    s.settimeout(1);
    const started = performance.now();
    const sent = await within(s.sendfile(path), 60_000, "sendfile to a slow reader");
    const seconds = (performance.now() - started) / 1000;
    await s.close();
    assert.equal(sent, size);
    const { code, stdout } = await peer.done(60_000);
    assert.equal(code, 0);
    assert.match(stdout.toString(), new RegExp(`received ${sha256(data)} ${size}`));
    assert.ok(seconds > 1.5, `the send outlasted the timeout (${seconds.toFixed(2)} s), so the test means something`);
  });

  test("a reader that stops reading: sendfile fails with TimeoutError", async () => {
    const peer = python(PACED, ["frozen"]);
    const [, port = ""] = await peer.line(/^ready (\d+)$/m);
    const s = socket.socket();
    await s.connect(["127.0.0.1", Number(port)]);
    await peer.line(/^accepted$/m);
    s.settimeout(0.5);
    await assert.rejects(within(s.sendfile(bigPath), 30_000, "sendfile to time out"), (err) => {
      assert.ok(err instanceof socket.TimeoutError, String(err));
      assert.equal((err as socket.OSError).code, "ETIMEDOUT");
      return true;
    });
    await s.close();
    peer.proc.stdin?.end();
    await peer.done();
  });
});

describe("sendfile's bad input", () => {
  test("argument and state errors, as Python raises them (ValueError is RangeError)", async () => {
    const [client, server] = await pair(TRANSPORTS[0] as (typeof TRANSPORTS)[number]);
    try {
      await assert.rejects(client.sendfile(smallPath, -1), RangeError);
      await assert.rejects(client.sendfile(smallPath, 0, -5), RangeError);
      await assert.rejects(client.sendfile(smallPath, 0, 0), RangeError); // Python: count must be positive
      await assert.rejects(client.sendfile(smallPath, 1.5), TypeError);
      await assert.rejects(client.sendfile(smallPath, 0, 2.5), TypeError);
      await assert.rejects(client.sendfile(-1), RangeError);
      await assert.rejects(client.sendfile(""), RangeError);
      await assert.rejects(client.sendfile({} as unknown as string), TypeError);
      await assert.rejects(client.sendfile(smallPath, 0, null, { onChunk: 1 as unknown as () => void }), TypeError);
      await assert.rejects(client.sendfile(join(dir, "missing.bin")), (err) => {
        assert.ok(err instanceof socket.FileNotFoundError, String(err));
        assert.equal((err as socket.OSError).code, "ENOENT");
        return true;
      });
      await assert.rejects(client.sendfile(dir), (err) => (err as socket.OSError).code === "EISDIR");
      client.setblocking(false);
      await assert.rejects(client.sendfile(smallPath), /non-blocking sockets are not supported/);
      client.setblocking(true);
      // None of the above sent a byte.
      client.shutdown(socket.SHUT_WR);
      assert.deepEqual(await within(drain(server), 10_000, "end of stream"), [sha256(), 0]);
      await assert.rejects(client.sendfile(smallPath), (err) => (err as socket.OSError).code === "EPIPE");
    } finally {
      await client.close();
      await server.close();
    }
    await assert.rejects(client.sendfile(smallPath), (err) => (err as socket.OSError).code === "EBADF");
    const udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    await assert.rejects(udp.sendfile(smallPath), /only SOCK_STREAM/);
    await udp.close();
    const fresh = socket.socket();
    await assert.rejects(fresh.sendfile(smallPath), (err) => (err as socket.OSError).code === "EPIPE");
    await fresh.close();
  });
});
