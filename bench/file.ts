/**
 * The file workload (issue 15): 2 GiB of random bytes from a file on disk into a file on
 * the same file system, through `hotline send` / `hotline receive` (framed, SHA-256 on both
 * sides), through hotline's own pipe mode (`hotline -l > OUT` / `hotline < FILE`), and
 * through OpenBSD nc and ncat the same way. The target: send/receive within 10% of the pipe
 * mode, so the integrity hash must not halve the speed.
 *
 * Every tool writes its own output file; after each run a separate process (sha256sum)
 * checks it against the source, and a run whose file differs, or whose tools exit non-zero,
 * fails instead of giving a number. Tools take turns within each repetition, so the noise
 * of the shared machine falls on all alike. The output is deleted and the file system
 * synced between runs, so no run pays for writing back the one before.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";

/** A started process, as bench/run.ts's Proc has it. */
interface Started {
  readonly stderr: string;
  readonly exited: Promise<number>;
  ready(pattern?: RegExp, ms?: number): Promise<number>;
}

/** What the workload takes from bench/run.ts. */
export interface FileBenchKit {
  record: (workload: string, impl: string, metric: string, unit: string, higher: boolean, value: number) => void;
  missing: (workload: string, impl: string, metric: string, unit: string, higher: boolean, why: string) => void;
  reps: number;
  /** BENCH_ONLY: just these tools. */
  only: string[] | undefined;
  progress: (text: string) => void;
  have: (tool: string) => boolean;
  freePort: () => Promise<number>;
  /** `bash -c script`, killed after lifetimeMs. */
  shell: (script: string, lifetimeMs?: number) => Started;
  /** CPU-seconds and peak RSS that `hotbench rusage` wrote. */
  rusage: (file: string) => { cpu: number; rss: number };
  /** hotbench, node, build/hotline.js, and the bench's temporary folder. */
  bin: string;
  node: string;
  hotline: string;
  work: string;
}

const FILE_BYTES = 2 * 1024 ** 3;
const WORKLOAD = "file to file";
const METRICS: [string, string, boolean][] = [
  ["throughput", "GB/s", true],
  ["CPU per GB", "CPU-s/GB", false],
  ["peak RSS, both", "MiB", false],
];

interface FileTool {
  name: string;
  bin: string;
  /** The receiving command, writing into `out` (a file) or `dir`; `port` is 0 when it picks its own. */
  receive: (port: number, out: string, dir: string) => string;
  send: (port: number, file: string) => string;
  /** Where the receiver's file ends up. */
  output: (out: string, dir: string, file: string) => string;
  /** Tools that pick their own port (--port 0) and say which on their listening line. */
  ownPort?: boolean;
}

const q = (s: string): string => `'${s}'`;

function tools(kit: FileBenchKit): FileTool[] {
  const hl = `${q(kit.node)} ${q(kit.hotline)}`;
  return [
    {
      name: "hotline",
      bin: "node",
      receive: (_p, _out, dir) => `${hl} receive ${q(dir)} --port 0 --quiet`,
      send: (p, file) => `${hl} send ${q(file)} 127.0.0.1 ${p} --quiet`,
      output: (_out, dir, file) => join(dir, basename(file)),
      ownPort: true,
    },
    {
      // hotline's own baseline: the pipe workload's commands, with files on both ends.
      name: "hotline pipe",
      bin: "node",
      receive: (p, out) => `${hl} -l 127.0.0.1 ${p} < /dev/null > ${q(out)}`,
      send: (p, file) => `${hl} 127.0.0.1 ${p} < ${q(file)}`,
      output: (out) => out,
    },
    {
      name: "nc",
      bin: "nc",
      receive: (p, out) => `nc -v -l 127.0.0.1 ${p} < /dev/null > ${q(out)}`,
      // -N: shut the socket down at the end of the file, or nc never ends.
      send: (p, file) => `nc -N 127.0.0.1 ${p} < ${q(file)}`,
      output: (out) => out,
    },
    {
      name: "ncat",
      bin: "ncat",
      receive: (p, out) => `ncat -v --recv-only -l 127.0.0.1 ${p} > ${q(out)}`,
      send: (p, file) => `ncat 127.0.0.1 ${p} < ${q(file)}`,
      output: (out) => out,
    },
  ];
}

function sha256(file: string): string {
  return execFileSync("sha256sum", ["-b", file], { encoding: "utf8" }).split(" ")[0] ?? "";
}

/** The file system a path lies on, as `df` names it: device, type, mount point. */
function fileSystem(path: string): string {
  try {
    const line = execFileSync("df", ["--output=source,fstype,target", path], { encoding: "utf8" }).split("\n")[1];
    return (line ?? "").trim().replace(/\s+/g, " ");
  } catch {
    return "unknown";
  }
}

export async function fileWorkload(kit: FileBenchKit): Promise<void> {
  const src = join(kit.work, "file-src");
  const dir = join(kit.work, "file-out");
  mkdirSync(src, { recursive: true });
  const file = join(src, "2GiB.bin");
  const out = join(dir, "out.bin");
  execFileSync("sh", ["-c", `head -c ${FILE_BYTES} /dev/urandom > ${q(file)}`]);
  const expect = sha256(file);
  kit.progress(`file: 2 GiB on ${fileSystem(src)}`);
  const [ruL, ruC] = [join(kit.work, "file-ru-l"), join(kit.work, "file-ru-c")];
  const gb = FILE_BYTES / 1e9;

  /** One transfer with `tool`, checked; its seconds and each side's CPU-seconds and peak RSS. */
  const runOnce = async (tool: FileTool) => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    execFileSync("sync");
    const chosen = tool.ownPort ? 0 : await kit.freePort();
    const listener = kit.shell(`${q(kit.bin)} rusage ${ruL} ${tool.receive(chosen, out, dir)}`);
    const port = await listener.ready();
    const started = performance.now();
    const sender = kit.shell(`${q(kit.bin)} rusage ${ruC} ${tool.send(port, file)}`);
    const [sc, lc] = await Promise.all([sender.exited, listener.exited]);
    const seconds = (performance.now() - started) / 1000;
    const written = tool.output(out, dir, file);
    const size = (() => {
      try {
        return statSync(written).size;
      } catch {
        return -1;
      }
    })();
    const got = size === FILE_BYTES ? sha256(written) : `${size} bytes`;
    if (sc !== 0 || lc !== 0 || got !== expect) {
      throw new Error(
        `${tool.name} file to file: data lost or corrupted (expected sha256 ${expect}, got ${got}; exit ${sc}/${lc}\n${sender.stderr}${listener.stderr})`,
      );
    }
    const [l, c] = [kit.rusage(ruL), kit.rusage(ruC)];
    kit.progress(
      `file ${tool.name}: ${(gb / seconds).toFixed(2)} GB/s, CPU receiver ${l.cpu.toFixed(2)} s, sender ${c.cpu.toFixed(2)} s`,
    );
    return { seconds, l, c };
  };

  try {
    const chosen = tools(kit).filter((t) => (!kit.only || kit.only.includes(t.name)) && kit.have(t.bin));
    // A warm-up, not recorded: on this machine's VMs the first 2 GiB written into the page
    // cache after the source was made ran at about half speed, whichever tool came first,
    // with twice the receiver's system time (hotline send/receive 0.26 and 0.36 GB/s against
    // medians of 0.49–0.54; pipe mode alone 0.42 against 0.79–0.88), as if the memory it
    // landed in was being touched for the first time.
    const first = chosen[0];
    if (first) {
      kit.progress("file: warm-up, not recorded");
      await runOnce(first);
    }
    for (let rep = 0; rep < kit.reps; rep++) {
      for (const tool of tools(kit).filter((t) => !kit.only || kit.only.includes(t.name))) {
        if (!kit.have(tool.bin)) {
          for (const [m, u, h] of METRICS) kit.missing(WORKLOAD, tool.name, m, u, h, `${tool.bin} is not installed`);
          continue;
        }
        const { seconds, l, c } = await runOnce(tool);
        kit.record(WORKLOAD, tool.name, "throughput", "GB/s", true, gb / seconds);
        kit.record(WORKLOAD, tool.name, "CPU per GB", "CPU-s/GB", false, (l.cpu + c.cpu) / gb);
        kit.record(WORKLOAD, tool.name, "peak RSS, both", "MiB", false, (l.rss + c.rss) / 2 ** 20);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  }
}
