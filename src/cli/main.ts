#!/usr/bin/env node
/**
 * The hotline command. The only file that touches the process: arguments, environment,
 * standard streams, signals and the exit code. Everything else is run(options, io).
 */
import { readFileSync } from "node:fs";
import { parseArgs, UsageError } from "./args.js";
import { USAGE_HINT } from "./help.js";
import { type Io, inputChunks, watchOutput } from "./io.js";
import { run } from "./run.js";

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function main(): Promise<number> {
  watchOutput(process.stdout);
  watchOutput(process.stderr);
  process.stdin.on("error", () => {}); // a closed or broken stdin is end of input
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`hotline: ${err.message}\n${USAGE_HINT}\n`);
    return 2;
  }
  const interrupt = new AbortController();
  const onSignal = (): void => {
    if (interrupt.signal.aborted) process.exit(130); // a second Ctrl-C: leave now
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const io: Io = {
    stdin: process.stdin,
    input: inputChunks(process.stdin, 0),
    stdout: process.stdout,
    stderr: process.stderr,
    interrupt: interrupt.signal,
  };
  try {
    return await run(options, io, version());
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
    process.stdin.destroy();
  },
  (err: unknown) => {
    process.stderr.write(`hotline: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
