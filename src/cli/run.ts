/**
 * run(options, io) -> exit code: the whole program but for the process itself. Modes
 * report failures by throwing Failure; this is where they become a line and a code.
 */

import { SessionLog } from "./call/session-log.js";
import { lookup } from "./commands/lookup.js";
import { probe } from "./commands/probe.js";
import { Talk } from "./endpoints/terminal.js";
import { Failure, type Io, write } from "./io.js";
import { listen } from "./modes/listen.js";
import { pipeCall } from "./modes/pipe.js";
import { udpListen, udpSession } from "./modes/udp.js";
import { helpText } from "./options/help.js";
import type { Options } from "./options/parse.js";
import { dial } from "./reach/dial.js";
import { Reporter } from "./report.js";

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
      default:
        break;
    }
    log = new SessionLog(o.output, o.hexDump, o.appendOutput);
    const talk = o.mode === "talk" || (o.mode === "auto" && io.stdinIsTTY && io.stdout.isTTY === true);
    if (o.command === "listen") {
      return o.udp ? await udpListen(o, io, log, report) : await listen(o, io, log, report, talk && !o.udp);
    }
    const { sock, peer } = await dial(o, report);
    report.info(`connected to ${peer}`);
    if (talk) {
      const conversation = new Talk(io, o, log, false);
      conversation.add(sock, peer, "connected to");
      return await conversation.finished;
    }
    if (o.udp) return await udpSession(sock, true, o, io, log, report);
    return await pipeCall({ sock, peer }, io, o, log, report);
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
