/**
 * `hotline send` and `hotline receive`: the file protocol (send.ts, receive.ts) on the
 * lines the rest of the CLI makes, so TLS, proxies and access lists apply as they do to
 * calls; and `--raw`, the same commands as netcat moves a file (plain bytes, to or from any
 * nc), with the meter and a SHA-256 of what passed to compare by eye.
 */
import { closeSync, constants as fsc, fstatSync, openSync } from "node:fs";
import { access, mkdir, realpath, stat } from "node:fs/promises";
import { IdleClock } from "../../call/idle.js";
import { meterTarget, sizeText } from "../../call/progress.js";
import { Failure, type Io } from "../../io.js";
import type { Options } from "../../options/options.js";
import { loadAccessList } from "../../reach/access-list.js";
import { dial } from "../../reach/dial.js";
import type { Line } from "../../reach/line.js";
import { listen } from "../../reach/listen.js";
import { type Reporter, reason } from "../../report.js";
import { listFiles } from "./files.js";
import { both, contentHash } from "./hasher.js";
import { receiveFrom } from "./receive.js";
import { sendTo } from "./send.js";
import { streamFile } from "./stream-file.js";
import { TransferMeter } from "./transfer-meter.js";

/** How long a raw sender waits, after its last byte, for the receiver to close (so closing never resets unread data). */
const RAW_LINGER_MS = 2000;

export async function sendCommand(o: Options, io: Io, report: Reporter): Promise<number> {
  const tell = teller(o, report);
  if (o.raw) return rawSend(o, io, report, tell);
  const items = await listFiles(o.files, report);
  if (items.length === 0) throw new Failure("nothing to send: no files in what was given", 2);
  const line = watched(await dial({ ...o, command: "connect" }, report), o.idle);
  tell(`connected to ${line.peer}`);
  const result = await sendTo(line, items, {
    report,
    tell,
    meter: meterFor(o, io, report, "sent"),
    interrupt: io.interrupt,
  });
  if (io.interrupt.aborted) return 130;
  return result.ok ? 0 : 1;
}

export async function receiveCommand(o: Options, io: Io, report: Reporter): Promise<number> {
  const tell = teller(o, report);
  const dir = o.raw ? null : await folder(o.dir ?? ".", tell);
  const access = await loadAccessList(o);
  const listener = await listen({ ...o, command: "listen" }, report, access);
  if (dir !== null) tell(`receiving into ${dir}`);
  report.say(`listening on ${listener.where}`);
  const stop = (): void => {
    void listener.close();
  };
  io.interrupt.addEventListener("abort", stop, { once: true });
  try {
    let code = 0;
    for (;;) {
      const line = io.interrupt.aborted ? null : await listener.next();
      if (line === null) return 130;
      if (!o.keepOpen) await listener.close();
      tell(`call from ${line.peer}`);
      let ok: boolean;
      if (dir === null) {
        ok = await rawReceive(line, o, io, report, tell);
      } else {
        const result = await receiveFrom(watched(line, o.idle), {
          dir,
          overwrite: o.overwrite,
          report,
          tell,
          meter: meterFor(o, io, report, "received"),
          interrupt: io.interrupt,
        });
        ok = result.ok;
      }
      if (io.interrupt.aborted) return 130;
      if (!ok) code = 1;
      if (!o.keepOpen) return code;
    }
  } finally {
    io.interrupt.removeEventListener("abort", stop);
    await listener.close();
  }
}

/**
 * -i: the line ends when nothing moved either way for `ms` (a peer that stalled, or stopped
 * reading), and the receiving side fails with a message that says so.
 */
function watched(line: Line, ms: number | null): Line {
  if (ms === null) return line;
  let idled = false;
  const clock = new IdleClock(ms, () => {
    idled = true;
    line.reset();
  });
  return {
    ...line,
    receive: (sink) =>
      line
        .receive((chunk) => {
          clock.touch();
          return sink(chunk);
        })
        .then(
          () => {
            if (idled) throw new Error(`nothing moved for ${ms / 1000} s (-i)`);
          },
          (err: unknown) => {
            throw idled ? new Error(`nothing moved for ${ms / 1000} s (-i)`) : err;
          },
        )
        .finally(() => clock.stop()),
    send: async (chunk) => {
      await line.send(chunk);
      clock.touch();
    },
    ...(line.sendFile && {
      sendFile: (
        fd: number,
        offset: number,
        count: number,
        onChunk: (chunk: Uint8Array) => Promise<void> | undefined,
      ) =>
        (line.sendFile as NonNullable<Line["sendFile"]>)(fd, offset, count, (chunk) => {
          clock.touch(); // a block is taken only once the one before it was written
          return onChunk(chunk);
        }),
    }),
  };
}

/** What says the ordinary steps of a transfer: nothing with --quiet (failures always show). */
export type Tell = (message: string) => void;

function teller(o: Options, report: Reporter): Tell {
  return o.quiet ? () => {} : (message) => report.say(message);
}

/** The meter: with --progress, or by default when stderr is a terminal; never with --quiet or --no-progress. */
function meterFor(o: Options, io: Io, report: Reporter, direction: "sent" | "received"): TransferMeter | null {
  const wanted = !o.quiet && (o.progress === "on" || (o.progress === "auto" && io.stderr.isTTY === true));
  if (!wanted) return null;
  return new TransferMeter(meterTarget(io.stderr), report, direction);
}

/**
 * The folder files are received into: it must be writable (exit 2 before answering). When
 * it is not there but the folder it would be in is, it is made, as rsync makes its
 * destination: only the last part, so a typo higher up is an error, not a tree of folders.
 */
async function folder(given: string, tell: Tell): Promise<string> {
  try {
    await mkdir(given);
    tell(`made the folder ${given}`);
  } catch (err) {
    // There already (the checks below say whether it will do), or its parent is not: below.
    const code = (err as { code?: string }).code;
    if (code !== "EEXIST" && code !== "ENOENT") throw new Failure(`${given}: cannot be made: ${reason(err)}`, 2);
  }
  let dir: string;
  try {
    dir = await realpath(given);
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(), { code: "ENOTDIR" });
    await access(dir, fsc.W_OK | fsc.X_OK);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === "ENOENT"
        ? "no such folder"
        : code === "ENOTDIR"
          ? "not a folder"
          : code === "EACCES"
            ? "not writable"
            : reason(err);
    throw new Failure(`${given}: ${why}`, 2);
  }
  return dir;
}

/** --raw: FILE as plain bytes, as `nc HOST PORT < FILE` sends it; no confirmation is possible. */
async function rawSend(o: Options, io: Io, report: Reporter, tell: Tell): Promise<number> {
  const file = o.files[0] as string;
  let fd: number;
  let size: number;
  try {
    fd = openSync(file, "r");
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw Object.assign(new Error(), { code: "EISDIR" });
    }
    size = st.size;
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new Failure(
      `${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "not a regular file" : reason(err)}`,
      2,
    );
  }
  try {
    const line = await dial({ ...o, command: "connect" }, report);
    tell(`connected to ${line.peer}`);
    const meter = meterFor(o, io, report, "sent");
    meter?.begin(size, 1);
    meter?.file(file, size, 0);
    const hash = contentHash(size);
    const started = performance.now();
    let ended: string | null = null;
    const receiving = line
      .receive(() => undefined)
      .then(
        () => {
          ended ??= "the receiver ended the line";
        },
        (err: unknown) => {
          ended ??= reason(err);
        },
      );
    const stop = (): void => {
      ended = "interrupted";
      line.reset();
    };
    io.interrupt.addEventListener("abort", stop, { once: true });
    try {
      await streamFile(
        line,
        fd,
        0,
        size,
        (block) => {
          meter?.add(block.length);
          return hash.update(block);
        },
        () => (ended === "interrupted" ? ended : null),
      );
    } catch (err) {
      meter?.stop();
      line.reset();
      report.say(`${file}: not sent whole: ${ended ?? reason(err)}`);
      return io.interrupt.aborted ? 130 : 1;
    } finally {
      io.interrupt.removeEventListener("abort", stop);
    }
    meter?.stop();
    line.shutdown();
    // Closing with the receiver's bytes unread would reset the line, and could cut what it has not read yet.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      receiving,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, RAW_LINGER_MS);
      }),
    ]);
    clearTimeout(timer);
    await line.close();
    const seconds = (performance.now() - started) / 1000;
    const digest = (await hash.digest()).toString("hex");
    tell(
      `sent ${sizeText(size)} in ${seconds.toFixed(1)} s (${sizeText(seconds > 0 ? size / seconds : 0)}/s), sha256 ${digest}; --raw: the receiver cannot confirm it`,
    );
    return 0;
  } finally {
    closeSync(fd);
  }
}

/** --raw: one call's bytes to stdout, as `hotline -l > FILE`, with a count and a SHA-256 at the end. */
async function rawReceive(line: Line, o: Options, io: Io, report: Reporter, tell: Tell): Promise<boolean> {
  const meter = meterFor(o, io, report, "received");
  meter?.begin(undefined, 1);
  const hash = contentHash(Number.POSITIVE_INFINITY); // a raw stream: its size is not known
  let bytes = 0;
  const started = performance.now();
  const stop = (): void => line.reset();
  io.interrupt.addEventListener("abort", stop, { once: true });
  try {
    await line.receive((chunk) => {
      bytes += chunk.length;
      meter?.add(chunk.length);
      return both(hash.update(chunk), io.output.write(chunk));
    });
  } catch (err) {
    meter?.stop();
    report.say(`the line ended badly after ${bytes} bytes: ${reason(err)}`);
    io.endOutput();
    return false;
  } finally {
    io.interrupt.removeEventListener("abort", stop);
  }
  meter?.stop();
  io.endOutput();
  await line.close();
  const seconds = (performance.now() - started) / 1000;
  const digest = (await hash.digest()).toString("hex");
  tell(
    `received ${sizeText(bytes)} (${bytes} bytes) in ${seconds.toFixed(1)} s (${sizeText(seconds > 0 ? bytes / seconds : 0)}/s), sha256 ${digest}`,
  );
  return true;
}
