/**
 * Pipe mode's local end: bytes from stdin go out, bytes that arrive go to stdout,
 * untransformed. stdout is written from the read callback (io.ts's Output), and the peer's
 * end of stream closes stdout's descriptor so that whatever reads it sees EOF.
 */
import type { LocalEnd } from "../call/pump.js";
import { OutputClosed } from "../call/pump.js";
import { Failure, type Io } from "../io.js";
import { reason } from "../report.js";

/** Turns a stdout error into what the call pipeline understands. */
function stdoutFailed(err: unknown): never {
  if ((err as { code?: unknown }).code === "EPIPE") throw new OutputClosed();
  throw new Failure(`write to stdout: ${reason(err)}`, 1, { local: true });
}

/** Writes received bytes to stdout; the promise (if any) holds reading back. */
export function stdoutSink(io: Io): (chunk: Buffer) => PromiseLike<void> | undefined {
  return (chunk) => io.output.write(chunk)?.then(undefined, stdoutFailed);
}

/**
 * stdin and stdout as one call's local end. `input` replaces stdin (the -k fan-out hands
 * each caller its share of it), and `shared` marks one of several callers: stdout stays
 * open when its call ends, for the others, and its call ends when it hangs up.
 */
export function stdioEnd(io: Io, options: { input?: AsyncIterable<Buffer>; shared?: boolean } = {}): LocalEnd {
  return {
    input: options.input ?? io.input,
    unread: () => (options.input ? null : io.input.unread()),
    write: stdoutSink(io),
    endOutput: options.shared ? () => {} : () => io.endOutput(),
    // A caller of -k ends when it hangs up; a person at a terminal has nothing more to send.
    endsWithPeer: options.shared === true || io.stdinIsTTY,
  };
}
