/** The built hotline binary as a child process, and its readiness line. */
import { execFileSync } from "node:child_process";
import { Child } from "./child.js";
import { BUILD } from "./paths.js";

/** The command as npm installs it: the bundle (scripts/bundle.ts). */
export const HOTLINE = `${BUILD}hotline.js`;

type ChildOptions = ConstructorParameters<typeof Child>[2];

/** `s` as one bash word. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/** The built binary as the start of a bash command line. */
export const HL = `${shellQuote(process.execPath)} ${shellQuote(HOTLINE)}`;

/** A bash command line, with pipefail; the output of the whole line is the Child's. */
export function bash(script: string, options: ChildOptions = {}): Child {
  return new Child("bash", ["-c", `set -o pipefail; ${script}`], options);
}

export function hotline(args: readonly (string | number)[], options: ChildOptions = {}): Child {
  return new Child(process.execPath, [HOTLINE, ...args.map(String)], options);
}

/** Waits for "hotline: listening on ADDRESS (...)"; returns the port (or path). */
export async function listening(child: Child): Promise<string> {
  const [, where = ""] = await child.line(/hotline: listening on (\S+) \(/);
  const port = /:(\d+)$/.exec(where);
  return port ? (port[1] as string) : where;
}

/** Whether a peer program is installed. CI installs them all, so there a missing one fails. */
export function has(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    if (process.env.CI) throw new Error(`${tool} is not installed, and CI must have it (.ci/run installs it)`);
    return false;
  }
}
