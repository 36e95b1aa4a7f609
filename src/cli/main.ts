#!/usr/bin/env node
/**
 * The hotline command. The only file that touches the process: arguments, environment,
 * standard streams, signals and the exit code. Everything else is run(options, io).
 */
import { closeSync, fstatSync, openSync } from "node:fs";
import { isatty } from "node:tty";
import { endChildrenNow } from "./endpoints/child.js";
import { type Input, type Io, openInput, openOutput, watchOutput } from "./io.js";
import { USAGE_HINT } from "./options/help.js";
import { parseArgs, UsageError } from "./options/parse.js";
import { MAX_DATAGRAM } from "./reach/line.js";
import { debug } from "./report.js";
import { run } from "./run.js";

/** The package's version, written in when the command is bundled (scripts/bundle.ts). */
declare const HOTLINE_VERSION: string | undefined;
const version = typeof HOTLINE_VERSION === "string" ? HOTLINE_VERSION : "unknown";

/**
 * How long an ending program may wait for stdout to take what is still queued when the
 * reader makes no progress at all, after giving up (an interrupt, a failure): then it
 * leaves anyway. A reader that keeps reading is always waited for.
 */
const STALLED_OUTPUT_MS = 2000;

/** The longest an interrupted program runs on: a -k listener's drain, then stalled stdout. */
const SIGNAL_BACKSTOP_MS = 5000;

/** process.stdin, created on first use only: pipe mode may read the descriptor itself. */
let stdinCreated = false;
function stdin(): NodeJS.ReadStream {
  if (!stdinCreated) {
    stdinCreated = true;
    process.stdin.on("error", () => {}); // a closed or broken stdin is end of input
  }
  return process.stdin;
}

/** stdin for pipe mode, opened once the options say how to read it. */
let input: Input | null = null;

/** The exit code a signal means: 128 + its number, as a shell reports a process it killed. */
const SIGNAL_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
/**
 * Signals that end hotline as Ctrl-C does: calls hung up, children ended. SIGHUP too (the
 * terminal closed, an ssh session dropped): Node's default would end the process at once,
 * and children in their own process groups would never hear of it.
 */
const ENDING_SIGNALS = Object.keys(SIGNAL_CODES) as NodeJS.Signals[];
let signalCode = 0;

/**
 * Node makes a terminal's writes blocking (tty.WriteStream), so a terminal that stops
 * reading (a stalled ssh session, a sleeping laptop's terminal: its buffer full) would
 * stop the whole process inside write(2): no caller served, no timer fired, no signal
 * handled. hotline writes to a terminal as to a pipe instead: what the terminal does not
 * take at once waits in the stream, in order, and whoever writes bounds what waits (talk
 * mode: endpoints/terminal.ts; pipe mode waits for each write). The flag is on libuv's
 * own reopened descriptor for the terminal, not the shell's; where libuv could not reopen
 * it, Node puts the flag back as it found it at exit. A normal end lets the event loop
 * run until every write is done, so all that was drawn reaches the terminal.
 */
function neverBlock(stream: NodeJS.WriteStream): void {
  if (!stream.isTTY) return;
  const handle = (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => number } })._handle;
  handle?.setBlocking?.(false);
}

async function main(): Promise<number> {
  watchOutput(process.stdout);
  watchOutput(process.stderr);
  neverBlock(process.stdout);
  neverBlock(process.stderr);
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`hotline: ${err.message}\n${USAGE_HINT}\n`);
    return 2;
  }
  // UDP reads one datagram's worth at a time, so each read of stdin is one datagram.
  input = openInput(0, stdin, options.udp ? MAX_DATAGRAM : undefined);
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    debug("%s received", signal);
    if (interrupt.signal.aborted) process.exit(signalCode); // a second one: leave now
    signalCode = SIGNAL_CODES[signal] ?? 130;
    interrupt.abort();
    // A backstop: whatever the peers and readers do, the process ends within a bound.
    setTimeout(() => process.exit(signalCode), SIGNAL_BACKSTOP_MS).unref();
  };
  for (const signal of ENDING_SIGNALS) process.on(signal, onSignal);
  const io: Io = {
    get stdin() {
      return stdin();
    },
    stdinIsTTY: isatty(0),
    input,
    stdout: process.stdout,
    output: openOutput(1, process.stdout),
    endOutput,
    stderr: process.stderr,
    interrupt: interrupt.signal,
    env: process.env,
  };
  try {
    const code = await run(options, io, version);
    // Topologies say 130 for any interrupt; SIGTERM is 143, SIGHUP 129.
    return code === 130 && signalCode !== 0 ? signalCode : code;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`hotline: unexpected error: ${message}\n`);
    if (options.debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  } finally {
    for (const signal of ENDING_SIGNALS) process.off(signal, onSignal);
  }
}

/**
 * Ends stdout and, once what was written is flushed, closes descriptor 1 if it is a pipe
 * or socket, so the reader sees EOF now rather than when hotline exits (`hotline -l 9000
 * | tar x` finishes while hotline still sends). Node never closes its stdio descriptors,
 * so it is done here: /dev/null takes number 1 at once, so nothing opened later can land
 * there and receive what was meant for stdout.
 */
let outputEnded = false;
function endOutput(): void {
  if (outputEnded) return;
  outputEnded = true;
  let closable = false;
  try {
    const stat = fstatSync(1);
    closable = stat.isFIFO() || stat.isSocket();
  } catch {
    return;
  }
  process.stdout.end(() => {
    if (!closable) return;
    try {
      closeSync(1);
      const fd = openSync("/dev/null", "w");
      if (fd !== 1) closeSync(fd); // 1 was taken in between: leave it to its new owner
      debug("stdout closed after the peer's end of stream");
    } catch {
      // already closed: nothing to do
    }
  });
}

/**
 * Leaves once the program is done even if stdout (or stderr) stopped taking data: when
 * nothing more leaves the queues for STALLED_OUTPUT_MS, queued output is abandoned. Only
 * after giving up; a normal end waits for every byte.
 */
function leaveIfOutputStalls(code: number): void {
  // stderr too: a terminal that stopped reading holds what was written to it.
  const waiting = (): number => process.stdout.writableLength + process.stderr.writableLength;
  let queued = waiting();
  const timer = setInterval(() => {
    const now = waiting();
    if (now === 0 || now < queued) {
      queued = now;
      return;
    }
    const unwritten = process.stdout.writableLength;
    if (unwritten > 0) process.stderr.write(`hotline: stdout takes nothing more; ${unwritten} bytes not written\n`);
    process.exit(code);
  }, STALLED_OUTPUT_MS);
  timer.unref();
}

// However the process ends (a second signal, the backstop, a crash), no child of -e or
// -c is left running.
process.on("exit", endChildrenNow);

main().then(
  (code) => {
    process.exitCode = code;
    // Stop reading stdin so the process can end; stdout drains before exit.
    input?.close();
    if (stdinCreated) process.stdin.destroy();
    if (code !== 0) leaveIfOutputStalls(code);
  },
  (err: unknown) => {
    process.stderr.write(`hotline: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
