/**
 * Pipe mode: raw bytes between stdin/stdout and one connection, never transformed (but
 * for -C). Both directions run at once, each with backpressure, and a call ends as
 * design.md says:
 *
 * - stdin EOF sends FIN (not with --no-shutdown) and keeps reading; -q N quits N after.
 * - The peer's EOF ends stdout. With stdin a terminal the session ends there; otherwise
 *   sending goes on until stdin's EOF, so nothing piped in is dropped.
 * - Both directions done: exit 0. A reset: everything received before it is written
 *   out, then exit 1 with a line that counts the input not sent.
 */
import { CrlfEncoder, OSError, SHUT_WR, type Socket } from "../../index.js";
import { IdleClock } from "../call/idle.js";
import type { SessionLog } from "../call/session-log.js";
import { deferred } from "../deferred.js";
import { Failure, type Io } from "../io.js";
import type { Options } from "../options/parse.js";
import { type Reporter, reason } from "../report.js";

export interface Call {
  sock: Socket;
  peer: string;
}

/** Runs one call in pipe mode; resolves to the exit code. */
export async function pipeCall(call: Call, io: Io, o: Options, log: SessionLog, report: Reporter): Promise<number> {
  const { sock } = call;
  const crlf = o.crlf ? new CrlfEncoder() : null;
  const stdinIsTerminal = io.stdinIsTTY;
  let unsent = 0;
  let stdinDone = false;
  let peerDone = false;
  let quitTimer: NodeJS.Timeout | undefined;

  const { promise: outcome, resolve: finish } = deferred<number | Error>();

  const receive = async (): Promise<void> => {
    // Straight from the socket's read callback: each chunk is written (or its write still
    // pending holds reading back) before the next is read into its memory.
    let stdoutError: unknown = null;
    const toStdout = (chunk: Buffer): PromiseLike<void> | undefined => {
      idle.touch();
      log.received(chunk);
      if (o.sendOnly) return undefined;
      return io.output.write(chunk)?.catch((err: unknown) => {
        stdoutError = err;
        throw err;
      });
    };
    try {
      await sock.forward(toStdout);
    } catch (err) {
      if (err !== stdoutError) throw err; // the connection failed: the call's outcome
      if ((err as NodeJS.ErrnoException).code !== "EPIPE") throw new Failure(`write to stdout: ${reason(err)}`);
      report.info("stdout was closed; no longer reading from the peer"); // | head: stop reading, quietly
    }
    peerDone = true;
    if (!o.sendOnly) io.stdout.end();
    report.info(`${call.peer} finished sending`, 2);
    // A terminal has nothing more worth sending; a pipe or file is sent to its end.
    if (stdinIsTerminal || stdinDone || o.recvOnly) finish(0);
  };

  const send = async (): Promise<void> => {
    if (o.recvOnly) return;
    for await (const raw of io.input) {
      idle.touch();
      const chunk = crlf ? crlf.push(raw) : raw;
      unsent += chunk.length;
      await sock.sendall(chunk);
      unsent -= chunk.length;
      log.sent(chunk);
    }
    stdinDone = true;
    if (!o.noShutdown) sock.shutdown(SHUT_WR);
    report.info("end of input", 2);
    if (o.sendOnly || peerDone) finish(0);
    else if (o.quitAfterEof !== null) quitTimer = setTimeout(() => finish(0), o.quitAfterEof);
  };

  const idle = new IdleClock(o.idle, () =>
    finish(new Failure(`idle timeout: nothing sent or received for ${o.idle} ms (-i)`)),
  );
  receive().catch(finish);
  send().catch(finish);
  const onInterrupt = (): void => finish(130);
  io.interrupt.addEventListener("abort", onInterrupt, { once: true });

  const result = await outcome;
  idle.stop();
  clearTimeout(quitTimer);
  io.interrupt.removeEventListener("abort", onInterrupt);
  await sock.close();
  if (typeof result === "number") return result;
  if (result instanceof Failure) throw result;
  const lost = unsent > 0 ? ` (${unsent} bytes of input not sent)` : "";
  throw new Failure(`${describe(result)} ${call.peer}${lost}`);
}

/** "connection reset by" and friends, for the end-of-call line. */
function describe(err: unknown): string {
  if (err instanceof OSError) {
    if (err.code === "ECONNRESET") return "connection reset by";
    if (err.code === "EPIPE") return "broken pipe: the connection was closed by";
  }
  return `${reason(err)}: with`;
}
