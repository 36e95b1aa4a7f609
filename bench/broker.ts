/**
 * The broker fan-out workload (issue 13): one sender, N receivers, 64-byte messages, for a
 * few seconds; deliveries per second (messages received, summed over the receivers), with
 * `hotline --broker` and `ncat --broker` side by side. Then the same with one more
 * receiver that never reads: ncat's broker writes to each client in turn and blocks on
 * the frozen one, so everyone stalls; hotline's cuts it (at its 32 MiB queue limit) and the
 * others go on.
 *
 * The sender writes 64 messages (4 KiB) per write, so the Node client is not what is
 * measured; the receivers are node:net sockets in this process. Only the fast receivers
 * are counted, and only whole 64-byte messages.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { connect, type Socket } from "node:net";

type Record = (workload: string, impl: string, metric: string, unit: string, higher: boolean, value: number) => void;
type Missing = (workload: string, impl: string, metric: string, unit: string, higher: boolean, why: string) => void;

const MESSAGE = 64;
const BATCH = Buffer.alloc(MESSAGE * 64, 0x61);
const SECONDS = 5;

interface Broker {
  name: string;
  command: string;
  args: (port: number) => string[];
}

function brokers(hotline: string): Broker[] {
  return [
    {
      name: "hotline",
      command: process.execPath,
      args: (port) => [hotline, "--broker", "--max-conns", "200", "127.0.0.1", String(port)],
    },
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

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

/** One run: deliveries per second to the fast receivers. */
async function run(broker: Broker, port: number, receivers: number, frozen: boolean): Promise<number> {
  const child = await start(broker, port);
  const sockets: Socket[] = [];
  try {
    let bytes = 0;
    let counting = false;
    for (let i = 0; i < receivers; i++) {
      const s = await dial(port);
      s.on("data", (chunk: Buffer) => {
        if (counting) bytes += chunk.length;
      });
      s.on("error", () => {});
      sockets.push(s);
    }
    if (frozen) {
      const s = await dial(port);
      s.pause(); // never reads
      s.on("error", () => {});
      sockets.push(s);
    }
    const sender = await dial(port);
    sender.on("error", () => {});
    sender.on("data", () => {}); // nothing comes back to a sender
    sockets.push(sender);
    // Let every join settle (hotline's "call from" is logged; ncat's is silent).
    await new Promise((resolve) => setTimeout(resolve, 200));
    counting = true;
    const started = performance.now();
    const until = started + SECONDS * 1000;
    while (performance.now() < until) {
      if (!sender.write(BATCH)) {
        await Promise.race([
          new Promise((resolve) => sender.once("drain", resolve)),
          new Promise((resolve) => setTimeout(resolve, Math.max(0, until - performance.now()))),
        ]);
      } else await new Promise((resolve) => setImmediate(resolve));
    }
    counting = false;
    const seconds = (performance.now() - started) / 1000;
    return Math.floor(bytes / MESSAGE) / seconds;
  } finally {
    for (const s of sockets) s.destroy();
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
  ] as const) {
    const workload = `broker fan-out, ${receivers} receivers${frozen ? " + 1 frozen" : ""}, 64-byte messages`;
    for (const broker of brokers(hotline)) {
      if (broker.command === "ncat" && !installed("ncat")) {
        missing(workload, broker.name, "deliveries/s", "msg/s", true, "ncat is not installed");
        continue;
      }
      for (let rep = 0; rep < reps; rep++) {
        const rate = await run(broker, await freePort(), receivers, frozen);
        record(workload, broker.name, "deliveries/s", "msg/s", true, rate);
        progress(`${workload} ${broker.name}: ${Math.round(rate)} deliveries/s`);
      }
    }
  }
}
