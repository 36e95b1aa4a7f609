/**
 * Whether a call gets the transfer meter, and wiring it: on with --progress, off with
 * --no-progress, and by default only when stderr is a terminal and stdout is not (as curl
 * does); never in talk mode. The meter reads the call's own byte counts when it redraws,
 * so the data path carries nothing for it. Returns what stops (and erases) it.
 */
import type { Call } from "../call/call.js";
import { meterTarget, Progress } from "../call/progress.js";
import type { Context } from "./context.js";

export function meter(call: Call, ctx: Context): () => void {
  const { o, io } = ctx;
  const wanted = o.progress === "on" || (o.progress === "auto" && io.stderr.isTTY === true && io.stdout.isTTY !== true);
  if (!wanted || ctx.talk) return () => {};
  const total = io.input.unread();
  const progress = new Progress({
    ...meterTarget(io.stderr),
    total: total === null || o.recvOnly ? undefined : total,
    counts: () => [call.sent, call.received],
  });
  progress.start();
  ctx.report.meter = progress;
  return () => {
    ctx.report.meter = null;
    progress.stop();
  };
}
