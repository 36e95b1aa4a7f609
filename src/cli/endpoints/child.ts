/**
 * -e and -c: the local end of a call is a child process. What the peer sends goes to the
 * child's stdin, what the child writes on stdout goes to the peer, through the same call
 * pipeline as stdin and stdout (pump.ts: -C, -o, -x, -i, -q, --send-only, the counts).
 * The child's stderr is hotline's.
 *
 * The end, per direction: the peer's end of stream closes the child's stdin, and the
 * child can still answer (`sort` works; ncat stops reading the child there,
 * nmap/nmap#2510); the end of the child's stdout sends FIN. When the child exits, what it
 * wrote is sent and the call ends. When the call ends, the child is ended: left
 * EXIT_GRACE_MS to exit by itself after a call that ended well, at once after one given
 * up (an interrupt, -i, a failure); SIGTERM, then SIGKILL KILL_GRACE_MS later.
 *
 * Each child leads a process group of its own (spawned detached), so what it starts in
 * the background (`-c 'slow & fast'`) ends with it: the signals go to the whole group.
 * Nothing outlives hotline either: an exit handler (main.ts) kills every group still
 * there. Only a process that leaves the group itself (setsid) escapes, as a daemon means to.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, resolve } from "node:path";
import type { Readable } from "node:stream";
import type { Address } from "../../index.js";
import type { Call } from "../call/call.js";
import { type LocalEnd, OutputClosed, pump } from "../call/pump.js";
import { deferred } from "../deferred.js";
import { Failure } from "../io.js";
import type { Options } from "../options/options.js";
import { debug, type Reporter, reason } from "../report.js";

/** How long a child has to exit by itself once its call ended well. */
export const EXIT_GRACE_MS = 2000;
/** How long a child has between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2000;
/**
 * How long the child's stdout may stay open after the child exited with nothing coming
 * out: something it started in the background holds it. Then the call ends without it.
 */
export const STDOUT_AFTER_EXIT_MS = 1000;

const STDIN_CLOSED = "the program no longer reads its input; no longer reading from the peer";

/** What -e or -c runs, found before listening or dialling. */
export interface Program {
  /** The file executed (an absolute path). */
  file: string;
  /** argv, argv[0] as given. */
  argv: string[];
  /** How messages name it: the command line as given. */
  name: string;
}

/**
 * Splits -e's value into argv as ncat does (cmdline_split): words are separated by white
 * space; a backslash makes the next character part of the word (`a\ b` is one word `a b`,
 * `\\` is a backslash); a backslash at the very end is dropped. No quotes, no variables,
 * no globs: -c is for a shell. ncat also swallows the white space after any escaped
 * character but a backslash (`a\b c` is `abc` there); hotline does not.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (" \t\n\v\f\r".includes(c)) {
      if (word !== null) words.push(word);
      word = null;
      continue;
    }
    if (c === "\\") {
      i += 1;
      if (i >= text.length) break;
      word = (word ?? "") + text[i];
      continue;
    }
    word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words;
}

/**
 * Finds what -e/-c would run, so that a missing or unusable program is exit 2 before
 * listening. -c runs /bin/sh -c. -e's first word is a path when it has a slash, else it
 * is looked up in PATH as a shell would (ncat runs it as a path, so `ncat -e cat` fails
 * at each call with "exec: No such file or directory"; `-e cat` is what people type).
 */
export function findProgram(exec: { shell: boolean; command: string }, env: NodeJS.ProcessEnv): Program {
  const option = exec.shell ? "-c" : "-e";
  if (exec.shell) {
    usable("/bin/sh", option);
    return { file: "/bin/sh", argv: ["sh", "-c", exec.command], name: exec.command };
  }
  const argv = splitCommand(exec.command);
  const first = argv[0];
  if (first === undefined) throw new Failure(`${option} needs a program to run`, 2);
  if (first.includes("/")) {
    const file = resolve(first);
    usable(file, option);
    return { file, argv, name: exec.command };
  }
  for (const dir of (env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)) {
    // An empty entry of PATH is the current directory, as in POSIX shells.
    const file = resolve(dir === "" ? "." : dir, first);
    if (isExecutableFile(file)) return { file, argv, name: exec.command };
  }
  throw new Failure(`${option}: no program '${first}' in PATH (give a path, or use -c for a shell command)`, 2);
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Throws the exit-2 line that says why `file` cannot be run. */
function usable(file: string, option: string): void {
  try {
    if (statSync(file).isDirectory()) throw new Failure(`${option}: ${file} is a directory`, 2);
    accessSync(file, constants.X_OK);
  } catch (err) {
    if (err instanceof Failure) throw err;
    const code = (err as { code?: string }).code;
    const why = code === "EACCES" ? "not executable" : reason(err);
    throw new Failure(`${option}: cannot run ${file}: ${why}`, 2);
  }
}

/** Both ends of a call's connection, for the child's NCAT_* variables. */
export interface Ends {
  local: Address;
  remote: Address;
  proto: "TCP" | "UDP";
}

/**
 * ncat's variables: NCAT_REMOTE_ADDR, NCAT_REMOTE_PORT, NCAT_LOCAL_ADDR, NCAT_LOCAL_PORT,
 * NCAT_PROTO. A Unix socket's ends are "localhost" with an empty port, as ncat says; an
 * IPv4 caller of a dual-stack listener is its IPv4 address (ncat listens on IPv4 apart).
 */
export function ncatVariables(ends: Ends | null): Record<string, string> {
  // Unknown ends (the caller left before they were read): empty, never what hotline itself inherited.
  if (ends === null)
    return { NCAT_REMOTE_ADDR: "", NCAT_REMOTE_PORT: "", NCAT_LOCAL_ADDR: "", NCAT_LOCAL_PORT: "", NCAT_PROTO: "" };
  const part = (addr: Address): [string, string] => {
    if (typeof addr === "string") return ["localhost", ""];
    const host = addr[0].toLowerCase().startsWith("::ffff:") && addr[0].includes(".") ? addr[0].slice(7) : addr[0];
    return [host, String(addr[1])];
  };
  const [remoteAddr, remotePort] = part(ends.remote);
  const [localAddr, localPort] = part(ends.local);
  return {
    NCAT_REMOTE_ADDR: remoteAddr,
    NCAT_REMOTE_PORT: remotePort,
    NCAT_LOCAL_ADDR: localAddr,
    NCAT_LOCAL_PORT: localPort,
    NCAT_PROTO: ends.proto,
  };
}

/** Children that may still run, so that nothing outlives hotline (endChildrenNow). */
const running = new Set<ChildProcess>();

/** Signals a child's whole process group; false when nothing of it is left. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals | 0): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** SIGKILL to every child's group still there: for the process's exit handler (main.ts). */
export function endChildrenNow(): void {
  for (const child of running) signalGroup(child, "SIGKILL");
  running.clear();
}

/** How a child ended, as an exit code: its own, or 128 + the signal that killed it. */
export interface ChildExit {
  code: number;
  /** "exited with 3", "was killed by SIGTERM". */
  how: string;
  /** It never ran: spawning failed (the program went away since hotline started). */
  unstarted?: boolean;
}

/** A running child as a call's local end. */
export class ChildEnd implements LocalEnd {
  readonly input: AsyncIterable<Buffer>;
  readonly endsWithPeer = false;
  /** Resolves once the child exited and what it wrote was read (or given up on). */
  readonly finished: Promise<void>;
  readonly #child: ChildProcess;
  readonly #exit = deferred<ChildExit>();
  #exited: ChildExit | null = null;
  #stdinOpen = true;

  constructor(program: Program, env: NodeJS.ProcessEnv, ends: Ends | null) {
    const child = spawn(program.file, program.argv.slice(1), {
      argv0: program.argv[0],
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...env, ...ncatVariables(ends) },
      detached: true,
    });
    this.#child = child;
    if (child.pid !== undefined) running.add(child);
    debug("started %s, pid %d", program.name, child.pid);
    child.stdin?.on("error", () => {}); // EPIPE when the child stopped reading: write() reports it
    child.on("error", (err) => {
      // Spawning failed (the file went away since it was found): no exit event follows.
      this.#ended({ code: 127, how: `could not be started: ${reason(err)}`, unstarted: true });
    });
    child.on("exit", (code, signal) => {
      const number = signal === null ? 0 : (osConstants.signals[signal] ?? 0);
      this.#ended(
        signal === null
          ? { code: code ?? 0, how: `exited with ${code}` }
          : { code: 128 + number, how: `was killed by ${signal}` },
      );
    });
    ({ input: this.input, finished: this.finished } = readUntilEnd(child.stdout, this.#exit.promise));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  #ended(how: ChildExit): void {
    if (this.#exited) return;
    this.#exited = how;
    debug("child %d %s", this.#child.pid, how.how);
    this.#exit.resolve(how);
  }

  unread(): number | null {
    return null;
  }

  /** Bytes from the peer to the child's stdin; resolves once the pipe took them. */
  write = (chunk: Buffer): Promise<void> => {
    const stdin = this.#child.stdin;
    if (!stdin || !this.#stdinOpen || stdin.destroyed) return Promise.reject(new OutputClosed(STDIN_CLOSED));
    return new Promise((resolve, reject) => {
      stdin.write(chunk, (err) => (err ? reject(new OutputClosed(STDIN_CLOSED)) : resolve()));
    });
  };

  /** The peer finished sending: the child's stdin ends (EOF), once what was written drained. */
  endOutput(): void {
    this.#stdinOpen = false;
    this.#child.stdin?.end();
  }

  /**
   * Ends the child after its call: `gently` (the call ended well) leaves it EXIT_GRACE_MS
   * to exit by itself first. Whatever it left in its process group is ended too.
   * Resolves to how the child ended.
   */
  async end(gently: boolean): Promise<ChildExit> {
    const child = this.#child;
    this.#stdinOpen = false;
    child.stdin?.destroy();
    if (this.#exited === null && gently) await settledWithin(this.#exit.promise, EXIT_GRACE_MS);
    if (this.#exited === null) debug("ending child %d (SIGTERM)", child.pid);
    // The child, or what it left behind in its group, is asked to go, then made to.
    if (signalGroup(child, "SIGTERM") && !(await groupGoneWithin(child, KILL_GRACE_MS))) {
      debug("child %d's group outlived SIGTERM: SIGKILL", child.pid);
      signalGroup(child, "SIGKILL");
    }
    const how = await this.#exit.promise;
    running.delete(child);
    child.stdout?.destroy();
    return how;
  }
}

/** Waits for `promise`, at most `ms`. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** Whether the child's process group is gone within `ms` (polled: groups have no event). */
async function groupGoneWithin(child: ChildProcess, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (signalGroup(child, 0)) {
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * The child's stdout as chunks, one read at a time (reading pauses until the chunk is
 * sent: backpressure). Ends at its end of stream, or once the child exited and stdout was
 * read from for STDOUT_AFTER_EXIT_MS with nothing coming out (a background process holds it
 * open). Only time spent reading counts: while a chunk waits for a slow peer, stdout is
 * paused and what the pipe holds is still to come. `finished` resolves once the child
 * exited and its stdout ended.
 */
export function readUntilEnd(
  stdout: Readable | null,
  exited: Promise<unknown>,
): { input: AsyncIterable<Buffer>; finished: Promise<void> } {
  const chunks: Buffer[] = [];
  const ended = deferred<void>();
  let over = stdout === null;
  let wake: (() => void) | null = null;
  let quiet: NodeJS.Timeout | undefined;
  let childGone = false;
  /** The consumer waits for the next chunk, and stdout is being read. */
  let reading = false;
  const changed = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const finish = (): void => {
    over = true;
    clearTimeout(quiet);
    ended.resolve();
    changed();
  };
  if (over) ended.resolve();
  /** After the child exited, each quiet spell of STDOUT_AFTER_EXIT_MS spent reading may be the last. */
  const armQuiet = (): void => {
    if (!childGone || !reading || over) return;
    clearTimeout(quiet);
    quiet = setTimeout(() => {
      debug("the child exited, and its stdout stays open (a background process?): no longer read");
      stdout?.destroy();
      finish();
    }, STDOUT_AFTER_EXIT_MS);
  };
  if (stdout) {
    stdout.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      stdout.pause();
      clearTimeout(quiet);
      changed();
    });
    stdout.on("end", finish);
    stdout.on("close", finish);
    stdout.on("error", (err) => {
      debug("the child's stdout failed: %s", reason(err));
      finish();
    });
  }
  exited.then(() => {
    childGone = true;
    armQuiet();
  });
  const input: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const chunk = chunks.shift();
        if (chunk) {
          yield chunk;
          continue;
        }
        if (over) return;
        stdout?.resume();
        const { promise, resolve } = deferred<void>();
        wake = resolve;
        reading = true;
        armQuiet();
        await promise;
        reading = false;
        clearTimeout(quiet);
      }
    },
  };
  return { input, finished: Promise.all([exited, ended.promise]).then(() => {}) };
}

/**
 * One call with a child as its local end, to the end of both: the pump's exit code when
 * the call was given up or failed (thrown), else how the child ended. `label` names the
 * call in messages ("" for the only one).
 */
export async function childCall(
  call: Call,
  program: Program,
  o: Options,
  report: Reporter,
  env: NodeJS.ProcessEnv,
  ends: Ends | null,
  stop?: AbortSignal,
  label = "",
): Promise<number> {
  const local = new ChildEnd(program, env, ends);
  report.info(`${label}started '${program.name}' (pid ${local.pid})`, 2);
  // --recv-only: what the child writes is dropped, so that it never blocks writing.
  if (o.recvOnly)
    (async () => {
      for await (const _ of local.input);
    })().catch(() => {});
  let code: number | null = null;
  try {
    code = await pump(call, local, o, report, stop);
  } finally {
    const how = await local.end(code === 0);
    // A program that could not start is worth a line without -v: every call would fail so.
    if (how.unstarted) report.say(`${label}'${program.name}' ${how.how}`);
    else report.info(`${label}'${program.name}' ${how.how}`);
    if (code === 0) code = how.code;
  }
  return code;
}
