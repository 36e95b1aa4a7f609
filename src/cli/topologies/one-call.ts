/**
 * One call: the dialled line, or the one caller a plain listener answers (and each caller
 * in turn with --serial). Talk mode hands it to the terminal; pipe mode pumps it to and
 * from stdin and stdout, with the transfer meter where one is wanted.
 */
import { Call } from "../call/call.js";
import { pump } from "../call/pump.js";
import { childCall } from "../endpoints/child.js";
import { stdioEnd } from "../endpoints/stdio.js";
import { Talk } from "../endpoints/terminal.js";
import type { Line } from "../reach/line.js";
import { debug } from "../report.js";
import type { Share } from "./broadcast.js";
import type { Context } from "./context.js";
import { meter } from "./meter.js";

/**
 * Runs one call to its end: the exit code, or a thrown Failure. A call given a `share` of
 * stdin is one of several in turn (--serial): stdout stays open for the next, and the
 * call ends when the caller hangs up.
 */
export async function oneCall(line: Line, ctx: Context, greeting: string, share?: Share): Promise<number> {
  const { o, io, log, report } = ctx;
  debug("%s mode with %s", ctx.talk ? "talk" : "pipe", line.peer);
  const call = new Call(line, o, log, report);
  if (ctx.talk) {
    const conversation = new Talk(io, false, o.quitAfterEof, o.keepOpen && line.dialled);
    report.divert = (message) => conversation.notice(message);
    conversation.add(call, greeting);
    try {
      return await conversation.finished;
    } finally {
      report.divert = null;
    }
  }
  report.info(`${greeting} ${line.peer}`);
  if (ctx.program) return await runChild(call, ctx, io.interrupt);
  const stopMeter = meter(call, ctx);
  try {
    const local = share ? stdioEnd(io, { input: share, shared: true }) : stdioEnd(io);
    return await pump(call, local, o, report, io.interrupt);
  } finally {
    stopMeter();
  }
}

/**
 * A call whose local end is a new child (-e, -c): its exit code is how the child ended,
 * unless the call was given up or failed first.
 */
export function runChild(call: Call, ctx: Context, stop: AbortSignal, label = ""): Promise<number> {
  const { o, io, report } = ctx;
  const ends = call.line.ends?.() ?? null;
  const proto = call.line.datagram ? "UDP" : "TCP";
  const program = ctx.program;
  if (program === null) throw new Error("runChild without -e or -c");
  return childCall(call, program, o, report, io.env, ends && { ...ends, proto }, stop, label);
}
