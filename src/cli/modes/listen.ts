/**
 * Answering: one call and exit by default; with -k many calls at once, all sharing
 * stdin and stdout (pipe) or one conversation (talk). --max-conns N refuses the N+1th
 * caller explicitly (reset at once, with a line on stderr) and frees the slot when a
 * caller leaves.
 */
import { type Address, formatAddress, SHUT_WR, SO_LINGER, SOL_SOCKET, type Socket } from "../../index.js";
import type { SessionLog } from "../call/session-log.js";
import { deferred } from "../deferred.js";
import { Talk } from "../endpoints/terminal.js";
import { Failure, type Io } from "../io.js";
import type { Options } from "../options/parse.js";
import { bindListener } from "../reach/dial.js";
import { type Reporter, reason } from "../report.js";
import { pipeCall } from "./pipe.js";

export async function listen(o: Options, io: Io, log: SessionLog, report: Reporter, talk: boolean): Promise<number> {
  const { sock: listener, where } = await bindListener(o, report);
  report.say(`listening on ${where}`);
  const stop = (): void => {
    listener.close();
  };
  io.interrupt.addEventListener("abort", stop, { once: true });
  try {
    if (!o.keepOpen) {
      const [conn, addr] = await acceptOrInterrupt(listener, io);
      if (conn === null) return 130;
      await listener.close(); // one call: stop answering, as ncat does
      const peer = describe(addr);
      if (talk) {
        const conversation = new Talk(io, o, log, false);
        conversation.add(conn, peer, "call from");
        return await conversation.finished;
      }
      report.info(`call from ${peer}`);
      return await pipeCall({ sock: conn, peer }, io, o, log, report);
    }
    return talk ? await talkSwitchboard(listener, o, io, log) : await pipeSwitchboard(listener, o, io, log, report);
  } finally {
    io.interrupt.removeEventListener("abort", stop);
    await listener.close();
  }
}

async function acceptOrInterrupt(listener: Socket, io: Io): Promise<[Socket, Address] | [null, null]> {
  if (io.interrupt.aborted) return [null, null];
  try {
    return await listener.accept();
  } catch (err) {
    if (io.interrupt.aborted) return [null, null];
    throw new Failure(`accept: ${reason(err)}`);
  }
}

/**
 * Accepts callers until interrupted, honouring --max-conns; `take` handles one caller and
 * resolves when it leaves, which frees its slot.
 */
async function answer(
  listener: Socket,
  o: Options,
  io: Io,
  onRefuse: (peer: string) => void,
  take: (conn: Socket, peer: string) => Promise<void>,
): Promise<number> {
  let active = 0;
  for (;;) {
    const [conn, addr] = await acceptOrInterrupt(listener, io);
    if (conn === null) return 130;
    const peer = describe(addr);
    if (o.maxConns !== null && active >= o.maxConns) {
      onRefuse(peer);
      conn.setsockopt(SOL_SOCKET, SO_LINGER, RESET); // refuse explicitly: the caller sees a reset
      await conn.close();
      continue;
    }
    active += 1;
    take(conn, peer)
      .catch(() => {}) // each caller's trouble is reported by `take`; it never ends the listener
      .finally(() => {
        active -= 1;
      });
  }
}

/** SO_LINGER (1, 0): close with RST. */
const RESET = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

/**
 * -k in pipe mode: stdin goes to every caller, what any caller says goes to stdout.
 * stdin is not read before the first caller arrives, so `hotline -lk < file` sends the
 * file to someone instead of reading it to nobody.
 */
async function pipeSwitchboard(
  listener: Socket,
  o: Options,
  io: Io,
  log: SessionLog,
  report: Reporter,
): Promise<number> {
  const callers = new Set<Socket>();
  let inputDone = false;
  const { promise: someoneOnTheLine, resolve: firstCaller } = deferred<void>();
  const pumpInput = (async () => {
    if (o.recvOnly) return;
    await someoneOnTheLine;
    for await (const chunk of io.input) {
      log.sent(chunk);
      await Promise.allSettled([...callers].map((c) => c.sendall(chunk)));
    }
    inputDone = true;
    if (!o.noShutdown) for (const c of callers) c.shutdown(SHUT_WR);
  })();
  pumpInput.catch(() => {});
  return answer(
    listener,
    o,
    io,
    (peer) => report.say(`refused ${peer}: --max-conns ${o.maxConns} reached`),
    async (conn, peer) => {
      callers.add(conn);
      firstCaller();
      report.info(`call from ${peer} (${callers.size} on the line)`);
      if (inputDone && !o.noShutdown) conn.shutdown(SHUT_WR);
      try {
        // As in pipeCall: written from the read callback, before the memory is reused.
        await conn.forward((chunk) => {
          log.received(chunk);
          return o.sendOnly ? undefined : io.output.write(chunk);
        });
        report.info(`${peer} hung up`);
      } catch (err) {
        report.info(`${peer}: ${reason(err)}`);
      } finally {
        callers.delete(conn);
        await conn.close();
      }
    },
  );
}

/** -k in talk mode: one conversation with every caller. */
async function talkSwitchboard(listener: Socket, o: Options, io: Io, log: SessionLog): Promise<number> {
  const conversation = new Talk(io, o, log, true);
  const answering = answer(
    listener,
    o,
    io,
    (peer) => conversation.notice(`refused ${peer}: --max-conns ${o.maxConns} reached`),
    (conn, peer) => conversation.add(conn, peer, "on the line:"),
  );
  return Promise.race([conversation.finished, answering]);
}

/** A caller's address as messages show it; Unix callers have no name of their own. */
function describe(addr: Address): string {
  return addr === "" ? "a local caller" : formatAddress(addr);
}
