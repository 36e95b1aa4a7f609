/**
 * -k: many calls at once. Pipe mode: stdin goes to every caller on the line (broadcast.ts),
 * what any caller says goes to stdout, and each caller is a call of its own through the
 * pipeline (-C, -i, -o, -x, -q, --send-only ... apply per caller). Talk mode: one
 * conversation with every caller (endpoints/terminal.ts).
 *
 * --max-conns N refuses the N+1th caller explicitly: reset at once in pipe mode; in talk
 * mode a line that says the line is busy, then FIN. A slot frees when a caller leaves.
 *
 * The first interrupt stops answering and drains: every caller's input ends (FIN), and
 * callers get DRAIN_MS to hang up; then the rest are reset. A second interrupt leaves at
 * once (main.ts). A local failure (stdout or a log cannot be written) ends every call.
 */

import { Call } from "../call/call.js";
import { pump } from "../call/pump.js";
import { deferred } from "../deferred.js";
import { stdioEnd } from "../endpoints/stdio.js";
import { Talk } from "../endpoints/terminal.js";
import { Failure } from "../io.js";
import type { Line } from "../reach/line.js";
import type { Listener } from "../reach/listen.js";
import { debug, reason } from "../report.js";
import { answer } from "./answer.js";
import { Broadcast } from "./broadcast.js";
import type { Context } from "./context.js";
import { runChild } from "./one-call.js";

/** -k with -e or -c, without --max-conns: children at once (ncat's default for every -k). */
export const EXEC_MAX_CONNS = 100;

/** How long callers have to hang up after an interrupt before they are reset. */
export const DRAIN_MS = 2000;

export async function fanOut(listener: Listener, ctx: Context): Promise<number> {
  const { o, io, report } = ctx;
  const stop = new AbortController();
  const { promise: fatal, resolve: failed } = deferred<Failure>();
  const running = new Set<Promise<void>>();
  let active = 0;
  // Each caller of -e/-c costs a process: at most EXEC_MAX_CONNS at once unless -m says.
  const maxConns = o.maxConns ?? (ctx.program ? EXEC_MAX_CONNS : null);
  const input = new Broadcast(io.input);
  const conversation = ctx.talk ? new Talk(io, true, o.quitAfterEof) : null;
  if (conversation) report.divert = (message) => conversation.notice(message);

  const take = async (line: Line): Promise<void> => {
    const call = new Call(line, o, ctx.log, report, 2);
    if (conversation) {
      await conversation.add(call, "on the line:");
      return;
    }
    report.info(`call from ${line.peer} (${active} on the line)`);
    if (ctx.program) {
      // One child per caller; stdin is not read.
      try {
        await runChild(call, ctx, stop.signal, `${line.peer}: `);
      } catch (err) {
        if (err instanceof Failure && err.local) failed(err);
        else report.info(`${line.peer}: ${err instanceof Failure ? err.message : reason(err)}`);
      }
      return;
    }
    const share = input.join();
    try {
      const code = await pump(call, stdioEnd(io, { input: share, shared: true }), o, report, stop.signal);
      report.info(code === 0 ? `${line.peer} hung up` : `${line.peer} was cut off`);
    } catch (err) {
      if (err instanceof Failure && err.local) failed(err);
      else report.info(`${line.peer}: ${err instanceof Failure ? err.message : reason(err)}`);
    } finally {
      share.leave();
    }
  };

  const refuse = async (line: Line): Promise<void> => {
    const busy = `refused ${line.peer}: --max-conns ${maxConns} reached`;
    debug(busy);
    if (conversation) {
      conversation.notice(busy);
      // A person is calling: say why, rather than a bare reset.
      await line
        .send(Buffer.from(`hotline: the line is busy (--max-conns ${maxConns}); try again later\n`))
        .catch(() => {});
      await line.close();
    } else {
      report.say(busy);
      line.reset();
    }
  };

  const answering = answer(listener, {
    running,
    full: () => maxConns !== null && active >= maxConns,
    refuse,
    take: (line) => {
      active += 1;
      return take(line).finally(() => {
        active -= 1;
      });
    },
    failed,
  });

  const interrupted = new Promise<number>((resolve) => {
    if (io.interrupt.aborted) resolve(130);
    io.interrupt.addEventListener("abort", () => resolve(130), { once: true });
  });
  const outcome = await Promise.race([interrupted, fatal, ...(conversation ? [conversation.finished] : [])]);
  await listener.close();
  await answering;
  report.divert = null;
  if (outcome instanceof Failure) {
    stop.abort();
    await Promise.allSettled(running);
    throw outcome;
  }
  // Children (-e, -c) are ended at once: their input is the caller, not stdin, so there
  // is nothing to drain.
  if (ctx.program) stop.abort();
  if (!conversation && running.size > 0) {
    debug("draining %d calls for at most %d ms", running.size, DRAIN_MS);
    input.end();
    const timer = setTimeout(() => stop.abort(), DRAIN_MS);
    await Promise.allSettled(running);
    clearTimeout(timer);
  }
  return outcome;
}
