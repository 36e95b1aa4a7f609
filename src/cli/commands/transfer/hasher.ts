/**
 * SHA-256 of the content of `hotline send` and `hotline receive`, off the main thread where
 * the machine has cores to spare. On the main thread the hash (about 1.8 GB/s with SHA-NI)
 * runs between reading the socket and writing the file, or between reading the file and
 * writing the socket. Off it, the main thread only copies each block
 * into a slot of a small pool in shared memory and tells one worker thread which slot to
 * hash; the worker says when the slot is free again. Shared memory, not transferred
 * buffers: moving a 1 MiB ArrayBuffer to the worker and back cost the receiver about 0.5
 * CPU-seconds of system time per GiB (its memory is handed between allocators and faulted
 * in again), which undid what the worker saved.
 *
 * Where: contentHash() uses the worker only with 4 or more CPUs. On 2 (the machines this was
 * measured on) both ends of a loopback transfer and the kernel already share the cores:
 * every byte is hashed twice, once per end, and there is no idle core to hash on, so the
 * worker's extra copy and hand-offs made 1 GiB on tmpfs take 1.62–1.91 s against 1.42–1.68
 * inline (docs/benchmarks.md).
 *
 * A pool bounds the memory: when every buffer is with the worker, update() returns a
 * promise, and the data path waits for the hash, as it waits for a slow disk or reader.
 * The worker is started on first use, and keeps the process alive exactly while it holds
 * work (a block or a digest asked for): an idle worker never does, and an awaited answer
 * always comes (an unref'd worker would let the process end, silently and with code 0,
 * while the program still waited for its digest).
 */
import { createHash, type Hash } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/** Bytes per block handed to the worker: one postMessage per MiB is noise beside the hash. */
const BLOCK = 1024 * 1024;
const BLOCK_TEXT = String(BLOCK);
/** Blocks per stream in flight: enough to keep the worker busy while the main thread fills the next. */
const POOL = 4;

/** The worker: a hash per stream id; each block's buffer goes back once hashed. CommonJS, as eval workers are. */
const WORKER_CODE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const streams = new Map();
parentPort.on("message", (m) => {
  if (m.pool) {
    streams.set(m.id, { pool: m.pool, hash: createHash("sha256") });
    return;
  }
  if (m.drop) {
    streams.delete(m.id);
    return;
  }
  const s = streams.get(m.id);
  if (m.length > 0) s.hash.update(new Uint8Array(s.pool, m.slot * ${BLOCK_TEXT}, m.length));
  if (m.final) {
    streams.delete(m.id);
    parentPort.postMessage({ id: m.id, slot: m.slot, digest: s.hash.digest() });
  } else {
    parentPort.postMessage({ id: m.id, slot: m.slot });
  }
});
`;

interface Reply {
  id: number;
  slot: number;
  digest?: Uint8Array;
}

/** A running SHA-256 of a stream of bytes: the same surface whether it runs here or in the worker. */
export interface ContentHash {
  /**
   * Takes `bytes`: copied before the return, or, when every buffer is with the worker, by the
   * time the returned promise settles (so `bytes` must stay as it is until then, as a Line
   * sink's chunk does).
   */
  update(bytes: Uint8Array): Promise<void> | undefined;
  digest(): Promise<Buffer>;
}

/** Content of more than this many bytes is hashed off the main thread (when there are cores for it). */
export const OFF_THREAD_MIN = 64 * 1024;

/** Cores below which hashing stays on the main thread. */
const OFF_THREAD_CPUS = 4;

/** The hash for `size` bytes of content: on the worker when it is large and there are cores to spare. */
export function contentHash(size: number): ContentHash {
  return size > OFF_THREAD_MIN && availableParallelism() >= OFF_THREAD_CPUS ? offThreadHash() : inlineHash();
}

/** What a data path waits for when it hashes and writes a chunk: both, either, or nothing (no promise when neither waits). */
export function both(a: Promise<void> | undefined, b: PromiseLike<void> | undefined): Promise<void> | undefined {
  if (a && b) return Promise.all([a, b]).then(() => {});
  return a ?? (b ? Promise.resolve(b) : undefined);
}

/** A hash on this thread: for small files, and for a resume that continues a hash of the part already there. */
export function inlineHash(hash: Hash = createHash("sha256")): ContentHash {
  return {
    update: (bytes) => {
      hash.update(bytes);
      return undefined;
    },
    digest: () => Promise.resolve(hash.digest()),
  };
}

let worker: Worker | null = null;
let nextId = 1;
/** Messages posted to the worker and not yet answered: the worker is ref'd while there are any. */
let inFlight = 0;

/** A message that the worker answers (a block, or the digest). */
function post(w: Worker, message: unknown): void {
  if (inFlight++ === 0) w.ref();
  w.postMessage(message);
}
const waiting = new Map<number, (reply: Reply | Error) => void>();

/**
 * A stream dropped before its digest (a transfer cut short) is forgotten on both threads
 * once its ContentHash is garbage: a long-running -k receiver does not keep a 4 MiB pool per
 * abandoned transfer.
 */
const dropped = new FinalizationRegistry<number>((id) => {
  if (!waiting.delete(id)) return; // finished normally
  worker?.postMessage({ id, drop: true });
});

function hashWorker(): Worker {
  if (worker) return worker;
  // No inherited flags: under --input-type=module an eval worker would be ESM, without require.
  const w = new Worker(WORKER_CODE, { eval: true, execArgv: [] });
  w.on("message", (reply: Reply) => {
    if (--inFlight === 0) w.unref();
    waiting.get(reply.id)?.(reply);
  });
  w.on("error", (err) => {
    // Every stream waiting on the worker fails with its error; a later stream starts a new one.
    worker = null;
    inFlight = 0;
    for (const settle of waiting.values()) settle(err);
    waiting.clear();
  });
  // After the listeners: adding a 'message' listener refs the worker's port again, and the
  // process would then never end by itself (seen on Node 20). post() refs it while it works.
  w.unref();
  worker = w;
  return w;
}

/** A hash whose work runs on the worker thread. */
export function offThreadHash(): ContentHash {
  const w = hashWorker();
  const id = nextId++;
  const pool = new SharedArrayBuffer(POOL * BLOCK);
  w.postMessage({ id, pool }); // unanswered: not counted
  const free: number[] = Array.from({ length: POOL }, (_, i) => i);
  let slot = -1;
  let current: Uint8Array | null = null;
  let fill = 0;
  let wake: (() => void) | null = null;
  let done: ((digest: Buffer) => void) | null = null;
  let failed: ((err: Error) => void) | null = null;
  let broken: Error | null = null;
  waiting.set(id, (reply) => {
    if (reply instanceof Error) {
      broken = reply;
      failed?.(reply);
      wake?.();
      return;
    }
    if (reply.slot >= 0) free.push(reply.slot);
    if (reply.digest) {
      waiting.delete(id);
      done?.(Buffer.from(reply.digest));
    }
    wake?.();
    wake = null;
  });
  const send = (final: boolean): void => {
    // A digest with nothing gathered names no slot (-1): none is taken, none given back.
    post(w, { id, slot: current ? slot : -1, length: current ? fill : 0, final });
    current = null;
    fill = 0;
  };
  const update = (bytes: Uint8Array): Promise<void> | undefined => {
    if (broken) return Promise.reject(broken);
    let at = 0;
    while (at < bytes.length) {
      if (current === null) {
        const next = free.pop();
        if (next === undefined) {
          // Every buffer is with the worker: wait for one, then take the rest.
          const rest = bytes.subarray(at);
          return new Promise<void>((resolve) => {
            wake = resolve;
          }).then(() => update(rest));
        }
        slot = next;
        current = new Uint8Array(pool, slot * BLOCK, BLOCK);
      }
      const n = Math.min(bytes.length - at, BLOCK - fill);
      current.set(bytes.subarray(at, at + n), fill);
      fill += n;
      at += n;
      if (fill === BLOCK) send(false);
    }
    return undefined;
  };
  const hash: ContentHash = {
    update,
    digest: () =>
      new Promise<Buffer>((resolve, reject) => {
        if (broken) {
          reject(broken);
          return;
        }
        done = resolve;
        failed = reject;
        send(true);
      }),
  };
  dropped.register(hash, id);
  return hash;
}
