/**
 * The transfer progress meter of pipe mode: one line on stderr, redrawn in place, with the bytes
 * sent (↑) and received (↓), the smoothed rate of the busier direction, the time elapsed and, when
 * the size of what is sent is known, the percent sent and the time left:
 *
 *     ↑  412 MiB  ↓      0 B  98.1 MiB/s   0:04   41%  ETA  0:07
 *
 * Fields have fixed widths so the line does not wobble, and whole fields are dropped from the right
 * to fit the terminal: a field cut in half would show a wrong number ("ETA 0:0"). Counting is two
 * additions, because it runs for every chunk; drawing happens only on the meter's own timer, at most
 * 10 times a second (more is flicker, not information), and that timer is unref()ed so a meter never
 * keeps the process alive. stop() erases the line, so nothing is left on the terminal after the
 * call. Whether to show a meter at all is the caller's decision.
 */

const INTERVAL_MS = 100;
/** Time constant of the rate's moving average: long enough to steady it, short enough to follow. */
const SMOOTHING_MS = 1500;
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;
/** An ETA past 99:59:59 says nothing useful, and would widen the field. */
const ETA_LIMIT_S = 100 * 3600;

export interface ProgressOptions {
  /** Where the line goes (stderr). */
  write(text: string): void;
  /** The terminal's width in columns, asked at every redraw (it may be resized); undefined means 80. */
  columns(): number | undefined;
  /** A clock in milliseconds; performance.now() by default. */
  now?: (() => number) | undefined;
  /** Bytes that will be sent, when known (stdin is a regular file): adds the percent and the ETA. */
  total?: number | undefined;
  /**
   * Where the byte counts are read at each redraw, [sent, received], instead of being
   * added per chunk: a call keeps its counts anyway, so the hot path pays nothing.
   */
  counts?: (() => readonly [number, number]) | undefined;
  /**
   * One direction only, for a file transfer: its bytes and rate, and the percent and ETA of
   * `total` measured on it (by default the percent is of what is sent).
   */
  only?: "sent" | "received" | undefined;
  /** A first field, asked at each redraw (the file being moved), shortened from its start to leave the numbers room. */
  label?: (() => string) | undefined;
  /**
   * Whether the terminal still holds earlier lines unread (it stopped reading): redraws
   * wait until it took them, so a stalled terminal holds a few lines, not ten a second
   * for as long as it stalls. See `stalled()`.
   */
  behind?: (() => boolean) | undefined;
}

/** A terminal holding this much unread has stopped reading for a while: a few meter lines. */
export const METER_BACKLOG = 4096;

/** Whether `stream` (stderr) holds more than METER_BACKLOG not yet taken: a Progress's `behind`. */
export function stalled(stream: { writableLength: number }): () => boolean {
  return () => stream.writableLength > METER_BACKLOG;
}

/** Where a meter draws: a terminal's stream, its width, and whether it stopped reading. */
export interface MeterTarget {
  write(text: string): void;
  columns(): number | undefined;
  behind(): boolean;
}

/** A meter's target on `stream` (stderr): every meter draws there the same way. */
export function meterTarget(stream: {
  write(text: string): unknown;
  columns?: number;
  writableLength: number;
}): MeterTarget {
  return { write: (text) => stream.write(text), columns: () => stream.columns, behind: stalled(stream) };
}

export class Progress {
  readonly #write: (text: string) => void;
  readonly #columns: () => number | undefined;
  readonly #now: () => number;
  readonly #total: number | undefined;
  readonly #counts: (() => readonly [number, number]) | undefined;
  readonly #only: "sent" | "received" | undefined;
  readonly #label: (() => string) | undefined;
  readonly #behind: () => boolean;
  #sent = 0;
  #received = 0;
  #startedAt: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The line on the terminal now; undefined while nothing was drawn (then stop() writes nothing). */
  #drawn: string | undefined;
  // Rates in bytes/s: exponentially weighted averages per direction. #weight is the share of the
  // average that samples filled so far; dividing by it keeps the first seconds from reading low.
  #sampledAt: number;
  #sampledSent = 0;
  #sampledReceived = 0;
  #rateSent = 0;
  #rateReceived = 0;
  #weight = 0;

  constructor(options: ProgressOptions) {
    if (options.total !== undefined && !(Number.isSafeInteger(options.total) && options.total >= 0)) {
      throw new RangeError(`total must be a whole number of bytes, got ${options.total}`);
    }
    this.#write = options.write;
    this.#columns = options.columns;
    this.#now = options.now ?? (() => performance.now());
    this.#total = options.total;
    this.#counts = options.counts;
    this.#only = options.only;
    this.#label = options.label;
    this.#behind = options.behind ?? (() => false);
    this.#startedAt = this.#sampledAt = this.#now();
  }

  /** Counts bytes moved; never draws (it is called for every chunk). */
  add(sent: number, received: number): void {
    this.#sent += sent;
    this.#received += received;
  }

  sent(bytes: number): void {
    this.#sent += bytes;
  }

  received(bytes: number): void {
    this.#received += bytes;
  }

  /** Starts the clock and the redraw timer; the first line appears one interval later. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#startedAt = this.#sampledAt = this.#now();
    this.#sampledSent = this.#sent;
    this.#sampledReceived = this.#received;
    this.#timer = setInterval(() => this.tick(), INTERVAL_MS);
    this.#timer.unref();
  }

  /** Takes a rate sample and redraws if the line changed. The timer calls it; public for tests. */
  tick(): void {
    if (this.#stopped) return;
    if (this.#counts) [this.#sent, this.#received] = this.#counts();
    const now = this.#now();
    const ms = now - this.#sampledAt;
    if (ms > 0) {
      const alpha = 1 - Math.exp(-ms / SMOOTHING_MS);
      this.#rateSent += alpha * (((this.#sent - this.#sampledSent) * 1000) / ms - this.#rateSent);
      this.#rateReceived += alpha * (((this.#received - this.#sampledReceived) * 1000) / ms - this.#rateReceived);
      this.#weight += alpha * (1 - this.#weight);
      this.#sampledAt = now;
      this.#sampledSent = this.#sent;
      this.#sampledReceived = this.#received;
    }
    const line = this.render();
    if (line === this.#drawn || this.#behind()) return;
    this.#drawn = line;
    this.#write(`\r${line}\x1b[K`);
  }

  /** Stops the timer and erases the line; idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.erase();
  }

  /** Takes the line off the screen until the next redraw, so another line can be written there. */
  erase(): void {
    if (this.#drawn !== undefined) this.#write("\r\x1b[K");
    this.#drawn = undefined;
  }

  /** The line as it would be drawn now, without the control sequences. */
  render(): string {
    // Whole bytes/s, so a steady rate shows (and divides into the ETA) as the round number it is.
    const rateSent = this.#weight > 0 ? Math.round(this.#rateSent / this.#weight) : 0;
    const rateReceived = this.#weight > 0 ? Math.round(this.#rateReceived / this.#weight) : 0;
    const done = this.#only === "received" ? this.#received : this.#sent;
    const rate =
      this.#only === "received" ? rateReceived : this.#only === "sent" ? rateSent : Math.max(rateSent, rateReceived);
    const fields = this.#only === undefined ? [`↑ ${size(this.#sent)}`, `↓ ${size(this.#received)}`] : [size(done)];
    fields.push(
      `${size(rate)}/s`,
      duration(Math.max(0, Math.floor((this.#now() - this.#startedAt) / 1000))).padStart(5),
    );
    if (this.#total !== undefined) {
      const left = Math.max(0, this.#total - done);
      const percent = left === 0 ? 100 : Math.floor((done * 100) / this.#total);
      const doneRate = this.#only === "received" ? rateReceived : rateSent;
      const eta = left === 0 ? 0 : doneRate > 0 ? Math.ceil(left / doneRate) : Number.POSITIVE_INFINITY;
      fields.push(`${percent}%`.padStart(4), `ETA ${(eta < ETA_LIMIT_S ? duration(eta) : "--:--").padStart(5)}`);
    }
    // One column short of the width: a character in the last column leaves some terminals waiting
    // to wrap, and the erase that follows then wipes that character. ↑ and ↓ count as two columns:
    // they are East Asian "ambiguous" characters, drawn double-width by terminals set up for CJK.
    const columns = this.#columns();
    const width = (columns !== undefined && columns > 0 ? columns : 80) - 1;
    let line = "";
    let used = 0;
    for (const field of fields) {
      const cost = (line === "" ? 0 : 2) + field.length + (/[↑↓]/.test(field) ? 1 : 0);
      if (used + cost > width) break;
      line = line === "" ? field : `${line}  ${field}`;
      used += cost;
    }
    const label = this.#label?.();
    if (label !== undefined && label !== "") {
      // The label takes what the numbers leave, at least 12 columns, else it is left out.
      const room = width - used - 2;
      const chars = [...label];
      if (room >= 12)
        line = `${chars.length <= room ? label : `…${chars.slice(chars.length - room + 1).join("")}`}  ${line}`;
    }
    return line;
  }
}

/**
 * IEC units, three significant digits, right-aligned in 8 columns ("1.23 MiB", " 123 KiB"). Digits
 * are cut, not rounded: 9.999 KiB would otherwise become "10.00 KiB" and 1023.9 KiB "1024 KiB".
 * 1000 to 1023 of a unit keep their four digits rather than become "0.98" of the next.
 */
export function size(bytes: number): string {
  let unit = 0;
  while (unit < UNITS.length - 1 && bytes >= 1024 ** (unit + 1)) unit++;
  const scale = 1024 ** unit;
  const decimals = unit === 0 || bytes >= 100 * scale ? 0 : bytes >= 10 * scale ? 1 : 2;
  const shown = Math.floor((bytes * 10 ** decimals) / scale) / 10 ** decimals;
  return `${shown.toFixed(decimals)} ${UNITS[unit]}`.padStart(8);
}

/** A size in a sentence: "1.23 MiB", "512 B". */
export function sizeText(bytes: number): string {
  return size(bytes).trim();
}

/** "0:07", "12:34", "1:02:03". */
function duration(seconds: number): string {
  const s = String(seconds % 60).padStart(2, "0");
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}:${s}`;
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}:${s}`;
}
