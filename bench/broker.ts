/**
 * The broker fan-out workload (issue 13): one sender, N receivers, 64-byte messages, for a
 * few seconds; deliveries per second (messages received, summed over the receivers), with
 * `hotline --broker` and `ncat --broker` side by side. Then the same with one more
 * receiver that never reads: ncat's broker writes to each client in turn and blocks on
 * the frozen one, so everyone stalls; hotline's cuts it (at its 32 MiB queue limit) and the
 * others go on.
 *
 * The clients are one C process (`hotbench fanout`): the sender writes 64 messages (4 KiB)
 * per write as fast as the broker takes them, and the receivers read with epoll, so the
 * load costs far less CPU than the broker it measures and is the same for every broker.
 * (Until 2026-11-30 they were node:net sockets in this process, which on two cores took
 * as much CPU as the broker: that measured the bench as much as the broker.) Only the fast
 * receivers are counted, and only whole 64-byte messages.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

type Record = (workload: string, impl: string, metric: string, unit: string, higher: boolean, value: number) => void;
type Missing = (workload: string, impl: string, metric: string, unit: string, higher: boolean, why: string) => void;

const SECONDS = 5;
/** Built by run.ts before any workload runs. */
const HOTBENCH = fileURLToPath(new URL("../bench-bin/hotbench", import.meta.url));

interface Broker {
  name: string;
  command: string;
  args: (port: number) => string[];
}

function brokers(hotline: string): Broker[] {
  const ours = (name: string, bundle: string): Broker => ({
    name,
    command: process.execPath,
    args: (port) => [bundle, "--broker", "--max-conns", "200", "127.0.0.1", String(port)],
  });
  return [
    ours("hotline", hotline),
    // BENCH_BASELINE=/path/to/an/older/hotline.js runs that bundle beside this one (before/after checks).
    ...(process.env.BENCH_BASELINE ? [ours("hotline before", process.env.BENCH_BASELINE)] : []),
    {
      name: "ncat",
      command: "ncat",
      args: (port) => ["-v", "--broker", "--max-conns", "200", "-l", "127.0.0.1", String(port)],
    },
  ];
}

/** Starts a broker and waits until it answers on `port`. */
async function start(broker: Broker, port: number): Promise<ChildProcess> {
  const child = spawn(broker.command, broker.args(port), { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const end = Date.now() + 15_000;
  while (!/[Ll]istening on/.test(stderr)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`${broker.name} did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return child;
}

/** One run: deliveries per second to the fast receivers. */
async function run(broker: Broker, port: number, receivers: number, frozen: boolean): Promise<number> {
  const child = await start(broker, port);
  try {
    const args = ["fanout", "127.0.0.1", String(port), String(receivers), frozen ? "1" : "0", String(SECONDS)];
    const { stdout } = await promisify(execFile)(HOTBENCH, args, { timeout: (SECONDS + 30) * 1000 });
    const m = /^deliveries (\d+) seconds ([\d.]+) closed (\d+)/.exec(stdout);
    if (!m) throw new Error(`hotbench fanout said: ${stdout}`);
    // A fast receiver the broker dropped would make the count meaningless.
    if (Number(m[3]) > 0) throw new Error(`${broker.name} closed ${m[3]} of the fast receivers`);
    return Number(m[1]) / Number(m[2]);
  } finally {
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("close", resolve));
  }
}

export async function brokerWorkload(
  record: Record,
  missing: Missing,
  reps: number,
  hotline: string,
  freePort: () => Promise<number>,
  progress: (text: string) => void,
  installed: (tool: string) => boolean,
): Promise<void> {
  for (const [receivers, frozen] of [
    [10, false],
    [100, false],
    [10, true],
    [100, true],
  ] as const) {
    const workload = `broker fan-out, ${receivers} receivers${frozen ? " + 1 frozen" : ""}, 64-byte messages`;
    const present = brokers(hotline).filter((broker) => {
      if (broker.command !== "ncat" || installed("ncat")) return true;
      missing(workload, broker.name, "deliveries/s", "msg/s", true, "ncat is not installed");
      return false;
    });
    // The brokers take turns, rep by rep, so a noisy minute on the shared machine falls on all of them.
    for (let rep = 0; rep < reps; rep++) {
      for (const broker of present) {
        const rate = await run(broker, await freePort(), receivers, frozen);
        record(workload, broker.name, "deliveries/s", "msg/s", true, rate);
        progress(`${workload} ${broker.name}: ${Math.round(rate)} deliveries/s`);
      }
    }
  }
}
