/**
 * hotline's benchmarks, side by side with what users would pick instead, in one run.
 *
 *   npm run bench                 every workload; writes docs/bench/results.md and chart.svg
 *   npm run bench -- pipe latency only the workloads named
 *
 * Workloads: pipe (2 GiB through listen/connect, from a file and from a pipe), lib
 * (recv/sendall loop vs node:net streams), latency (64-byte ping-pong), concurrency (100
 * and 1000 connections for 10 s), rate (connections per second), memory (RSS per idle
 * connection, 10,000 of them), tls (1 GiB over TLS against ncat --ssl and socat OPENSSL, and
 * the handshake rate under openssl s_time), file (2 GiB disk to disk: hotline send/receive
 * beside hotline's pipe mode, nc and ncat; bench/file.ts). Every transfer is verified by a separate process (byte
 * count and checksum); a run that loses data fails instead of giving a number. Each
 * workload runs REPS times; tables show the median with min-max and the ratio of hotline
 * to each baseline. A baseline that is not installed is reported as missing.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as socket from "hotline";
import { generateCertificate } from "../src/ssl/certificate.js";
import { brokerWorkload } from "./broker.js";
import { fileWorkload } from "./file.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = `${ROOT}build/bench-bin/hotbench`;
const HOTLINE = `${ROOT}build/hotline.js`;
const NODE = process.execPath;
const REPS = Number(process.env.BENCH_REPS ?? 3);
const PIPE_BYTES = 2 * 1024 ** 3;
const LIB_BYTES = 1024 ** 3;
const WORK = join(tmpdir(), `hotline-bench-${process.pid}`);
/** BENCH_ONLY=hotline,ncat runs just those pipe tools: for quick before/after checks. */
const ONLY = process.env.BENCH_ONLY?.split(",");

interface Row {
  workload: string;
  impl: string;
  metric: string;
  unit: string;
  /** True when a bigger number is better. */
  higher: boolean;
  samples: number[];
  missing?: string;
}

const rows: Row[] = [];

function record(workload: string, impl: string, metric: string, unit: string, higher: boolean, value: number): void {
  let row = rows.find((r) => r.workload === workload && r.impl === impl && r.metric === metric);
  if (!row) {
    row = { workload, impl, metric, unit, higher, samples: [] };
    rows.push(row);
  }
  row.samples.push(value);
}

function missing(workload: string, impl: string, metric: string, unit: string, higher: boolean, why: string): void {
  if (!rows.some((r) => r.workload === workload && r.impl === impl && r.metric === metric)) {
    rows.push({ workload, impl, metric, unit, higher, samples: [], missing: why });
  }
}

// ---- processes -------------------------------------------------------------------------

/** A process whose stderr we watch for a readiness line; killed at its deadline. */
class Proc {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<number>;

  constructor(command: string, args: string[], lifetimeMs: number, stdin: "ignore" | "pipe" = "ignore") {
    this.child = spawn(command, args, { stdio: [stdin, "pipe", "pipe"] });
    this.child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      this.stdout += d;
    });
    this.child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
    });
    const killer = setTimeout(() => this.child.kill("SIGKILL"), lifetimeMs);
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code, signal) => {
        clearTimeout(killer);
        resolve(code ?? (signal ? 128 : 1));
      }),
    );
  }

  /** The port from a line like "listening on 127.0.0.1:PORT" (each tool words it its own way). */
  async ready(pattern = /[Ll]istening on .*?[: ](\d{2,5})\b(?![.\d])/, ms = 15_000): Promise<number> {
    const end = Date.now() + ms;
    for (;;) {
      const match = pattern.exec(this.stderr);
      if (match) return Number(match[1]);
      if (Date.now() > end || this.child.exitCode !== null) {
        throw new Error(`no readiness line from ${this.child.spawnargs.join(" ")}: ${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** VmRSS or VmHWM of the process, in bytes. */
  memory(field: "VmRSS" | "VmHWM"): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  }

  stop(): Promise<number> {
    this.child.kill("SIGTERM");
    return this.exited;
  }
}

function bash(script: string, lifetimeMs = 180_000): Proc {
  return new Proc("bash", ["-c", `set -o pipefail; ${script}`], lifetimeMs);
}

function have(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const s = socket.socket();
  await s.bind(["127.0.0.1", 0]);
  const [, port] = s.getsockname() as socket.Inet4Address;
  await s.close();
  return port;
}

/** "user sys maxrss_kib" written by `hotbench rusage`. */
function rusage(file: string): { cpu: number; rss: number } {
  const [user = 0, sys = 0, rss = 0] = readFileSync(file, "utf8").trim().split(" ").map(Number);
  return { cpu: user + sys, rss: rss * 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

// ---- workload 1: pipe throughput -------------------------------------------------------

interface Tool {
  name: string;
  bin: string;
  listen: (port: number) => string;
  dial: (port: number) => string;
}

const q = (s: string): string => `'${s}'`;
const PIPE_TOOLS: Tool[] = [
  {
    name: "hotline",
    bin: "node",
    listen: (p) => `${q(NODE)} ${q(HOTLINE)} -l 127.0.0.1 ${p}`,
    dial: (p) => `${q(NODE)} ${q(HOTLINE)} 127.0.0.1 ${p}`,
  },
  // BENCH_BASELINE=/path/to/an/older/hotline.js runs that bundle beside this one, for a
  // before/after of a change in the same run.
  ...(process.env.BENCH_BASELINE
    ? [
        {
          name: "hotline before",
          bin: "node",
          listen: (p: number) => `${q(NODE)} ${q(process.env.BENCH_BASELINE as string)} -l 127.0.0.1 ${p}`,
          dial: (p: number) => `${q(NODE)} ${q(process.env.BENCH_BASELINE as string)} 127.0.0.1 ${p}`,
        },
      ]
    : []),
  {
    name: "ncat",
    bin: "ncat",
    listen: (p) => `ncat -v --recv-only -l 127.0.0.1 ${p}`,
    dial: (p) => `ncat 127.0.0.1 ${p}`,
  },
  {
    name: "socat",
    bin: "socat",
    listen: (p) => `socat -d -d -u TCP-LISTEN:${p},bind=127.0.0.1,reuseaddr STDOUT`,
    dial: (p) => `socat -u STDIN TCP:127.0.0.1:${p}`,
  },
  { name: "nc", bin: "nc", listen: (p) => `nc -v -l 127.0.0.1 ${p}`, dial: (p) => `nc -N 127.0.0.1 ${p}` },
  {
    name: "node:net",
    bin: "node",
    listen: (p) => `${q(NODE)} ${q(`${ROOT}build/bench/baselines/node-pipe.js`)} listen 127.0.0.1 ${p}`,
    dial: (p) => `${q(NODE)} ${q(`${ROOT}build/bench/baselines/node-pipe.js`)} connect 127.0.0.1 ${p}`,
  },
  {
    name: "C loop",
    bin: BIN,
    listen: (p) => `${q(BIN)} copy listen 127.0.0.1 ${p}`,
    dial: (p) => `${q(BIN)} copy connect 127.0.0.1 ${p}`,
  },
];

/**
 * One transfer through a tool: its listener writes into the checking sink, its dialler
 * reads `redirect` (after an optional `prefix |`). Returns the time, what the sink saw
 * ("bytes checksum"), the exit codes and each side's CPU and peak RSS.
 */
async function transfer(
  tool: Tool,
  prefix: string,
  redirect: string,
): Promise<{ seconds: number; got: string; ok: boolean; stderr: string; cpu: number; rss: number }> {
  const port = await freePort();
  const [ruL, ruC, sink] = ["ru-l", "ru-c", "sink"].map((f) => join(WORK, f)) as [string, string, string];
  rmSync(sink, { force: true });
  const listener = bash(`${q(BIN)} rusage ${ruL} ${tool.listen(port)} < /dev/null | ${q(BIN)} sink > ${q(sink)}`);
  await listener.ready();
  const started = performance.now();
  const client = bash(`${prefix} ${q(BIN)} rusage ${ruC} ${tool.dial(port)} ${redirect}`);
  const [cl, ll] = await Promise.all([client.exited, listener.exited]);
  const seconds = (performance.now() - started) / 1000;
  const [l, c] = [rusage(ruL), rusage(ruC)];
  return {
    seconds,
    got: readFileSync(sink, "utf8").trim(),
    ok: cl === 0 && ll === 0,
    stderr: `exit ${cl}/${ll}\n${client.stderr}${listener.stderr}`,
    cpu: l.cpu + c.cpu,
    rss: l.rss + c.rss,
  };
}

async function pipeWorkload(): Promise<void> {
  const file = join(WORK, "2GiB.bin");
  execFileSync("sh", ["-c", `head -c ${PIPE_BYTES} /dev/urandom > ${q(file)}`]);
  const fromFile = execFileSync(BIN, ["sum", file], { encoding: "utf8" }).trim();
  const zeros = `${PIPE_BYTES} ${"0".repeat(16)}`;
  const sources = [
    { name: "pipe from file", redirect: `< ${q(file)}`, prefix: "", expect: fromFile },
    { name: "pipe from pipe", redirect: "", prefix: `head -c ${PIPE_BYTES} /dev/zero |`, expect: zeros },
  ];
  for (let rep = 0; rep < REPS; rep++) {
    for (const source of sources) {
      for (const tool of PIPE_TOOLS.filter((t) => !ONLY || ONLY.includes(t.name))) {
        const metrics: [string, string, boolean][] = [
          ["throughput", "GB/s", true],
          ["CPU per GB", "CPU-s/GB", false],
          ["peak RSS, both", "MiB", false],
        ];
        if (!have(tool.bin)) {
          for (const [m, u, h] of metrics) missing(source.name, tool.name, m, u, h, `${tool.bin} is not installed`);
          continue;
        }
        const { seconds, got, ok, stderr, cpu, rss } = await transfer(tool, source.prefix, source.redirect);
        if (!ok || got !== source.expect) {
          throw new Error(
            `${tool.name} ${source.name}: data lost or corrupted (expected "${source.expect}", sink saw "${got}"; ${stderr})`,
          );
        }
        const gb = PIPE_BYTES / 1e9;
        record(source.name, tool.name, "throughput", "GB/s", true, gb / seconds);
        record(source.name, tool.name, "CPU per GB", "CPU-s/GB", false, cpu / gb);
        record(source.name, tool.name, "peak RSS, both", "MiB", false, rss / 2 ** 20);
        progress(`${source.name} ${tool.name}: ${(gb / seconds).toFixed(2)} GB/s`);
      }
    }
  }
  rmSync(file, { force: true });
}

// ---- workload: TLS pipe throughput and handshake rate ------------------------------------

const TLS_BYTES = 1024 ** 3;

/**
 * The pipe workload over TLS, every tool with the same ECDSA P-256 certificate and its
 * default TLS 1.3 suite: throughput and CPU per GB, each transfer checked by checksum. Then
 * the listeners' handshake rate, with one independent client for all (`openssl s_time`,
 * full handshakes only).
 */
async function tlsWorkload(): Promise<void> {
  const made = generateCertificate({ names: ["localhost", "127.0.0.1"] });
  const [cert, key] = [join(WORK, "tls-cert.pem"), join(WORK, "tls-key.pem")];
  writeFileSync(cert, made.cert);
  writeFileSync(key, made.key, { mode: 0o600 });
  const hl = `${q(NODE)} ${q(HOTLINE)}`;
  /** losesTail: a baseline known to drop the end of a transfer; measured on what arrived. */
  const tools: (Tool & { server: (p: number) => string; losesTail?: boolean })[] = [
    {
      name: "hotline",
      bin: "node",
      listen: (p) => `${hl} -l 127.0.0.1 ${p} --ssl-cert ${q(cert)} --ssl-key ${q(key)}`,
      dial: (p) => `${hl} --ssl-pin sha256:${made.sha256} 127.0.0.1 ${p}`,
      server: (p) => `${hl} -lk --recv-only 127.0.0.1 ${p} --ssl-cert ${q(cert)} --ssl-key ${q(key)}`,
    },
    {
      name: "ncat",
      bin: "ncat",
      listen: (p) => `ncat -v --recv-only -l 127.0.0.1 ${p} --ssl-cert ${q(cert)} --ssl-key ${q(key)}`,
      // Without --send-only, ncat's TLS client stops after a few MB with "Input/output error"
      // against a --recv-only listener; with it, ncat closes without waiting for its last
      // megabytes to be read, and they are lost (ncat 7.93, measured here, every variant).
      dial: (p) => `ncat --ssl --send-only 127.0.0.1 ${p}`,
      losesTail: true,
      server: (p) => `ncat -v -lk --recv-only 127.0.0.1 ${p} --ssl-cert ${q(cert)} --ssl-key ${q(key)}`,
    },
    {
      name: "socat",
      bin: "socat",
      listen: (p) =>
        `socat -d -d -u OPENSSL-LISTEN:${p},bind=127.0.0.1,reuseaddr,cert=${q(cert)},key=${q(key)},verify=0 STDOUT`,
      dial: (p) => `socat -u STDIN OPENSSL:127.0.0.1:${p},verify=0`,
      server: (p) =>
        `socat -d -d -u OPENSSL-LISTEN:${p},bind=127.0.0.1,reuseaddr,fork,cert=${q(cert)},key=${q(key)},verify=0 /dev/null`,
    },
  ];
  const file = join(WORK, "tls.bin");
  execFileSync("sh", ["-c", `head -c ${TLS_BYTES} /dev/urandom > ${q(file)}`]);
  const expect = execFileSync(BIN, ["sum", file], { encoding: "utf8" }).trim();
  for (let rep = 0; rep < REPS; rep++) {
    for (const tool of tools.filter((t) => !ONLY || ONLY.includes(t.name))) {
      if (!have(tool.bin)) {
        missing("TLS pipe", tool.name, "throughput", "GB/s", true, `${tool.bin} is not installed`);
        continue;
      }
      const { seconds, got, ok, stderr, cpu } = await transfer(tool, "", `< ${q(file)}`);
      const arrived = Number(got.split(" ")[0]);
      const tail = tool.losesTail && arrived > TLS_BYTES - 16 * 2 ** 20 && arrived < TLS_BYTES;
      if (tail)
        progress(`TLS pipe ${tool.name}: lost the last ${TLS_BYTES - arrived} bytes (measured on what arrived)`);
      else if (!ok || got !== expect) {
        throw new Error(
          `${tool.name} TLS pipe: data lost or corrupted (expected "${expect}", sink saw "${got}"; ${stderr})`,
        );
      }
      const gb = (tail ? arrived : TLS_BYTES) / 1e9;
      record("TLS pipe", tool.name, "throughput", "GB/s", true, gb / seconds);
      record("TLS pipe", tool.name, "CPU per GB", "CPU-s/GB", false, cpu / gb);
      progress(`TLS pipe ${tool.name}: ${(gb / seconds).toFixed(2)} GB/s`);

      if (!have("openssl")) {
        missing("TLS handshakes", tool.name, "handshakes/s", "hs/s", true, "openssl is not installed");
        continue;
      }
      const hsPort = await freePort();
      const server = bash(tool.server(hsPort), 60_000);
      await server.ready();
      const timer = bash(`openssl s_time -connect 127.0.0.1:${hsPort} -new -time 3 2>&1`, 60_000);
      await timer.exited;
      await server.stop();
      const rate = /([0-9.]+) connections\/user sec/.exec(timer.stdout);
      const count = /(\d+) connections in (\d+) real seconds/.exec(timer.stdout);
      if (!count) throw new Error(`openssl s_time gave no count against ${tool.name}: ${timer.stdout}`);
      record("TLS handshakes", tool.name, "handshakes/s", "hs/s", true, Number(count[1]) / Number(count[2]));
      progress(`TLS handshakes ${tool.name}: ${count[1]} in ${count[2]} s (${rate?.[1] ?? "?"} per client CPU s)`);
    }
  }
  rmSync(file, { force: true });
}

// ---- workload 2: library throughput ----------------------------------------------------

async function libWorkload(): Promise<void> {
  const script = `${ROOT}build/bench/lib-throughput.js`;
  for (let rep = 0; rep < REPS; rep++) {
    for (const impl of ["hotline", "node:net"]) {
      const arg = impl === "hotline" ? "hotline" : "node";
      const server = new Proc(NODE, [script, "server", arg], 120_000);
      const port = await server.ready();
      const started = performance.now();
      const client = new Proc(NODE, [script, "client", arg, String(port), String(LIB_BYTES)], 120_000);
      await Promise.all([client.exited, server.exited]);
      const seconds = (performance.now() - started) / 1000;
      if (Number(server.stdout.trim()) !== LIB_BYTES)
        throw new Error(`lib ${impl}: received ${server.stdout.trim()} bytes`);
      record("library throughput", impl, "throughput", "GB/s", true, LIB_BYTES / 1e9 / seconds);
      progress(`library ${impl}: ${(LIB_BYTES / 1e9 / seconds).toFixed(2)} GB/s`);
    }
  }
}

// ---- workloads 3-6: echo servers -------------------------------------------------------

const ECHO_SERVERS = [
  { name: "hotline", start: () => new Proc(NODE, [`${ROOT}build/bench/servers/hotline-echo.js`], 600_000) },
  { name: "node:net", start: () => new Proc(NODE, [`${ROOT}build/bench/servers/node-echo.js`], 600_000) },
  { name: "C epoll", start: () => new Proc(BIN, ["echo", "127.0.0.1", "0"], 600_000) },
  // BENCH_BASELINE_ECHO=/path/to/an/older/build/bench/servers/hotline-echo.js (with that
  // tree's package.json beside its build/, so `hotline` resolves to that tree) runs it
  // beside this one, interleaved: a before/after of a library change in the same run.
  ...(process.env.BENCH_BASELINE_ECHO
    ? [
        {
          name: "hotline before",
          start: () => new Proc(NODE, [process.env.BENCH_BASELINE_ECHO as string], 600_000),
        },
      ]
    : []),
];

/** The same echo on the library as a recv/sendall loop, as a Python program would write it. */
const HOTLINE_LOOP = {
  name: "hotline loop",
  start: () => new Proc(NODE, [`${ROOT}build/bench/servers/hotline-echo.js`, "127.0.0.1", "loop"], 600_000),
};

/** Only under load: plain node:net with one promise per read and per write, the ceiling of the API's shape. */
const PROMISE_LOOP = {
  name: "promise loop",
  start: () => new Proc(NODE, [`${ROOT}build/bench/servers/node-promise-echo.js`], 600_000),
};

/**
 * Rate and concurrency only: the asyncio.start_server echo that followers of Python's own
 * asyncio tutorial would write instead (bench/baselines/asyncio-echo.py).
 */
const ASYNCIO = {
  name: "asyncio",
  start: () => new Proc("python3", [`${ROOT}bench/baselines/asyncio-echo.py`], 600_000),
};

/** The servers of a workload, with asyncio among them when python3 is installed. */
function withAsyncio<T extends { name: string }>(
  servers: T[],
  workload: string,
  metrics: [string, string, boolean][],
): (T | typeof ASYNCIO)[] {
  if (have("python3")) return [...servers, ASYNCIO];
  for (const [m, u, h] of metrics) missing(workload, ASYNCIO.name, m, u, h, "python3 is not installed");
  return servers;
}

async function load(port: number, conns: number, seconds: number): Promise<Record<string, number>> {
  const client = new Proc(
    BIN,
    ["load", "127.0.0.1", String(port), String(conns), String(seconds)],
    (seconds + 60) * 1000,
  );
  if ((await client.exited) !== 0) throw new Error(`load generator failed: ${client.stderr}`);
  const fields = client.stdout.trim().split(/\s+/);
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i] as string] = Number(fields[i + 1]);
  return out;
}

async function latencyWorkload(): Promise<void> {
  for (let rep = 0; rep < REPS; rep++) {
    for (const s of [...ECHO_SERVERS, HOTLINE_LOOP]) {
      const server = s.start();
      const port = await server.ready();
      const r = await load(port, 1, 3);
      await server.stop();
      record("latency, 1 connection", s.name, "p50", "µs", false, r.p50_us ?? 0);
      record("latency, 1 connection", s.name, "p99", "µs", false, r.p99_us ?? 0);
      progress(`latency ${s.name}: p50 ${r.p50_us} µs`);
    }
  }
}

async function concurrencyWorkload(): Promise<void> {
  for (const conns of [100, 1000]) {
    for (let rep = 0; rep < REPS; rep++) {
      const name = `${conns} connections`;
      const servers = withAsyncio([...ECHO_SERVERS, HOTLINE_LOOP, PROMISE_LOOP], name, [
        ["messages/s", "msg/s", true],
        ["p99", "µs", false],
        ["server peak RSS", "MiB", false],
      ]);
      for (const s of servers) {
        const server = s.start();
        const port = await server.ready();
        const r = await load(port, conns, 10);
        const rss = server.memory("VmHWM");
        await server.stop();
        record(name, s.name, "messages/s", "msg/s", true, (r.messages ?? 0) / (r.seconds ?? 1));
        record(name, s.name, "p99", "µs", false, r.p99_us ?? 0);
        record(name, s.name, "server peak RSS", "MiB", false, rss / 2 ** 20);
        progress(`${name} ${s.name}: ${Math.round((r.messages ?? 0) / (r.seconds ?? 1))} msg/s`);
      }
    }
  }
}

async function rateWorkload(): Promise<void> {
  for (let rep = 0; rep < REPS; rep++) {
    for (const s of withAsyncio(ECHO_SERVERS, "connection rate", [["connections/s", "conn/s", true]])) {
      const server = s.start();
      const port = await server.ready();
      const client = new Proc(BIN, ["rate", "127.0.0.1", String(port), "3", "16"], 60_000);
      await client.exited;
      await server.stop();
      const n = Number(/connections (\d+)/.exec(client.stdout)?.[1] ?? 0);
      record("connection rate", s.name, "connections/s", "conn/s", true, n / 3);
      progress(`rate ${s.name}: ${Math.round(n / 3)} conn/s`);
    }
  }
}

async function memoryWorkload(): Promise<void> {
  const count = 10_000;
  for (let rep = 0; rep < REPS; rep++) {
    for (const s of ECHO_SERVERS) {
      const server = s.start();
      const port = await server.ready();
      const before = server.memory("VmRSS");
      // hotbench holds its connections until its stdin ends.
      const idle = new Proc(BIN, ["idle", "127.0.0.1", String(port), String(count)], 120_000, "pipe");
      await waitFor(() => idle.stdout.includes("ready"), 60_000, "10,000 connections");
      // Let the server finish accepting: RSS stops growing.
      let last = -1;
      let rss = server.memory("VmRSS");
      while (rss !== last) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        last = rss;
        rss = server.memory("VmRSS");
      }
      idle.child.stdin?.end();
      await idle.exited;
      await server.stop();
      record(
        "memory, 10,000 idle connections",
        s.name,
        "RSS per connection",
        "KiB",
        false,
        (rss - before) / count / 1024,
      );
      progress(`memory ${s.name}: ${((rss - before) / count / 1024).toFixed(1)} KiB per connection`);
    }
  }
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---- report ----------------------------------------------------------------------------

const BASELINE_ORDER = ["ncat", "socat", "nc", "node:net", "asyncio", "C loop", "C epoll"];

function format(v: number): string {
  if (v >= 1000) return Math.round(v).toLocaleString("en-US");
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function table(): string {
  let out = "";
  const groups = [...new Set(rows.map((r) => `${r.workload}\u0000${r.metric}`))];
  for (const key of groups) {
    const [workload, metric] = key.split("\u0000") as [string, string];
    const group = rows.filter((r) => r.workload === workload && r.metric === metric);
    const first = group[0] as Row;
    const ours = group.find((r) => r.impl === "hotline");
    const baselines = group.filter((r) => r.impl !== "hotline");
    out += `\n**${workload}: ${metric}** (${first.unit}, ${first.higher ? "higher" : "lower"} is better)\n\n`;
    out += `| | median | min–max | hotline ÷ this |\n| --- | ---: | ---: | ---: |\n`;
    for (const r of [
      ...(ours ? [ours] : []),
      ...baselines.sort((a, b) => BASELINE_ORDER.indexOf(a.impl) - BASELINE_ORDER.indexOf(b.impl)),
    ]) {
      if (r.missing) {
        out += `| ${r.impl} | missing: ${r.missing} | | |\n`;
        continue;
      }
      const m = median(r.samples);
      const ratio =
        r === ours || !ours || ours.samples.length === 0
          ? ""
          : m === 0
            ? "—"
            : `${(median(ours.samples) / m).toFixed(2)}×`;
      out += `| ${r.impl} | ${format(m)} | ${format(Math.min(...r.samples))}–${format(Math.max(...r.samples))} | ${ratio} |\n`;
    }
  }
  return out;
}

/** One panel per workload and metric: a bar per implementation (median) with a min-max whisker. */
function chart(): string {
  const groups = [...new Set(rows.filter((r) => !r.missing).map((r) => `${r.workload}\u0000${r.metric}`))];
  const panelW = 340;
  const barH = 16;
  const cols = 3;
  const panels = groups.map((key) => {
    const [workload, metric] = key.split("\u0000") as [string, string];
    return rows.filter((r) => r.workload === workload && r.metric === metric && !r.missing);
  });
  const panelH = (n: number): number => 44 + n * (barH + 6);
  const rowHeights: number[] = [];
  panels.forEach((p, i) => {
    const r = Math.floor(i / cols);
    rowHeights[r] = Math.max(rowHeights[r] ?? 0, panelH(p.length));
  });
  const width = cols * panelW + 20;
  const height = rowHeights.reduce((a, b) => a + b, 0) + 50;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">\n`;
  svg += `<rect width="100%" height="100%" fill="white"/>\n<text x="10" y="22" font-size="15" font-weight="bold">hotline benchmarks: medians of ${REPS} runs, whiskers min–max (hotline in orange)</text>\n`;
  panels.forEach((group, i) => {
    const first = group[0] as Row;
    const x0 = 10 + (i % cols) * panelW;
    const y0 = 40 + rowHeights.slice(0, Math.floor(i / cols)).reduce((a, b) => a + b, 0);
    const max = Math.max(...group.flatMap((r) => r.samples));
    svg += `<text x="${x0}" y="${y0 + 14}" font-weight="bold">${xmlEscape(first.workload)}: ${xmlEscape(first.metric)}</text>\n`;
    svg += `<text x="${x0}" y="${y0 + 28}" fill="#555">${xmlEscape(first.unit)}, ${first.higher ? "higher" : "lower"} is better</text>\n`;
    group.forEach((r, j) => {
      const y = y0 + 36 + j * (barH + 6);
      const scale = (v: number): number => (v / max) * (panelW - 150);
      const m = median(r.samples);
      const color = r.impl === "hotline" ? "#e8710a" : "#7c8ea3";
      svg += `<text x="${x0}" y="${y + 12}">${xmlEscape(r.impl)}</text>\n`;
      svg += `<rect x="${x0 + 70}" y="${y}" width="${scale(m).toFixed(1)}" height="${barH}" fill="${color}"/>\n`;
      const lo = x0 + 70 + scale(Math.min(...r.samples));
      const hi = x0 + 70 + scale(Math.max(...r.samples));
      svg += `<line x1="${lo.toFixed(1)}" x2="${hi.toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="black"/>\n`;
      svg += `<text x="${(x0 + 74 + scale(m)).toFixed(1)}" y="${y + 12}">${format(m)}</text>\n`;
    });
  });
  return `${svg}</svg>\n`;
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
}

function machine(): string {
  const version = (cmd: string): string => {
    try {
      return (
        execFileSync("sh", ["-c", cmd], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0] ?? ""
      );
    } catch {
      return "not installed";
    }
  };
  return [
    `- CPU: ${cpus()[0]?.model ?? "unknown"}, ${cpus().length} cores; memory ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${Version} is dpkg-query's own placeholder
    `- Node ${process.version}; ${version("ncat --version 2>&1")}; ${version("socat -V 2>&1 | sed -n 2p")}; nc: ${version("dpkg-query -W -f='${Version}' netcat-openbsd 2>/dev/null")}`,
    `- ${REPS} repetitions of each workload, run on ${new Date().toISOString().slice(0, 10)}`,
  ].join("\n");
}

function progress(text: string): void {
  process.stderr.write(`  ${text}\n`);
}

// ---- main ------------------------------------------------------------------------------

const WORKLOADS: Record<string, () => Promise<void>> = {
  pipe: pipeWorkload,
  lib: libWorkload,
  latency: latencyWorkload,
  concurrency: concurrencyWorkload,
  rate: rateWorkload,
  memory: memoryWorkload,
  tls: tlsWorkload,
  broker: () => brokerWorkload(record, missing, REPS, HOTLINE, freePort, progress, have),
  file: () =>
    fileWorkload({
      record,
      missing,
      reps: REPS,
      only: ONLY,
      progress,
      have,
      freePort,
      shell: bash,
      rusage,
      bin: BIN,
      node: NODE,
      hotline: HOTLINE,
      work: WORK,
    }),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  for (const name of wanted) {
    if (!(name in WORKLOADS))
      throw new Error(`unknown workload ${name}; choose from ${Object.keys(WORKLOADS).join(", ")}`);
  }
  mkdirSync(WORK, { recursive: true });
  mkdirSync(join(ROOT, "build/bench-bin"), { recursive: true });
  const source = `${ROOT}bench/c/hotbench.c`;
  const stale = (() => {
    try {
      return statSync(BIN).mtimeMs < statSync(source).mtimeMs;
    } catch {
      return true;
    }
  })();
  if (stale) execFileSync("gcc", ["-O2", "-o", BIN, source], { stdio: "inherit" });
  const started = performance.now();
  try {
    for (const name of wanted.length ? wanted : Object.keys(WORKLOADS)) {
      process.stderr.write(`${name}\n`);
      await (WORKLOADS[name] as () => Promise<void>)();
    }
  } finally {
    rmSync(WORK, { recursive: true, force: true });
  }
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  const report = `## Results\n\n${machine()}\n- the suite took ${minutes} minutes\n${table()}`;
  process.stdout.write(`${report}\n`);
  if (wanted.length === 0) {
    mkdirSync(join(ROOT, "docs/bench"), { recursive: true });
    writeFileSync(join(ROOT, "docs/bench/results.md"), `<!-- written by npm run bench; do not edit -->\n${report}`);
    writeFileSync(join(ROOT, "docs/bench/chart.svg"), chart());
    process.stderr.write("wrote docs/bench/results.md and docs/bench/chart.svg\n");
  }
}

await main();
