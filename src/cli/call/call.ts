/**
 * The call pipeline: one Line with every cross-cutting rule applied, once, for every
 * transport, local end and topology. What goes out gets -C and is logged (-o, -x) and
 * counted; what comes in is logged, counted and, with --send-only, dropped; both touch
 * the idle clock (-i). Giving up (idle, interrupt, a failure) resets the line at once,
 * so nothing waits for a peer that stopped reading. Closing reports the byte counts
 * (-v). The end-of-call rules for byte streams are in pump.ts.
 */
import { CrlfEncoder, OSError } from "../../index.js";
import { deferred } from "../deferred.js";
import { Failure } from "../io.js";
import type { Options } from "../options/options.js";
import type { Line, Sink } from "../reach/line.js";
import { debug, type Reporter, reason } from "../report.js";
import { IdleClock } from "./idle.js";
import type { SessionLog } from "./session-log.js";

/** Why a call was given up: the exit code it means, and the line that says so (if any). */
export interface GiveUp {
  code: number;
  failure: Failure | null;
}

export class Call {
  readonly line: Line;
  readonly peer: string;
  /** Bytes on the wire each way, and when the call started (performance.now()). */
  sent = 0;
  received = 0;
  readonly started = performance.now();
  /** Bytes handed to send() that the kernel has not taken yet. */
  unsent = 0;
  /** Settles once, when the call is given up; whoever runs the call races it. */
  readonly abandoned: Promise<GiveUp>;
  readonly #abandon: (why: GiveUp) => void;
  #givenUp = false;
  #closed = false;
  readonly #o: Options;
  readonly #log: SessionLog | null;
  readonly #crlf: CrlfEncoder | null;
  /** -i's clock; null without -i, so the data path does not even read the time. */
  readonly #idle: IdleClock | null;
  readonly #report: Reporter;
  /** The -v level at which close() reports the byte counts (2 for each caller of -k). */
  readonly #summaryLevel: number;

  constructor(line: Line, o: Options, log: SessionLog, report: Reporter, summaryLevel = 1) {
    this.line = line;
    this.peer = line.peer;
    this.#o = o;
    this.#log = log.active ? log : null;
    this.#crlf = o.crlf ? new CrlfEncoder() : null;
    this.#report = report;
    this.#summaryLevel = summaryLevel;
    ({ promise: this.abandoned, resolve: this.#abandon } = deferred<GiveUp>());
    this.#idle =
      o.idle === null
        ? null
        : new IdleClock(o.idle, () => {
            debug("idle timeout fired for %s after %d ms", this.peer, o.idle);
            // UDP has no other end of a call: quiet for -i is its normal end.
            if (line.datagram) this.giveUp({ code: 0, failure: null });
            else
              this.giveUp({
                code: 1,
                failure: new Failure(`idle timeout: nothing sent or received for ${o.idle} ms (-i)`),
              });
          });
  }

  /**
   * Sends bytes from the local end: -C, then the wire, then the log. Resolves once the
   * kernel took them; the chunk may be reused then.
   */
  async send(chunk: Buffer): Promise<void> {
    this.#idle?.touch();
    const data = this.#crlf ? this.#crlf.push(chunk) : chunk;
    this.unsent += data.length;
    await this.line.send(data);
    this.unsent -= data.length;
    this.sent += data.length;
    this.#log?.sent(data);
  }

  /** The local end has no more to say: FIN, unless --no-shutdown. */
  endOfInput(): void {
    if (!this.#o.noShutdown) this.line.shutdown();
  }

  /**
   * Hands what arrives to `sink`, from the read callback (pump.ts has the rules for what a
   * chunk's lifetime is). With --send-only it is read and dropped. Resolves at the peer's
   * end of stream.
   */
  receive(sink: Sink): Promise<void> {
    const log = this.#log;
    const drop = this.#o.sendOnly;
    const idle = this.#idle;
    return this.line.receive((chunk) => {
      idle?.touch();
      this.received += chunk.length;
      log?.received(chunk);
      return drop ? undefined : sink(chunk);
    });
  }

  /** Ends the call at once: the line is reset, and `abandoned` settles with `why`. */
  giveUp(why: GiveUp): void {
    if (this.#givenUp) return;
    this.#givenUp = true;
    debug("giving up on %s (exit %d)", this.peer, why.code);
    this.#idle?.stop();
    this.line.reset();
    this.#abandon(why);
  }

  /** Hangs up politely (unless given up already) and reports the byte counts with -v. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#idle?.stop();
    if (!this.#givenUp) await this.line.close();
    debug("closed %s: %s", this.peer, this.summary());
    const label = this.#summaryLevel > 1 ? `${this.peer}: ` : "";
    this.#report.info(`${label}${this.summary()}`, this.#summaryLevel);
    const dropped = this.line.dropped();
    if (dropped > 0) this.#report.say(`${dropped} datagrams dropped: stdout was too slow`);
  }

  /** ncat's closing line: "11 bytes sent, 0 bytes received in 0.02 seconds". */
  summary(): string {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(2);
    return `${this.sent} bytes sent, ${this.received} bytes received in ${seconds} seconds`;
  }

  /**
   * The line that ends a call that failed: what happened, with whom, and how much input
   * did not go out: what the kernel had not taken, plus `unread`, the input known to be
   * left (0 once it ended, a file's rest), or null when more may follow unseen (a pipe).
   */
  failure(err: unknown, unread: number | null): Failure {
    if (err instanceof Failure) return err;
    const lost = this.unsent + (unread ?? 0);
    const note = lost > 0 ? ` (${unread === null ? "at least " : ""}${lost} bytes of input not sent)` : "";
    return new Failure(`${describeError(err)} ${this.peer}${note}`);
  }
}

/** "connection reset by" and friends, for the end-of-call line. */
function describeError(err: unknown): string {
  if (err instanceof OSError) {
    if (err.code === "ECONNRESET") return "connection reset by";
    if (err.code === "EPIPE") return "broken pipe: the connection was closed by";
  }
  return `${reason(err)}: with`;
}
