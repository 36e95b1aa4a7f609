/**
 * A file's bytes onto a line: the hot path of `hotline send`, framed or raw. Reads are
 * synchronous (a file read never waits for another program, and a thread-pool round trip
 * per block costs more than it saves, as pipe mode measured: io.ts), into two buffers that
 * take turns, so one is read and seen (hashed) while the other is on its way.
 */
import { readSync } from "node:fs";
import type { Line } from "../../reach/line.js";

/**
 * One read, and so one send: large sends cost the loopback kernel least (pipe mode measured
 * 256 KiB as fast as 512 KiB and 1 MiB: io.ts FILE_CHUNK).
 */
const READ_CHUNK = 256 * 1024;

/** The file shrank while it was sent: fewer bytes than announced are there to send. */
export class FileShrank extends Error {}

/**
 * Sends bytes `from` to `to` of `fd`, handing each block to `see` first (the hash, the meter).
 * `stopped` is asked before each send: a reason to stop (the line ended) throws it as an Error.
 */
export async function streamFile(
  line: Line,
  fd: number,
  from: number,
  to: number,
  see: (block: Buffer) => void,
  stopped: () => string | null,
): Promise<void> {
  const buffers = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)];
  let turn = 0;
  let inFlight: Promise<void> | null = null;
  for (let position = from; position < to; ) {
    const buffer = buffers[turn] as Buffer;
    turn ^= 1;
    const n = readSync(fd, buffer, 0, Math.min(READ_CHUNK, to - position), position);
    if (n === 0) throw new FileShrank(`the file became shorter while it was sent (${position} of ${to} bytes)`);
    position += n;
    const block = buffer.subarray(0, n);
    see(block);
    if (inFlight) await inFlight;
    const why = stopped();
    if (why !== null) throw new Error(why);
    inFlight = line.send(block);
  }
  if (inFlight) await inFlight;
}
