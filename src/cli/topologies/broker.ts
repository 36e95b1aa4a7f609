/**
 * --broker and --chat: a conference. What a caller sends goes to every other caller,
 * never back to itself; what stdin gives goes to every caller. Each caller is a Call, so
 * -C, -i, -o/-x, -v and --send-only/--recv-only apply to each, as with -k.
 *
 * - Plain broker: bytes as they come. The listener's stdout stays empty, as ncat's
 *   (the callers' bytes, interleaved, would be a mix nobody can take apart; -o logs them).
 * - Chat: lines with their sender's name (chat-codec.ts, chat-room.ts). The person at the
 *   listener is a member: stdin's lines go to the room as <user0>, and stdout shows
 *   every line of the room.
 *
 * One slow or frozen reader never holds up the sender or the others: each caller has its
 * own bounded queue (send-queue.ts), and a caller over its limit is cut (reset) with the
 * reason on stderr and, in chat, an announcement. What a caller sends is read as fast as
 * the broker can pass it on (over TLS, no more per turn of the event loop than a caller
 * that keeps up takes in a turn: turn-budget.ts), so a sender is slowed only by the
 * broker itself, never by a slow reader. stdin is read only while some caller has less
 * than PACE_BYTES queued, so a file on stdin goes out at the pace of the fastest caller
 * rather than filling every queue, and it waits while nobody is on the line (as -k's does).
 * Memory is bounded: each chunk is copied once and shared by every queue, so the backlog
 * held is at most about twice the hard limit whatever the callers do.
 *
 * The end of stdin ends nothing (the room goes on, as ncat's does), but with --send-only
 * (a one-way broadcast: callers' bytes are dropped), which ends once every caller has taken
 * all of it. A caller's end of
 * stream (FIN) is its leaving, as in ncat. --max-conns (ncat's 100 by default) refuses the
 * next caller with a reset; a caller that vanishes (RST, -i) frees its slot at once.
 * An interrupt stops answering and relaying, and gives callers DRAIN_MS to take what is
 * queued for them: each gets FIN as soon as its queue is drained; at the end, those still
 * owed bytes are reset and those that had their FIN but stay are closed.
 */

import { Call } from "../call/call.js";
import { deferred } from "../deferred.js";
import { Talk } from "../endpoints/terminal.js";
import { Failure } from "../io.js";
import { BROKER_MAX_CONNS } from "../options/options.js";
import type { Line } from "../reach/line.js";
import type { Listener } from "../reach/listen.js";
import { debug, reason } from "../report.js";
import { answer } from "./answer.js";
import { ChatLineDecoder } from "./chat-codec.js";
import { ChatRoom, type Seat } from "./chat-room.js";
import type { Context } from "./context.js";
import { DRAIN_MS } from "./fan-out.js";
import { formatSize, ONE_WRITE, type QueueLimits, SEND_WINDOW, SendQueue } from "./send-queue.js";
import { TurnBudget } from "./turn-budget.js";

/** stdin waits while every caller has this much queued (or half the limits, if lower). */
export const PACE_BYTES = 1024 * 1024;

interface Caller extends Seat {
  call: Call;
  queue: SendQueue;
  /** Why it was cut, once it was. */
  cutFor: string | null;
  /** What failed a write to it, if one did. */
  sendError: unknown;
  /** The broker is ending and sent it FIN, everything queued being out. */
  toldEnd: boolean;
  /** The broker closed it after that FIN (it had not hung up by the deadline). */
  closedAtEnd: boolean;
}

export async function broker(listener: Listener, ctx: Context): Promise<number> {
  const { o, io, report } = ctx;
  const chat = o.chat;
  // The default soft limit gives way to a hard limit set below it (one given is checked in table.ts).
  const soft = o.queueSoftLimit !== null && o.queueSoftLimit < o.queueLimit ? o.queueSoftLimit : null;
  const limits: QueueLimits = { hard: o.queueLimit, soft, softMs: o.queueSoftMs };
  const pace = Math.min(PACE_BYTES, Math.ceil(limits.hard / 2), Math.ceil((limits.soft ?? limits.hard) / 2));
  const maxConns = o.maxConns ?? BROKER_MAX_CONNS;
  const callers = new Set<Caller>();
  const running = new Set<Promise<void>>();
  const { promise: fatal, resolve: failed } = deferred<Failure>();
  let cuts = 0;
  let served = 0;
  /** Interrupted: callers' bytes are read and dropped while what is queued for each drains. */
  let ending = false;

  /** Wakes the stdin reader to look again (a caller came, left, or took its queue below the pace). */
  let wake = deferred<void>();
  const nudge = (): void => {
    const w = wake;
    wake = deferred<void>();
    w.resolve();
  };

  // Over TLS a write is reported done only on the next turn of the event loop, so what is
  // read from callers in a turn is held to what a caller that keeps up takes in one
  // (turn-budget.ts). A plain socket takes a write at once while its reader keeps up, so
  // reading and writing stay in step by themselves (and pausing every turn cost the plain
  // fan-out a quarter of its rate: measured).
  const turn = o.tls ? new TurnBudget(SEND_WINDOW / 2) : null;
  const room = chat ? new ChatRoom() : null;
  // With terminals, the person at the listener takes part through the talk UI; else stdin and stdout.
  const talk = room && ctx.talk ? new Talk(io, false) : null;
  const me: Seat | null = talk
    ? {
        address: "the listener",
        deliver: (_, lines) => {
          for (const line of lines) talk.hear(line);
        },
      }
    : room
      ? listenerSeat(ctx, limits, failed)
      : null;
  if (talk && room && me) {
    report.divert = (message) => talk.notice(message);
    // The terminal is a reader like any other: over the limit its lines are dropped and counted.
    talk.joinRoom((typed) => {
      // What you type is bounded and made safe as a caller's line is.
      room.said(me, new ChatLineDecoder().push(Buffer.from(`${typed}\n`)));
    }, limits.hard);
  }
  if (room && me) room.join(me, true);

  /** Plain broker: a chunk (copied already) to every caller but its sender. */
  const relay = (from: Caller | null, chunk: Buffer): void => {
    for (const caller of callers) if (caller !== from) caller.queue.push(chunk);
  };

  const cut = (caller: Caller, why: string): void => {
    if (caller.cutFor !== null) return;
    caller.cutFor = why;
    cuts += 1;
    report.say(`cut ${caller.call.peer}: ${why}`);
    caller.call.giveUp({ code: 1, failure: null });
  };

  const take = async (line: Line): Promise<void> => {
    const call = new Call(line, o, ctx.log, report, 2);
    const caller: Caller = {
      address: hostOf(line.peer),
      call,
      cutFor: null,
      sendError: null,
      toldEnd: false,
      closedAtEnd: false,
      queue: new SendQueue(
        (chunk) =>
          call.send(chunk).catch((err: unknown) => {
            if (err instanceof Failure && err.local) failed(err);
            else {
              caller.sendError = err;
              call.giveUp({ code: 1, failure: null });
            }
            throw err;
          }),
        limits,
        (why) => cut(caller, why),
        o.tls ? SEND_WINDOW : ONE_WRITE,
      ),
      deliver: (bytes) => {
        caller.queue.push(bytes);
      },
    };
    caller.queue.onBelow(pace, nudge);
    callers.add(caller);
    served += 1;
    report.info(`call from ${line.peer} (${callers.size} on the line)`);
    if (room) room.join(caller);
    nudge();
    const decoder = room ? new ChatLineDecoder() : null;
    const heard = (chunk: Buffer): Promise<void> | undefined => {
      if (ending) return undefined;
      if (room && decoder) room.said(caller, decoder.push(chunk));
      else relay(caller, Buffer.from(chunk));
      return turn?.spend(chunk.length);
    };
    let why = "hung up";
    try {
      const ended = call.receive(heard).then(() => null);
      ended.catch(() => {}); // after a give-up the reset line fails under the reader
      const outcome = await Promise.race([ended, call.abandoned]);
      if (outcome === null) {
        if (caller.closedAtEnd) why = "was hung up on";
        else if (room && decoder && !ending) room.said(caller, decoder.end());
      } else if (caller.cutFor !== null) why = "was cut";
      else if (caller.sendError !== null) why = `is gone: ${reason(caller.sendError)}`;
      else if (outcome.failure) why = `was cut off: ${outcome.failure.message}`;
      else why = "was hung up on";
    } catch (err) {
      if (err instanceof Failure && err.local) failed(err);
      why = `is gone: ${reason(err)}`;
      call.giveUp({ code: 1, failure: null });
    } finally {
      callers.delete(caller);
      caller.queue.close();
      room?.leave(caller, caller.cutFor);
      nudge();
      await call.close();
      report.info(`${line.peer} ${why}`);
    }
  };

  const refuse = (line: Line): void => {
    report.say(`refused ${line.peer}: --max-conns ${maxConns} reached`);
    line.reset();
  };

  const answering = answer(listener, { running, full: () => callers.size >= maxConns, refuse, take, failed });

  // stdin: to every caller (plain) or to the room as the listener (chat). Read only while
  // some caller can take more, so memory never fills with what nobody reads yet.
  const stopReading = new AbortController();
  const sent = deferred<number>();
  const reading = (async (): Promise<void> => {
    if (o.recvOnly || talk) return;
    const decoder = room ? new ChatLineDecoder() : null;
    const ready = (): boolean => [...callers].some((c) => c.queue.queued < pace);
    const input = io.input[Symbol.asyncIterator]();
    for (;;) {
      while (!ready() && !stopReading.signal.aborted) await wake.promise;
      if (stopReading.signal.aborted) return;
      const next = await input.next();
      if (next.done || stopReading.signal.aborted) break;
      if (room && me && decoder) {
        room.said(me, decoder.push(next.value));
      } else relay(null, Buffer.from(next.value));
    }
    if (room && me && decoder) room.said(me, decoder.end());
    if (!o.sendOnly) {
      report.info("end of input; the room goes on", 2);
      return;
    }
    // --send-only: a one-way broadcast, over once every caller has taken all of it.
    report.info("end of input; ending once every caller has it", 2);
    await Promise.allSettled([...callers].map((c) => c.queue.drained()));
    sent.resolve(0);
  })().catch((err: unknown) => {
    failed(err instanceof Failure ? err : new Failure(`read stdin: ${reason(err)}`, 1, { local: true }));
  });

  const interrupted = new Promise<number>((resolve) => {
    if (io.interrupt.aborted) resolve(130);
    io.interrupt.addEventListener("abort", () => resolve(130), { once: true });
  });
  const outcome = await Promise.race([interrupted, fatal, sent.promise, ...(talk ? [talk.finished] : [])]);
  report.divert = null;
  // The person at the listener leaves the room first, so the callers read why it ends.
  if (room && me) room.leave(me);
  stopReading.abort();
  nudge();
  io.input.close();
  await listener.close();
  await answering;
  if (outcome instanceof Failure) {
    for (const caller of callers) caller.call.giveUp({ code: 1, failure: null });
    await Promise.allSettled(running);
    throw outcome;
  }
  // Each caller gets FIN as soon as what is queued for it is out, so one stuck caller holds
  // up nobody else's goodbye. DRAIN_MS after the interrupt, a caller still not drained is
  // reset; one that has its FIN but has not hung up is closed (no reset: what its kernel
  // still holds goes on).
  if (callers.size > 0) {
    debug("draining %d callers for at most %d ms", callers.size, DRAIN_MS);
    ending = true;
    const tellEnd = (caller: Caller): void => {
      if (!callers.has(caller) || caller.cutFor !== null || caller.queue.closed) return;
      caller.toldEnd = true;
      caller.queue.close(); // nothing may follow a FIN (a room's later news is not for it)
      caller.call.line.shutdown();
    };
    for (const caller of callers) void caller.queue.drained().then(() => tellEnd(caller));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DRAIN_MS);
    });
    await Promise.race([Promise.allSettled(running), deadline]);
    clearTimeout(timer);
    for (const caller of callers) {
      if (caller.toldEnd) {
        caller.closedAtEnd = true;
        void caller.call.line.close();
      } else caller.call.giveUp({ code: 130, failure: null });
    }
    await Promise.allSettled(running);
  }
  void reading;
  report.info(
    `${served} caller${served === 1 ? "" : "s"} in all; ${cuts} cut for reading too slowly (${formatSize(limits.hard)} limit)`,
  );
  return outcome;
}

/** "127.0.0.1" of "127.0.0.1:5555", "::1" of "[::1]:80": a chat names hosts as ncat does. */
function hostOf(peer: string): string {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(peer);
  if (bracketed) return bracketed[1] as string;
  const plain = /^([^:]+):\d+$/.exec(peer);
  return plain ? (plain[1] as string) : peer;
}

/**
 * The person at the listener as a chat member, in pipe mode: every line of the room on
 * stdout. stdout has a queue of its own, bounded like a caller's; it cannot be cut, so
 * over the limit lines are dropped, and counted on stderr. A closed stdout (| head) is
 * left alone; the room goes on.
 */
function listenerSeat(ctx: Context, limits: QueueLimits, failed: (failure: Failure) => void): Seat {
  const { io, report } = ctx;
  let closed = false;
  let dropped = 0;
  const out = new SendQueue(
    async (chunk) => {
      if (closed) return;
      try {
        await io.output.write(chunk);
      } catch (err) {
        if ((err as { code?: unknown }).code === "EPIPE") {
          closed = true;
          report.info("stdout was closed; the room goes on");
          return;
        }
        failed(new Failure(`write to stdout: ${reason(err)}`, 1, { local: true }));
      }
    },
    { hard: Number.POSITIVE_INFINITY, soft: null, softMs: 0 },
    () => {},
  );
  return {
    address: "the listener",
    deliver: (bytes) => {
      if (closed) return;
      if (out.queued + SendQueue.cost(bytes) > limits.hard) {
        if (dropped === 0)
          report.say(`stdout is too slow: room lines dropped (over ${formatSize(limits.hard)} queued)`);
        dropped += 1;
        return;
      }
      if (dropped > 0) {
        report.say(`${dropped} room lines were dropped: stdout was too slow`);
        dropped = 0;
      }
      out.push(bytes);
    },
  };
}
