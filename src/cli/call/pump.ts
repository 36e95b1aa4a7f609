/**
 * The end of a call between a Call and a byte-stream local end (stdio now, a child
 * process later): both directions at once, each with backpressure, and one set of rules
 * for when the call is over (docs/cli.md, "The end of a call"):
 *
 * - The local input's end sends FIN (not with --no-shutdown) and reading goes on; -q
 *   quits that long after. --send-only quits at the end of input. A dialled UDP line
 *   ends with its input (UDP has no end of stream), unless -q waits for replies.
 * - The peer's end of stream ends the local output (stdout's descriptor is closed, so a
 *   reader sees EOF). A person at a terminal has nothing more worth sending, so the call
 *   ends there, unless -k keeps it open; a pipe or file is sent to its end first. Each
 *   caller of a -k listener ends when it hangs up (LocalEnd.endsWithPeer).
 * - Both directions done: exit 0. A failure: everything received before it is written
 *   out, then exit 1 with a line that counts the input not sent.
 * - Giving up (idle timeout, `stop` aborted, a failure) resets the line at once.
 */
import { deferred } from "../deferred.js";
import type { Options } from "../options/options.js";
import type { Sink } from "../reach/line.js";
import { debug, type Reporter } from "../report.js";
import type { Call, GiveUp } from "./call.js";
import { later } from "./timer.js";

/** Thrown by a LocalEnd's write when its reader went away (stdout into `| head`). */
export class OutputClosed extends Error {}

/** The local end of a call in pipe mode: where input comes from and output goes. */
export interface LocalEnd {
  /** What to send, chunk by chunk; a chunk may be reused once the next is asked for. */
  input: AsyncIterable<Buffer>;
  /** Bytes of input known to be left unread (a file's rest), or null when unknown. */
  unread(): number | null;
  /**
   * Where received bytes go (the chunk's lifetime is a Sink's). Fails with OutputClosed
   * when the reader left, or a local Failure.
   */
  write: Sink;
  /** The peer has finished sending: end the output. */
  endOutput(): void;
  /**
   * The peer's end of stream ends the call: a person types the input (a terminal, where
   * -k keeps a dialled call open instead), or each caller of a -k listener. Otherwise a
   * pipe or file is sent to its end first.
   */
  endsWithPeer: boolean;
  /**
   * Resolves when the local end is gone for good (a child process exited and what it
   * wrote was read): the call then ends, once the input is sent. Absent for stdin.
   */
  finished?: Promise<void>;
}

/** Runs `call` with `local` to its end; resolves to the exit code, or throws a Failure. */
export async function pump(
  call: Call,
  local: LocalEnd,
  o: Options,
  report: Reporter,
  stop?: AbortSignal,
): Promise<number> {
  const { promise: outcome, resolve: settle } = deferred<GiveUp | { error: unknown }>();
  /** Set once the outcome is decided: what either direction does after that is the wreckage. */
  let over = false;
  const finish = (result: GiveUp | { error: unknown }): void => {
    over = true;
    settle(result);
  };
  const done = (code: number): void => finish({ code, failure: null });
  let inputDone = false;
  let peerDone = false;
  let localGone = false;
  const quit: { cancel: (() => void) | null } = { cancel: null };

  const receive = async (): Promise<void> => {
    try {
      await call.receive(local.write);
    } catch (err) {
      if (!(err instanceof OutputClosed)) throw err;
      // stdout was closed early (| head): stop reading from the peer, quietly.
      report.info(err.message || "stdout was closed; no longer reading from the peer");
    }
    if (over) return; // given up: the line was reset under the reader
    peerDone = true;
    local.endOutput();
    debug("%s finished sending", call.peer);
    // A terminal has nothing more worth sending; a pipe or file is sent to its end.
    if ((local.endsWithPeer && !(o.keepOpen && call.line.dialled)) || inputDone || o.recvOnly) done(0);
    else report.info(`${call.peer} has finished sending; still sending until the end of input`);
  };

  const send = async (): Promise<void> => {
    if (o.recvOnly) return;
    for await (const chunk of local.input) await call.send(chunk);
    if (over) return; // the call ended while this loop waited for input
    inputDone = true;
    call.endOfInput();
    report.info("end of input", 2);
    if (o.sendOnly || peerDone || localGone) done(0);
    else if (o.quitAfterEof !== null) quit.cancel = later(o.quitAfterEof, () => done(0));
    else if (call.line.datagram && call.line.dialled) done(0);
  };

  receive().catch((error: unknown) => finish({ error }));
  send().catch((error: unknown) => finish({ error }));
  call.abandoned.then(finish);
  local.finished?.then(() => {
    localGone = true;
    if (inputDone || o.recvOnly) done(0);
  });
  const onStop = (): void => done(130);
  stop?.addEventListener("abort", onStop, { once: true });
  if (stop?.aborted) onStop();

  const result = await outcome;
  quit.cancel?.();
  stop?.removeEventListener("abort", onStop);
  if ("error" in result) {
    const failure = call.failure(result.error, inputDone ? 0 : local.unread());
    call.giveUp({ code: failure.exitCode, failure });
    await call.close();
    throw failure;
  }
  if (result.code !== 0) call.giveUp(result);
  await call.close();
  if (result.failure) throw result.failure;
  return result.code;
}
