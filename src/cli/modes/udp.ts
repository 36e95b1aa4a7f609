/**
 * UDP in pipe mode. Each chunk of stdin goes out as datagrams of at most 65,507 bytes;
 * each datagram received is written to stdout whole. UDP has no end of stream, so a call
 * ends at the end of input, or -q after it (to wait for replies), or at -i idle time.
 *
 * A listener talks with the first sender; with -k, with every sender, and stdin goes to
 * all of them.
 */
import type { Address, Socket } from "../../index.js";
import { formatAddress } from "../../index.js";
import { IdleClock } from "../call/idle.js";
import type { SessionLog } from "../call/session-log.js";
import { deferred } from "../deferred.js";
import { Failure, type Io, write } from "../io.js";
import type { Options } from "../options/parse.js";
import { bindListener } from "../reach/dial.js";
import { type Reporter, reason } from "../report.js";

/** The most one UDP datagram over IPv4 carries: 65,535 less the IP and UDP headers. */
export const MAX_DATAGRAM = 65507;

/** Runs a UDP session on `sock` (connected when dialling, bound when listening). */
export async function udpSession(
  sock: Socket,
  connected: boolean,
  o: Options,
  io: Io,
  log: SessionLog,
  report: Reporter,
): Promise<number> {
  const peers = new Map<string, Address>();
  const { promise: outcome, resolve: finish } = deferred<number | Error>();
  let quitTimer: NodeJS.Timeout | undefined;

  const receive = async (): Promise<void> => {
    for (;;) {
      const [data, from] = await sock.recvfrom(65536);
      idle.touch();
      if (!data || !from) continue;
      if (!connected) {
        const key = formatAddress(from);
        if (!peers.has(key)) {
          if (!o.keepOpen && peers.size > 0) continue; // without -k only the first sender is heard
          peers.set(key, from);
          report.info(`datagram from ${key}`);
        }
      }
      log.received(data);
      if (!o.sendOnly) await write(io.stdout, data);
    }
  };

  const send = async (): Promise<void> => {
    if (o.recvOnly) return;
    for await (const chunk of io.input) {
      idle.touch();
      for (let at = 0; at < chunk.length; at += MAX_DATAGRAM) {
        const datagram = chunk.subarray(at, at + MAX_DATAGRAM);
        if (connected) await sock.send(datagram);
        else await Promise.all([...peers.values()].map((to) => sock.sendto(datagram, to)));
        log.sent(datagram);
      }
    }
    if (o.quitAfterEof !== null) quitTimer = setTimeout(() => finish(0), o.quitAfterEof);
    else if (connected) finish(0);
  };

  const idle = new IdleClock(o.idle, () => finish(0)); // UDP has no other end of a call
  receive().catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
  send().catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
  const onInterrupt = (): void => finish(130);
  io.interrupt.addEventListener("abort", onInterrupt, { once: true });
  const result = await outcome;
  clearTimeout(quitTimer);
  idle.stop();
  io.interrupt.removeEventListener("abort", onInterrupt);
  await sock.close();
  if (sock.droppedDatagrams > 0) report.say(`${sock.droppedDatagrams} datagrams dropped: stdout was too slow`);
  if (typeof result === "number") return result;
  throw new Failure(`udp: ${reason(result)}`);
}

/** hotline -l -u: bind, print the readiness line, then run the session. */
export async function udpListen(o: Options, io: Io, log: SessionLog, report: Reporter): Promise<number> {
  const { sock, where } = await bindListener(o, report);
  report.say(`listening on ${where}`);
  return udpSession(sock, false, o, io, log, report);
}
