/**
 * A child process under test: collects its output, waits for a line on stdout or stderr
 * with a deadline, and is killed if it outlives its deadline.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { within } from "./within.js";

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export class Child {
  readonly proc: ChildProcess;
  readonly #out: Buffer[] = [];
  #err = "";
  readonly #finished: Promise<Finished>;
  readonly #killer: NodeJS.Timeout;

  constructor(
    command: string,
    args: readonly string[],
    options: {
      stdin?: string | Buffer;
      env?: NodeJS.ProcessEnv;
      lifetimeMs?: number;
      /** False leaves stdout unread, for the test to consume at its own pace. */
      keepStdout?: boolean;
    } = {},
  ) {
    const proc = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    this.proc = proc;
    proc.stdin?.on("error", () => {}); // the child may exit before reading everything
    if (options.keepStdout !== false) proc.stdout?.on("data", (chunk: Buffer) => this.#out.push(chunk));
    proc.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#err += chunk;
    });
    this.#killer = setTimeout(() => proc.kill("SIGKILL"), options.lifetimeMs ?? 30_000);
    this.#finished = new Promise((resolve, reject) => {
      proc.on("error", reject);
      proc.on("close", (code, signal) => {
        clearTimeout(this.#killer);
        resolve({ code, signal, stdout: Buffer.concat(this.#out), stderr: this.#err });
      });
    });
    if (options.stdin !== undefined) proc.stdin?.end(options.stdin);
  }

  get stdout(): string {
    return Buffer.concat(this.#out).toString("utf8");
  }

  get stderr(): string {
    return this.#err;
  }

  /** Waits until stdout+stderr match `pattern`; returns the match. */
  async line(pattern: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
    const found = (): RegExpMatchArray | null => pattern.exec(this.stdout) ?? pattern.exec(this.#err);
    const early = found();
    if (early) return early;
    return within(
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = (): void => {
          const match = found();
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const exited = (): void => {
          cleanup();
          const match = found();
          if (match) resolve(match);
          else
            reject(new Error(`process exited before printing ${pattern}; stdout: ${this.stdout} stderr: ${this.#err}`));
        };
        const cleanup = (): void => {
          this.proc.stdout?.off("data", check);
          this.proc.stderr?.off("data", check);
          this.proc.off("close", exited);
        };
        this.proc.stdout?.on("data", check);
        this.proc.stderr?.on("data", check);
        this.proc.on("close", exited);
      }),
      ms,
      `${pattern} from ${this.proc.spawnfile}; stdout so far: ${this.stdout.slice(-300)} stderr: ${this.#err.slice(-300)}`,
    );
  }

  /** Waits until the process closes its stdout (in pipe mode: the peer's end of stream). */
  stdoutEnded(ms = 10_000): Promise<void> {
    const out = this.proc.stdout;
    if (!out || out.readableEnded) return Promise.resolve();
    return within(new Promise<void>((resolve) => out.once("end", resolve)), ms, "stdout to end");
  }

  /** Waits for the process to exit. */
  done(ms = 20_000): Promise<Finished> {
    return within(this.#finished, ms, `${this.proc.spawnfile} to exit; stderr: ${this.#err.slice(-300)}`);
  }

  kill(): void {
    this.proc.kill("SIGKILL");
  }
}

/** Runs one of the repo's Python programs (test/fixtures/python) unbuffered. */
export function python(
  script: string,
  args: readonly (string | number)[],
  options: ConstructorParameters<typeof Child>[2] = {},
): Child {
  return new Child("python3", ["-u", script, ...args.map(String)], options);
}
