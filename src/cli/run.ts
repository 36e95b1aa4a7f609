/**
 * run(options, io) -> exit code: the whole program but for the process itself. The
 * command line is three choices joined by the call pipeline (call/):
 *
 * - how the connection is reached (reach/): dial, or listen; TCP, UDP, Unix;
 * - what the local end is (endpoints/): stdin and stdout (pipe mode), or the terminal
 *   (talk mode);
 * - how calls are joined (topologies/): one call; one after another (--serial); many at
 *   once (-k).
 *
 * Failures are thrown as Failure; this is where they become a line and a code.
 */
import { SessionLog } from "./call/session-log.js";
import { lookup } from "./commands/lookup.js";
import { probe } from "./commands/probe.js";
import { receiveCommand, sendCommand } from "./commands/transfer/command.js";
import { findProgram } from "./endpoints/child.js";
import { Failure, type Io, write } from "./io.js";
import { helpText } from "./options/help.js";
import type { Options } from "./options/options.js";
import { isProxyServer } from "./options/proxy-rows.js";
import { loadAccessList } from "./reach/access-list.js";
import { dial } from "./reach/dial.js";
import { listen } from "./reach/listen.js";
import { debug, Reporter } from "./report.js";
import { broker } from "./topologies/broker.js";
import type { Context } from "./topologies/context.js";
import { fanOut } from "./topologies/fan-out.js";
import { httpProxy } from "./topologies/http-proxy.js";
import { oneCall } from "./topologies/one-call.js";
import { serial } from "./topologies/serial.js";

export async function run(o: Options, io: Io, version: string): Promise<number> {
  const report = new Reporter(io.stderr, o.verbose);
  let log: SessionLog | null = null;
  try {
    switch (o.command) {
      case "help":
        await write(io.stdout, helpText(o.helpFor));
        return 0;
      case "version":
        await write(io.stdout, `hotline ${version}\n`);
        return 0;
      case "lookup":
        return await lookup(o, io);
      case "probe":
        return await probe(o, io, report);
      case "send":
        return await sendCommand(o, io, report);
      case "receive":
        return await receiveCommand(o, io, report);
      default:
        break;
    }
    log = new SessionLog(o.output, o.hexDump, o.appendOutput);
    // Checked before listening or dialling: a program that cannot run, a bad access list.
    const program = o.exec ? findProgram(o.exec, io.env) : null;
    const access = o.command === "listen" ? await loadAccessList(o) : null;
    // A UDP listener has no conversation per caller, --send-only/--recv-only are for
    // scripts, and a program is no person: those always run in pipe mode.
    const talk =
      program === null &&
      !(o.udp && o.command === "listen") &&
      !o.sendOnly &&
      !o.recvOnly &&
      (o.mode === "talk" || (o.mode === "auto" && io.stdinIsTTY && io.stdout.isTTY === true));
    const ctx: Context = { o, io, log, report, talk, program };
    debug("%s, %s mode", o.command, talk ? "talk" : "pipe");
    if (o.command === "connect") return await oneCall(await dial(o, report), ctx, "connected to");
    if (isProxyServer(o)) return await httpProxy(o, io, report, access);
    const listener = await listen(o, report, access);
    report.say(`listening on ${listener.where}`);
    // An interrupt stops answering, whatever the topology: a waiting next() gives null.
    const stopAnswering = (): void => {
      listener.close();
    };
    io.interrupt.addEventListener("abort", stopAnswering, { once: true });
    try {
      if (o.broker) return await broker(listener, ctx);
      if (o.keepOpen) return await fanOut(listener, ctx);
      if (o.serial) return await serial(listener, ctx);
      const line = io.interrupt.aborted ? null : await listener.next();
      if (line === null) return 130;
      // One call: stop answering, as ncat does (a UDP sender's line needs the socket).
      if (!o.udp) await listener.close();
      return await oneCall(line, ctx, "call from");
    } finally {
      io.interrupt.removeEventListener("abort", stopAnswering);
      await listener.close();
    }
  } catch (err) {
    if (err instanceof Failure) {
      report.say(err.message);
      return err.exitCode;
    }
    throw err;
  } finally {
    log?.close();
  }
}
