/**
 * What `hotline send FILE...` sends: each FILE under its own name, each folder's files under
 * the folder's name and their paths inside it (as `scp -r` names them), sorted so that two
 * runs list the same files in the same order (a resume finds its partial file first).
 *
 * Links inside a folder are not followed (a link to `/` would send the whole disk, and a
 * loop would never end); a link named on the command line is, as the user named it.
 * Empty folders and anything but regular files (sockets, devices, FIFOs) are not sent, and
 * each is said once on stderr.
 */
import type { Dirent, Stats } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { Failure } from "../../io.js";
import type { Reporter } from "../../report.js";
import { printableName } from "./names.js";
import { MAX_FILES } from "./wire.js";

export interface SendItem {
  /** Where the file is read from. */
  path: string;
  /** Its name on the receiver: relative, `/` between folders. */
  name: Buffer;
  /** The name as messages show it. */
  shown: string;
  size: number;
  mode: number;
  mtime: number;
}

export async function listFiles(args: readonly string[], report: Reporter): Promise<SendItem[]> {
  const items: SendItem[] = [];
  const add = (path: string, name: string, st: Stats): void => {
    const bytes = Buffer.from(name, "utf8");
    items.push({
      path,
      name: bytes,
      shown: printableName(bytes),
      size: st.size,
      mode: st.mode & 0o777,
      mtime: Math.max(0, Math.round(st.mtimeMs)),
    });
    if (items.length > MAX_FILES) throw new Failure(`more than ${MAX_FILES} files in one transfer`, 2);
  };
  for (const arg of args) {
    const path = resolve(arg);
    let st: Stats;
    try {
      st = await stat(path);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new Failure(
        `${arg}: ${code === "ENOENT" ? "no such file or folder" : code === "EACCES" ? "permission denied" : String(code)}`,
        2,
      );
    }
    const name = basename(path);
    if (st.isFile()) add(path, name, st);
    else if (st.isDirectory()) await walk(path, name, add, report);
    else throw new Failure(`${arg}: not a file or a folder`, 2);
  }
  const seen = new Set<string>();
  for (const item of items) {
    const key = item.name.toString("utf8");
    if (seen.has(key)) throw new Failure(`two files would have the same name on the receiver: ${item.shown}`, 2);
    seen.add(key);
  }
  return items;
}

async function walk(
  dir: string,
  name: string,
  add: (path: string, name: string, st: Stats) => void,
  report: Reporter,
): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    report.say(`${name}: not sent: the folder cannot be read (${(err as { code?: string }).code ?? "error"})`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const inner = `${name}/${entry.name}`;
    if (entry.isDirectory()) {
      await walk(path, inner, add, report);
    } else if (entry.isFile()) {
      try {
        add(path, inner, await stat(path));
      } catch (err) {
        if (err instanceof Failure) throw err;
        report.say(
          `${printableName(Buffer.from(inner))}: not sent: ${(err as { code?: string }).code ?? "cannot be read"}`,
        );
      }
    } else {
      const what = entry.isSymbolicLink() ? "a symbolic link (not followed)" : "not a regular file";
      report.say(`${printableName(Buffer.from(inner))}: not sent: ${what}`);
    }
  }
}
