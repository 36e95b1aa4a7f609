/**
 * The answering loop of a listener with many callers at once (-k, --broker): each caller's
 * call runs on its own, tracked in `running` until it ends, unless the line is full, when
 * the caller is refused instead. Ends when the listener closes; a failure to answer goes
 * to `failed`. Each TCP caller gets keepalive probes after KEEPALIVE_IDLE_S of silence, so
 * one that vanished without FIN or reset (a pulled cable, a laptop closed) fails about
 * 10 s later and its call ends, freeing its --max-conns slot (and its -e child).
 */
import type { Failure } from "../io.js";
import type { Line } from "../reach/line.js";
import type { Listener } from "../reach/listen.js";

/** Silence, in seconds, before a caller is probed. */
export const KEEPALIVE_IDLE_S = 60;

export interface Answering {
  /** Every call under way; each leaves the set when it ends. */
  running: Set<Promise<void>>;
  /** The line is full (--max-conns): the next caller is refused. */
  full(): boolean;
  refuse(line: Line): void | Promise<void>;
  take(line: Line): Promise<void>;
  failed(err: Failure): void;
}

export async function answer(listener: Listener, a: Answering): Promise<void> {
  for (;;) {
    let line: Line | null;
    try {
      line = await listener.next();
    } catch (err) {
      a.failed(err as Failure); // Listener.next() fails with a Failure
      return;
    }
    if (line === null) return;
    if (a.full()) {
      await a.refuse(line);
      continue;
    }
    line.keepAlive?.(KEEPALIVE_IDLE_S);
    const call = a.take(line).finally(() => a.running.delete(call));
    a.running.add(call);
  }
}
