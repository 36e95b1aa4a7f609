#!/usr/bin/env node
/**
 * The hotline command. The only file that touches the process: arguments, environment,
 * standard streams, signals and the exit code. Everything else is run(options, io).
 */
import { isatty } from "node:tty";
import { type Input, type Io, openInput, openOutput, watchOutput } from "./io.js";
import { MAX_DATAGRAM } from "./modes/udp.js";
import { USAGE_HINT } from "./options/help.js";
import { parseArgs, UsageError } from "./options/parse.js";
import { run } from "./run.js";

/** The package's version, written in when the command is bundled (scripts/bundle.ts). */
declare const HOTLINE_VERSION: string | undefined;
const version = typeof HOTLINE_VERSION === "string" ? HOTLINE_VERSION : "unknown";

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

async function main(): Promise<number> {
  watchOutput(process.stdout);
  watchOutput(process.stderr);
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
  const onSignal = (): void => {
    if (interrupt.signal.aborted) process.exit(130); // a second Ctrl-C: leave now
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const io: Io = {
    get stdin() {
      return stdin();
    },
    stdinIsTTY: isatty(0),
    input,
    stdout: process.stdout,
    output: openOutput(1, process.stdout),
    stderr: process.stderr,
    interrupt: interrupt.signal,
  };
  try {
    return await run(options, io, version);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`hotline: unexpected error: ${message}\n`);
    if (options.debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // Stop reading stdin so the process can end; stdout drains before exit.
    input?.close();
    if (stdinCreated) process.stdin.destroy();
  },
  (err: unknown) => {
    process.stderr.write(`hotline: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
