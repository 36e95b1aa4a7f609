/**
 * Timeouts longer than Node's timers hold. setTimeout with more than 2^31-1 ms fires after
 * 1 ms, so `settimeout(3e6)` (about 35 days, which Python takes) used to make recv fail
 * at once with TimeoutError. Real loopback pairs; the peer is a plain node:net socket.
 */
import assert from "node:assert/strict";
import { type Socket as NetSocket, createConnection as netConnect } from "node:net";
import { afterEach, describe, test } from "node:test";
import * as socket from "../../src/index.js";
import { within } from "../helpers/within.js";

/** Seconds past what a Node timer holds (2^31-1 ms is about 24.8 days). */
const LONG = 3e6;

/**
 * Resolves once every 1 ms timer armed before it has run. Node turns a delay over 2^31-1 ms
 * into 1 ms, and timers of one delay run in the order they were armed, so when this
 * resolves an overflowed timeout armed earlier has fired already. It waits for that
 * event, not for a guessed duration.
 */
function afterOverflowedTimers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

/** How a promise has ended so far, read synchronously. */
function watch(promise: Promise<unknown>): () => string {
  let state = "pending";
  promise.then(
    () => {
      state = "resolved";
    },
    (err: Error) => {
      state = `rejected with ${err.name}: ${err.message}`;
    },
  );
  return () => state;
}

/** A listening library socket on 127.0.0.1 and its port. */
async function server(): Promise<[socket.Socket, number]> {
  const s = socket.socket();
  await s.bind(["127.0.0.1", 0]);
  await s.listen();
  return [s, (s.getsockname() as socket.Inet4Address)[1]];
}

/** Records Node's TimeoutOverflowWarning, which the old code caused. */
const overflowWarnings: string[] = [];
process.on("warning", (warning) => {
  if (warning.name === "TimeoutOverflowWarning") overflowWarnings.push(warning.message);
});

describe("timeouts longer than Node's timers hold", () => {
  afterEach(() => {
    socket.setdefaulttimeout(null);
    assert.deepEqual(overflowWarnings.splice(0), [], "a timer overflowed");
  });

  test("settimeout(3e6) recv waits for the data instead of timing out after 1 ms", async () => {
    const [listener, port] = await server();
    const peer: NetSocket = netConnect({ host: "127.0.0.1", port });
    peer.on("error", () => {});
    const [conn] = await listener.accept();
    try {
      conn.settimeout(LONG);
      assert.equal(conn.gettimeout(), LONG);
      const received = conn.recv(100);
      const state = watch(received);
      await afterOverflowedTimers();
      assert.equal(state(), "pending", "recv ended before the peer sent anything");
      peer.write("after a while");
      assert.equal(String(await within(received, 5000, "recv")), "after a while");
    } finally {
      peer.destroy();
      await Promise.all([conn.close(), listener.close()]);
    }
  });

  test("setdefaulttimeout(3e6) accept waits for the caller instead of timing out after 1 ms", async () => {
    socket.setdefaulttimeout(LONG);
    const [listener, port] = await server();
    const peers: NetSocket[] = [];
    try {
      assert.equal(listener.gettimeout(), LONG);
      const accepted = listener.accept();
      const state = watch(accepted);
      await afterOverflowedTimers();
      assert.equal(state(), "pending", "accept ended before anyone called");
      const peer = netConnect({ host: "127.0.0.1", port });
      peers.push(peer);
      peer.on("error", () => {});
      const [conn] = await within(accepted, 5000, "accept");
      assert.equal(conn.gettimeout(), LONG, "an accepted socket takes the default timeout");
      await conn.close();
    } finally {
      for (const peer of peers) peer.destroy();
      await listener.close();
    }
  });

  test("createConnection with timeout 3e6 gives a socket whose recv waits for the data", async () => {
    const [listener, port] = await server();
    const client = await socket.createConnection(["127.0.0.1", port], { timeout: LONG });
    const [conn] = await listener.accept();
    try {
      assert.equal(client.gettimeout(), LONG);
      const received = client.recv(100);
      const state = watch(received);
      await afterOverflowedTimers();
      assert.equal(state(), "pending", "recv ended before the peer sent anything");
      await conn.sendall(Buffer.from("late reply"));
      assert.equal(String(await within(received, 5000, "recv")), "late reply");
    } finally {
      await Promise.all([client.close(), conn.close(), listener.close()]);
    }
  });

  test("a short timeout still expires through the chained timer", async () => {
    const [listener, port] = await server();
    const client = await socket.createConnection(["127.0.0.1", port]);
    const [conn] = await listener.accept();
    conn.settimeout(0.05);
    await assert.rejects(within(conn.recv(10), 5000, "recv to time out"), socket.TimeoutError);
    await Promise.all([client.close(), conn.close(), listener.close()]);
  });

  test("a non-finite or negative timeout is still RangeError, NaN TypeError", async () => {
    const s = socket.socket();
    for (const bad of [Number.POSITIVE_INFINITY, -1, -1e-9]) {
      assert.throws(() => s.settimeout(bad), RangeError, String(bad));
      assert.throws(() => socket.setdefaulttimeout(bad), RangeError, String(bad));
      await assert.rejects(socket.createConnection(["127.0.0.1", 9], { timeout: bad }), RangeError, String(bad));
    }
    assert.throws(() => s.settimeout(Number.NaN), TypeError);
    assert.equal(socket.getdefaulttimeout(), null, "a refused default changes nothing");
    await s.close();
  });
});
