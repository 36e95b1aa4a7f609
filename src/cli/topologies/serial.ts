/**
 * --serial: one call after another, each to its end, as the seed's server loop answers;
 * later callers wait in the backlog (listen(10)) until the line is free. A caller's
 * failure is reported and the next is answered; an interrupt or a local failure (stdout,
 * a log) ends the listener.
 */
import { Failure } from "../io.js";
import type { Listener } from "../reach/listen.js";
import { Broadcast } from "./broadcast.js";
import type { Context } from "./context.js";
import { oneCall } from "./one-call.js";

export async function serial(listener: Listener, ctx: Context): Promise<number> {
  const { io, report } = ctx;
  // One reader of stdin for all the calls: a call that ends while waiting for input
  // leaves the next chunk to the next call.
  const input = new Broadcast(io.input);
  // run.ts closes the listener at an interrupt: next() then gives null.
  for (;;) {
    if (io.interrupt.aborted) return 130;
    const line = await listener.next();
    if (line === null) return 130;
    const share = input.join();
    try {
      const code = await oneCall(line, ctx, "call from", share);
      if (code === 130) return 130;
    } catch (err) {
      if (!(err instanceof Failure) || err.local) throw err;
      report.say(err.message);
    } finally {
      share.leave();
    }
  }
}
