/**
 * A file's bytes onto a line: the hot path of `hotline send`, framed or raw. The line's
 * `sendFile` is the library's `Socket.sendfile` (1 MiB positional reads, each read while the
 * previous block is being written); each block is shown to `see` first (the hash, the meter).
 */
import type { Line } from "../../reach/line.js";

/** The file shrank while it was sent: fewer bytes than announced are there to send. */
export class FileShrank extends Error {}

/**
 * Sends bytes `from` to `to` of `fd`, handing each block to `see` first. `stopped` is asked
 * before each block: a reason to stop (the line ended, an interrupt) ends the send with it.
 */
/** `see` may return a promise: the block is written once it settles (a hash on another thread with no buffer free yet). */
export async function streamFile(
  line: Line,
  fd: number,
  from: number,
  to: number,
  see: (block: Uint8Array) => Promise<void> | undefined,
  stopped: () => string | null,
): Promise<void> {
  if (!line.sendFile) throw new Error("this line cannot send a file");
  const sent = await line.sendFile(fd, from, to - from, (block) => {
    const why = stopped();
    if (why !== null) throw new Error(why);
    return see(block);
  });
  if (from + sent < to)
    throw new FileShrank(`the file became shorter while it was sent (${from + sent} of ${to} bytes)`);
}
